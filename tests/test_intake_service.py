"""The intake service: one function creates complaints for every channel."""
from __future__ import annotations

from sqlalchemy import func, select

from app.core.errors import ValidationFailed
from app.extensions import db
from app.intake.service import submit_complaint
from app.messaging.models import OutboxMessage
from app.tickets.lifecycle import Actor
from app.tickets.models import Status, Ticket, TicketEvent

import pytest


def test_a_complaint_at_a_known_address_is_routed_to_the_district_team_and_a_technician(make_ticket, network):
    ticket = make_ticket()
    assert ticket.team_id == network["team"]
    assert ticket.assignee_id in (network["wang"], network["li"])
    assert ticket.status is Status.ASSIGNED
    assert ticket.account_id == network["account"]
    assert ticket.substation_id == network["substation"]

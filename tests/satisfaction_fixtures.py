"""Fixtures shared by the satisfaction-loop tests: a resolved ticket, its survey text and link, phones.

Imported by name into each tests/test_satisfaction_*.py module (pytest finds imported fixtures).
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.messaging.models import OutboxMessage
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor

SUPERVISOR_PHONE = "+8613900000003"  # zhao, supervisor of the Kundulun team
OTHER_SUPERVISOR_PHONE = "+8613900000009"  # qian, supervisor of the Qingshan team
_LINK = re.compile(r"(https?://\S+/s/)([A-Za-z0-9_\-.]+)")


@pytest.fixture
def resolved_at(now):
    """When the technician resolves the ticket: an hour after it came in."""
    return now + timedelta(hours=1)


def resolve(ticket, at) -> None:
    """The assigned technician works the ticket through to resolved at `at` (uncommitted)."""
    technician = Actor.staff(ticket.assignee)
    lifecycle.acknowledge(ticket, technician, now=at - timedelta(minutes=50))
    lifecycle.arrive(ticket, technician, now=at - timedelta(minutes=30))
    lifecycle.resolve(ticket, technician, "valve_adjusted", "调整了单元阀门，暖气片已热", now=at)


@pytest.fixture
def resolved_ticket(make_ticket, resolved_at):
    """A no-heat ticket from a resident who accepts texts, resolved and committed (its survey text queued)."""
    ticket = make_ticket()
    resolve(ticket, resolved_at)
    db.session.commit()
    return ticket


@pytest.fixture
def supervisor_phones(ctx, network):
    """The two supervisors get mobile numbers (staff texts need one)."""
    db.session.get(User, network["zhao"]).phone = SUPERVISOR_PHONE
    db.session.get(User, network["qian"]).phone = OTHER_SUPERVISOR_PHONE
    db.session.commit()


def outbox(kind: str | None = None, ticket_id: int | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    if ticket_id is not None:
        query = query.where(OutboxMessage.ticket_id == ticket_id)
    return list(db.session.scalars(query))


def link_in(body: str) -> tuple[str, str]:
    """(the link's path, its token) in a survey text."""
    match = _LINK.search(body)
    assert match, f"no survey link in {body!r}"
    return "/s/" + match.group(2), match.group(2)


def survey_path(ticket) -> str:
    """The path of the link in the ticket's latest survey text."""
    [*_, latest] = outbox("survey", ticket.id)
    return link_in(latest.body)[0]

"""A resident who texts or calls again about the same flat is added to their open ticket.

During an outage residents text and call repeatedly; each repeat must reach the ticket already being
worked (as a "call" event the team sees), not start a duplicate that splits the work and the clocks.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from app.customers.models import CustomerAccount
from app.extensions import db
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import OPEN_STATUSES, Ticket


def open_ticket_of(account: CustomerAccount | None, phone: str | None) -> Ticket | None:
    """The resident's most recent open ticket: same account, else same phone."""
    same = [Ticket.account_id == account.id] if account is not None else []
    if phone:
        same.append(Ticket.phone == phone)
    if not same:
        return None
    return db.session.scalar(
        select(Ticket).where(or_(*same), Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(1)
    )


def add_to_open_ticket(ticket: Ticket, text: str, channel: str, now: datetime | None = None) -> None:
    """Record the repeat on the open ticket (the team sees it on the timeline)."""
    lifecycle.record_call(ticket, Actor.resident(), text, now=now, channel=channel)

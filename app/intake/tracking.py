"""What a resident may see of their ticket, found only with its reference and their phone number."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.messaging.numbers import normalise_phone
from app.tickets.models import Status, Ticket, TicketEvent
from app.tickets.references import parse_reference


def find_for_resident(reference: str, phone: str) -> Ticket | None:
    """The ticket whose reference and phone both match; any mismatch is the same None."""
    ref = parse_reference(reference)
    number = normalise_phone(phone or "")
    if ref is None or number is None:
        return None
    return db.session.scalar(select(Ticket).where(Ticket.reference == ref, Ticket.phone == number))


@dataclass(frozen=True)
class ResidentView:
    """The resident's view: status, public timeline, the technician's name as residents say it, due time."""

    ticket: Ticket
    timeline: list[TicketEvent]
    technician_name: str | None
    due_at: datetime | None
    can_rate: bool


def technician_name(ticket: Ticket, language: str) -> str | None:
    """'王师傅' in Chinese, the given name in English; nothing before a technician is assigned."""
    tech = ticket.assignee
    if tech is None:
        return None
    if language == "en":
        return tech.given_name
    return f"{tech.family_name}师傅" if not tech.family_name.isascii() else tech.given_name


def resident_view(ticket: Ticket, language: str) -> ResidentView:
    timeline = [event for event in ticket.events if event.public]
    if ticket.status in (Status.RESOLVED, Status.CLOSED, Status.CANCELLED):
        due = None
    elif ticket.on_site_at is None and ticket.on_site_due_at is not None:
        due = ticket.on_site_due_at
    else:
        due = ticket.resolve_due_at
    return ResidentView(
        ticket=ticket,
        timeline=timeline,
        technician_name=technician_name(ticket, language),
        due_at=due,
        can_rate=ticket.status is Status.RESOLVED,
    )

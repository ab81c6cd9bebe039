"""Taking a call: a new phone complaint through intake, or the call added to a ticket already open.

A new ticket is saved only once the agent has seen every possible duplicate for the place; the
form carries the warnings it showed, and a warning that appears later stops the save once more.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from app.auth.models import User
from app.console.duplicates import Duplicates, place_from_form, possible_duplicates
from app.core.errors import DomainError, IllegalTransition
from app.core.time import utcnow
from app.intake.service import ComplaintInput, submit_complaint
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Channel, Ticket, TicketEvent


class DuplicatesToSee(DomainError):
    """Possible duplicates the agent has not seen yet: show them before saving anything."""

    def __init__(self, duplicates: Duplicates):
        super().__init__(_l("This call may be about a ticket that is already open. Check the tickets below: "
                            "add the call to one of them, or save a new ticket anyway."))
        self.duplicates = duplicates


def phone_complaint(**values) -> ComplaintInput:
    """Intake input for a complaint taken on the phone."""
    return ComplaintInput(channel=Channel.PHONE, **values)


def take_call(agent: User, complaint: ComplaintInput, seen: str = "", now: datetime | None = None) -> Ticket:
    """File the caller's complaint, unless it has possible duplicates the agent has not seen yet."""
    now = now or utcnow()
    place = place_from_form(complaint.account_number, complaint.district_id, complaint.building,
                            complaint.unit, complaint.flat, complaint.phone)
    duplicates = possible_duplicates(agent, place, now)
    if duplicates.unseen(seen):
        raise DuplicatesToSee(duplicates)
    return submit_complaint(complaint, Actor.staff(agent), now=now)


def add_call(agent: User, ticket: Ticket, note: str = "", now: datetime | None = None) -> TicketEvent:
    """Record another call on an open ticket instead of opening a duplicate."""
    if not ticket.is_open:
        raise IllegalTransition(_l("This ticket is no longer open: take the call as a new complaint, "
                                   "or reopen the ticket from its page."))
    return lifecycle.record_call(ticket, Actor.staff(agent), note, now=now)

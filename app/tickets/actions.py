"""Staff actions on a ticket, from a posted form to the lifecycle call.

Parses and checks what a form sent (including the version the user saw, for optimistic locking)
and calls the one lifecycle function for the action. Fields a role may not change are never read.
"""
from __future__ import annotations

from typing import Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import Role, User
from app.core.errors import Conflict, NotAllowed, ValidationFailed
from app.extensions import db
from app.routing.models import Team
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Category, Priority, Ticket, TicketEvent
from app.tickets.temperature import parse_temperature
from app.tickets.permissions import may

CONFLICT = _l("Someone else changed this ticket while you were working on it. "
              "Nothing was saved: check its current state below and send your change again.")


def check_version(ticket: Ticket, seen: str | None) -> None:
    """Refuse a change made on an out-of-date view of the ticket."""
    if not (seen or "").isdigit() or int(seen) != ticket.version:
        raise Conflict(CONFLICT)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def perform(ticket: Ticket, user: User, action: str, form: Mapping[str, str]) -> TicketEvent:
    """Take `action` on `ticket` as `user` with the posted `form`; raises a DomainError to show."""
    if action == "note":
        check_version(ticket, form.get("version"))
        return lifecycle.add_note(ticket, Actor.staff(user), form.get("note", ""),
                                  public=form.get("public") in ("1", "on", "y"))
    if action not in lifecycle.ALLOWED_FROM or not may(user, action, ticket):
        raise NotAllowed(_l("You may not do that to this ticket."))
    check_version(ticket, form.get("version"))
    actor = Actor.staff(user)
    if action == "assign":
        technician = db.session.get(User, _int(form.get("assignee")) or 0)
        return lifecycle.assign(ticket, technician, actor, note=form.get("note", ""))
    if action == "transfer":
        team = db.session.get(Team, _int(form.get("team")) or 0)
        return lifecycle.transfer(ticket, team, actor, form.get("reason", ""))
    if action == "reclassify":
        category = db.session.scalar(select(Category).where(Category.code == form.get("category", "")))
        priority = Priority(form["priority"]) if form.get("priority") in Priority._value2member_map_ else None
        return lifecycle.reclassify(ticket, actor, category, priority, form.get("reason", ""))
    if action == "resolve":
        try:
            measured = parse_temperature(form.get("measured_temp"))
        except ValueError:
            raise ValidationFailed({"measured_temp": _l("Enter the temperature as a number, for example 18.5.")})
        return lifecycle.resolve(ticket, actor, form.get("resolution_code", ""), form.get("note", ""),
                                 measured_temp=measured)
    if action == "rate":
        score = _int(form.get("score"))
        return lifecycle.rate(ticket, score if score is not None else 0, form.get("comment", ""), actor)
    if action in ("wait_for_resident", "close_after_callback", "reopen", "cancel"):
        return getattr(lifecycle, action)(ticket, actor, form.get("reason", ""))
    if action == "resume":
        return lifecycle.resume(ticket, actor, note=form.get("note", ""))
    return getattr(lifecycle, action)(ticket, actor)  # acknowledge, depart, arrive, close_without_response


def assignable_technicians(ticket: Ticket) -> list[User]:
    """Active technicians of the ticket's team (every team's, while it sits in triage)."""
    query = select(User).where(User.role == Role.TECHNICIAN, User.active.is_(True)).order_by(User.id)
    if ticket.team_id is not None:
        query = query.where(User.team_id == ticket.team_id)
    return list(db.session.scalars(query))


def available_actions(ticket: Ticket, user: User) -> list[str]:
    """The actions this user may take on this ticket in its current state."""
    return [action for action in lifecycle.allowed_actions(ticket) if may(user, action, ticket)]



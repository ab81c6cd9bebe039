"""Which tickets a member of staff may see: technicians their team's, supervisors their team's
districts', agents and administrators all. Anything else answers 404, as if it did not exist."""
from __future__ import annotations

from flask import abort
from sqlalchemy import ColumnElement, false, or_, select, true

from app.auth.models import Role, User
from app.extensions import db
from app.routing.models import team_districts
from app.tickets.models import Ticket


SEE_EVERY_TICKET = (Role.AGENT, Role.ADMIN)


def visible_to(user: User) -> ColumnElement[bool]:
    """A WHERE clause limiting tickets to those `user` may see."""
    return visible_by_place(user, Ticket.team_id, Ticket.district_id)


def visible_by_place(user: User, team_id: ColumnElement, district_id: ColumnElement) -> ColumnElement[bool]:
    """The rule on any row with a team and a district: technicians see their team's, supervisors
    also their team's districts', agents and administrators everything. Tickets use it, and so do the
    reports' resolution days, with the team and district a ticket had when it was resolved."""
    if user.role in SEE_EVERY_TICKET:
        return true()
    if user.team_id is None:
        return false()
    if user.role is Role.TECHNICIAN:
        return team_id == user.team_id
    districts = select(team_districts.c.district_id).where(team_districts.c.team_id == user.team_id)
    return or_(team_id == user.team_id, district_id.in_(districts))


def ticket_for(user: User, reference: str) -> Ticket:
    """The ticket with this reference if `user` may see it; 404 otherwise (no probing)."""
    query = select(Ticket).where(Ticket.reference == reference, visible_to(user))
    ticket = db.session.scalar(query)
    if ticket is None:
        abort(404)
    return ticket

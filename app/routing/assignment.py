"""Route a complaint to its district's team and that team's least-loaded technician."""
from __future__ import annotations

from sqlalchemy import and_, func, select

from app.auth.models import Role, User
from app.extensions import db
from app.routing.models import Team, team_districts
from app.tickets.models import OPEN_STATUSES, Ticket


def team_for_district(district_id: int | None) -> Team | None:
    """The team serving the district, if any (one team per district)."""
    if district_id is None:
        return None
    return db.session.scalar(
        select(Team).join(team_districts).where(team_districts.c.district_id == district_id)
    )


def least_loaded_technician(team: Team) -> User | None:
    """The team's active technician with the fewest open tickets (ties: the lowest id).

    The team row is locked first (FOR UPDATE on PostgreSQL; SQLite transactions are already
    serialised by BEGIN IMMEDIATE), so two complaints arriving together for the same team are
    counted one after the other and never both read the same stale load. The lock is held until
    the caller's transaction ends. Call it before anything in the transaction references the
    team row, or two callers can deadlock (see intake).
    """
    db.session.execute(select(Team.id).where(Team.id == team.id).with_for_update())
    load = func.count(Ticket.id)
    row = db.session.execute(
        select(User, load)
        .outerjoin(Ticket, and_(Ticket.assignee_id == User.id, Ticket.status.in_(OPEN_STATUSES)))
        .where(User.team_id == team.id, User.role == Role.TECHNICIAN, User.active.is_(True))
        .group_by(User.id)
        .order_by(load, User.id)
        .limit(1)
    ).first()
    return row[0] if row else None

"""Service teams and the districts each serves: routing must always know the one team of a district."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.admin.validation import Errors, flush_or_refuse
from app.auth.models import Role, User
from app.core.i18n import current_language
from app.customers.models import District
from app.extensions import db
from app.routing.models import Team, team_districts

NAME_TAKEN = _l("Another team already has this name.")


@dataclass
class TeamInput:
    name: str = ""
    name_en: str = ""
    district_ids: list[int] = field(default_factory=list)
    # A district served by another team is refused unless the administrator asks to move it.
    move_districts: bool = False


def create_team(data: TeamInput) -> Team:
    """A new team serving the chosen districts."""
    team = Team()
    _apply(team, data)
    db.session.add(team)
    flush_or_refuse("name", NAME_TAKEN)
    return team


def update_team(team: Team, data: TeamInput) -> None:
    """Rename a team or change its districts; a district taken from another team only when asked."""
    _apply(team, data)
    flush_or_refuse("name", NAME_TAKEN)


def _apply(team: Team, data: TeamInput) -> None:
    errors = Errors()
    name = errors.text("name", data.name, limit=80)
    name_en = errors.text("name_en", data.name_en, limit=80, required=False)
    others = select(Team.id).where(Team.id != team.id) if team.id else select(Team.id)
    if name and "name" not in errors and db.session.scalar(others.where(Team.name == name)):
        errors.add("name", NAME_TAKEN)

    wanted = sorted({i for i in data.district_ids if i})
    districts = list(db.session.scalars(select(District).where(District.id.in_(wanted)).order_by(District.id)))
    if len(districts) != len(wanted) or any(not i for i in data.district_ids):
        errors.add("district_ids", _l("Please choose districts from the list."))
    served_elsewhere = _served_by_other_teams(team, [d.id for d in districts])
    if served_elsewhere and not data.move_districts:
        locale = current_language()
        errors.add("district_ids", _l(
            "Already served by another team: %(list)s. A district has exactly one team: tick "
            "“Move these districts to this team” to move them.",
            list=", ".join(f"{d.display_name(locale)} ({t.display_name(locale)})" for d, t in served_elsewhere)))
    errors.raise_if_any()

    if served_elsewhere:
        for district, other in served_elsewhere:
            other.districts.remove(district)
        db.session.flush()  # the old link goes before the new one: a district has one team
    team.name, team.name_en = name, name_en
    team.districts = districts


def _served_by_other_teams(team: Team, district_ids: list[int]) -> list[tuple[District, Team]]:
    if not district_ids:
        return []
    query = (select(District, Team).join(team_districts, team_districts.c.district_id == District.id)
             .join(Team, Team.id == team_districts.c.team_id)
             .where(District.id.in_(district_ids)).order_by(District.id))
    if team.id:
        query = query.where(Team.id != team.id)
    return [(row[0], row[1]) for row in db.session.execute(query)]


def teams_overview() -> list[tuple[Team, int, int]]:
    """Every team with its districts, and how many active technicians and supervisors it has."""
    teams = list(db.session.scalars(select(Team).options(selectinload(Team.districts)).order_by(Team.id)))
    counts = {
        (team_id, role): n for team_id, role, n in db.session.execute(
            select(User.team_id, User.role, func.count(User.id))
            .where(User.active.is_(True), User.team_id.is_not(None))
            .group_by(User.team_id, User.role))
    }
    return [(t, counts.get((t.id, Role.TECHNICIAN), 0), counts.get((t.id, Role.SUPERVISOR), 0)) for t in teams]


def district_teams() -> dict[int, Team]:
    """district id → the team serving it."""
    rows = db.session.execute(select(team_districts.c.district_id, Team)
                              .join(Team, Team.id == team_districts.c.team_id))
    return {district_id: team for district_id, team in rows}

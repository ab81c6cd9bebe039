"""The administrator's home: how much reference data there is, and the gaps that hurt routing."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.admin.categories import categories_without_default_policy
from app.auth.models import Role, User
from app.customers.models import Building, CustomerAccount, District, Substation
from app.extensions import db
from app.routing.models import Team, team_districts
from app.sla.models import SlaPolicy
from app.tickets.models import Category


@dataclass
class Overview:
    counts: dict[str, int]
    districts_without_team: list[District]
    teams_without_technician: list[Team]
    categories_without_policy: list[Category]


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def overview() -> Overview:
    """Counts per kind of record, plus what would send complaints to triage or leave them without due times."""
    counts = {
        "districts": _count(District), "substations": _count(Substation), "buildings": _count(Building),
        "teams": _count(Team), "users": _count(User, User.active.is_(True)),
        "categories": _count(Category, Category.active.is_(True)), "policies": _count(SlaPolicy),
        "accounts": _count(CustomerAccount),
    }
    served = select(team_districts.c.district_id).where(team_districts.c.district_id == District.id)
    technicians = select(User.id).where(User.team_id == Team.id, User.role == Role.TECHNICIAN,
                                        User.active.is_(True))
    return Overview(
        counts=counts,
        districts_without_team=list(db.session.scalars(
            select(District).where(~served.exists()).order_by(District.id))),
        teams_without_technician=list(db.session.scalars(
            select(Team).where(~technicians.exists()).order_by(Team.id))),
        categories_without_policy=categories_without_default_policy(),
    )

"""Possible duplicates, shown to the agent before a new ticket is saved.

Two rules. (1) The caller's flat already has an open ticket: same account, same building + unit +
flat, or the same phone. (2) A cluster: several open tickets for the same building or substation
were opened in the last hours (a substation failure brings hundreds of calls about one cause).
Instead of a new ticket the agent can add the call to one of them (lifecycle.record_call).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core.time import utcnow
from app.customers import lookup as customers
from app.customers.models import Building, CustomerAccount, Substation
from app.extensions import db
from app.messaging.numbers import normalise_phone
from app.tickets.models import OPEN_STATUSES, Ticket
from app.tickets.visibility import visible_to

MAX_SHOWN = 5


@dataclass(frozen=True)
class Place:
    """Where a call is about, as far as it is known."""

    account_id: int | None = None
    building_id: int | None = None
    substation_id: int | None = None
    unit: str = ""
    flat: str = ""
    phone: str | None = None  # E.164


@dataclass(frozen=True)
class Cluster:
    """Several recent open tickets for one building or one substation."""

    scope: str  # "building" or "substation"
    place_id: int
    name: str
    count: int
    recent: list[Ticket]

    @property
    def token(self) -> str:
        return f"{self.scope[0]}{self.place_id}"


@dataclass
class Duplicates:
    """What the agent should see before saving a new ticket."""

    window_hours: int  # DUPLICATE_WINDOW_HOURS when the warnings were looked up
    same_flat: list[Ticket] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.same_flat or self.clusters)

    def tokens(self) -> set[str]:
        """Names for each warning: a ticket ("t12"), a building ("b3") or a substation ("s1")."""
        return {f"t{t.id}" for t in self.same_flat} | {c.token for c in self.clusters}

    def unseen(self, seen: str) -> bool:
        """True if a warning is new since the agent's form was shown (then it must be shown first)."""
        return bool(self.tokens() - set((seen or "").split()))


def window_hours() -> int:
    return int(current_app.config["DUPLICATE_WINDOW_HOURS"])


def threshold() -> int:
    return int(current_app.config["DUPLICATE_THRESHOLD"])


def place_of(account: CustomerAccount | None, building: Building | None, unit: str = "", flat: str = "",
             phone: str | None = None) -> Place:
    """The place of a call from what the lookup found (the account's flat wins)."""
    if account is not None:
        building, unit, flat = account.building, account.unit, account.flat
    return Place(
        account_id=account.id if account is not None else None,
        building_id=building.id if building is not None else None,
        substation_id=building.substation_id if building is not None else None,
        unit=unit, flat=flat, phone=phone,
    )


def place_from_form(account_number: str, district_id: int | None, building: str, unit: str, flat: str,
                    phone: str) -> Place:
    """The place of a call from a new-complaint form, located the way intake will locate it."""
    account = customers.account_by_number(account_number) if account_number else None
    found = None if account is not None else customers.find_building(district_id, building)
    unit, flat = customers.tidy_unit(unit), customers.tidy_unit(flat)
    if account is None and found is not None:
        account = customers.account_at(found.id, unit, flat)
    return place_of(account, found, unit, flat, normalise_phone(phone or ""))


def possible_duplicates(user: User, place: Place, now: datetime | None = None, *,
                        hours: int | None = None, at_least: int | None = None) -> Duplicates:
    """Open tickets for the same flat, and clusters of recent open tickets at the building or substation."""
    now = now or utcnow()
    hours = window_hours() if hours is None else hours
    at_least = threshold() if at_least is None else at_least
    result = Duplicates(window_hours=hours)
    visible_open = (visible_to(user), Ticket.status.in_(OPEN_STATUSES))

    same = []
    if place.account_id is not None:
        same.append(Ticket.account_id == place.account_id)
    if place.building_id is not None and place.flat:
        same.append((Ticket.building_id == place.building_id) & (Ticket.unit == place.unit)
                    & (Ticket.flat == place.flat))
    if place.phone:
        same.append(Ticket.phone == place.phone)
    if same:
        result.same_flat = list(db.session.scalars(
            select(Ticket).where(or_(*same), *visible_open).options(*_shown())
            .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(MAX_SHOWN)
        ))

    since = now - timedelta(hours=hours)
    scopes = (("building", Ticket.building_id, place.building_id, Building),
              ("substation", Ticket.substation_id, place.substation_id, Substation))
    for scope, column, place_id, model in scopes:
        if place_id is None:
            continue
        recent = (column == place_id, Ticket.created_at >= since, Ticket.created_at <= now, *visible_open)
        count = db.session.scalar(select(func.count(Ticket.id)).where(*recent))
        if count >= at_least:
            tickets = list(db.session.scalars(
                select(Ticket).where(*recent).options(*_shown())
                .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(MAX_SHOWN)
            ))
            name = db.session.get(model, place_id).name
            result.clusters.append(Cluster(scope, place_id, name, count, tickets))
    return result


def _shown():
    return (selectinload(Ticket.category), selectinload(Ticket.team), selectinload(Ticket.assignee),
            selectinload(Ticket.district))


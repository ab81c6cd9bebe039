"""The network an administrator keeps: districts, their substations, and the buildings behind each.

Nothing here is ever deleted: tickets and accounts point at these rows for good.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import contains_eager

from app.admin.paging import Paged, paginate
from app.admin.validation import Errors, flush_or_refuse
from app.core.text import clean_text
from app.customers.lookup import building_key
from app.customers.models import Building, District, Substation
from app.extensions import db

CODE_TAKEN = _l("This code is already in use.")


# --- districts --------------------------------------------------------------------------------

@dataclass
class DistrictInput:
    code: str = ""
    name: str = ""
    name_en: str = ""


def create_district(data: DistrictInput) -> District:
    """A new district; it gets no tickets routed until a team serves it."""
    district = District()
    _apply_district(district, data)
    db.session.add(district)
    flush_or_refuse("code", CODE_TAKEN)
    return district


def update_district(district: District, data: DistrictInput) -> None:
    """Rename or recode a district; tickets keep pointing at it by id."""
    _apply_district(district, data)
    flush_or_refuse("code", CODE_TAKEN)


def _apply_district(district: District, data: DistrictInput) -> None:
    errors = Errors()
    code = errors.code("code", data.code)
    name = errors.text("name", data.name, limit=80)
    name_en = errors.text("name_en", data.name_en, limit=80)
    others = select(District).where(District.id != district.id) if district.id else select(District)
    if code and "code" not in errors and db.session.scalar(others.where(District.code == code)):
        errors.add("code", CODE_TAKEN)
    # Names must tell districts apart: people (and the CSV import) name a district by either name.
    if name and "name" not in errors and db.session.scalar(others.where(District.name == name)):
        errors.add("name", _l("Another district already has this name."))
    if name_en and "name_en" not in errors and db.session.scalar(
            others.where(func.lower(District.name_en) == name_en.lower())):
        errors.add("name_en", _l("Another district already has this name."))
    errors.raise_if_any()
    district.code, district.name, district.name_en = code, name, name_en


def all_districts() -> list[District]:
    return list(db.session.scalars(select(District).order_by(District.id)))


# --- substations ------------------------------------------------------------------------------

@dataclass
class SubstationInput:
    district_id: int | None = None
    code: str = ""
    name: str = ""


def create_substation(data: SubstationInput) -> Substation:
    """A new heat-exchange station in a district."""
    substation = Substation()
    _apply_substation(substation, data)
    db.session.add(substation)
    flush_or_refuse("code", CODE_TAKEN)
    return substation


def update_substation(substation: Substation, data: SubstationInput) -> None:
    """Rename, recode or move a station; its buildings move with it."""
    _apply_substation(substation, data)
    flush_or_refuse("code", CODE_TAKEN)


def _apply_substation(substation: Substation, data: SubstationInput) -> None:
    errors = Errors()
    district = db.session.get(District, data.district_id) if data.district_id else None
    if district is None:
        errors.add("district_id", _l("Please choose a district."))
    code = errors.code("code", data.code)
    name = errors.text("name", data.name, limit=120)
    others = select(Substation.id).where(Substation.id != substation.id) if substation.id else select(Substation.id)
    if code and "code" not in errors and db.session.scalar(others.where(Substation.code == code)):
        errors.add("code", CODE_TAKEN)
    if district is not None and name and "name" not in errors and db.session.scalar(
            others.where(Substation.district_id == district.id, Substation.name == name)):
        errors.add("name", _l("This district already has a substation with this name."))
    if substation.id and district is not None and district.id != substation.district_id:
        # Its buildings move too: none may share a key with a building already in that district.
        clash = db.session.scalar(
            select(Building.name).join(Building.substation)
            .where(Substation.district_id == district.id,
                   Building.key.in_(select(Building.key).where(Building.substation_id == substation.id)))
            .order_by(Building.id).limit(1))
        if clash is not None:
            errors.add("district_id", _l("That district already lists “%(name)s”, a building of this substation.",
                                         name=clash))
    errors.raise_if_any()
    substation.district, substation.code, substation.name = district, code, name


def substations_with_counts() -> list[tuple[Substation, int]]:
    """Every station with its district and how many buildings it serves (one query)."""
    count = (select(Building.substation_id, func.count(Building.id).label("n"))
             .group_by(Building.substation_id).subquery())
    rows = db.session.execute(
        select(Substation, func.coalesce(count.c.n, 0))
        .join(Substation.district).options(contains_eager(Substation.district))
        .outerjoin(count, count.c.substation_id == Substation.id)
        .order_by(District.id, Substation.code)
    ).all()
    return [(row[0], row[1]) for row in rows]


def substation_choices() -> list[tuple[District, list[Substation]]]:
    """Stations grouped by district, for a grouped select."""
    grouped: dict[int, tuple[District, list[Substation]]] = {}
    for station in db.session.scalars(select(Substation).join(Substation.district)
                                      .order_by(District.id, Substation.code)):
        grouped.setdefault(station.district_id, (station.district, []))[1].append(station)
    return list(grouped.values())


# --- buildings --------------------------------------------------------------------------------

@dataclass
class BuildingInput:
    substation_id: int | None = None
    name: str = ""
    street_address: str = ""


def create_building(data: BuildingInput) -> Building:
    """A new building; its key (how intake recognises it) is derived from the name."""
    building = Building()
    _apply_building(building, data)
    db.session.add(building)
    flush_or_refuse("name", _l("This building is already listed at this substation."))
    return building


def update_building(building: Building, data: BuildingInput) -> None:
    """Correct a building's name, address or station; the key follows the name."""
    _apply_building(building, data)
    flush_or_refuse("name", _l("This building is already listed at this substation."))


def _apply_building(building: Building, data: BuildingInput) -> None:
    errors = Errors()
    substation = db.session.get(Substation, data.substation_id) if data.substation_id else None
    if substation is None:
        errors.add("substation_id", _l("Please choose a substation."))
    name = errors.text("name", data.name, limit=120)
    street_address = errors.text("street_address", data.street_address, limit=200, required=False)
    key = building_key(name)
    if name and "name" not in errors and not key:
        errors.add("name", _l("Please give the compound and building number, for example 阿尔丁小区3号楼."))
    if substation is not None and key and "name" not in errors:
        # Intake finds a building by its key within the district: two buildings there with one key
        # could never be told apart, so the same key is refused in the whole district, not only
        # at this station.
        same_key = (select(Building).join(Building.substation)
                    .where(Substation.district_id == substation.district_id, Building.key == key))
        if building.id:
            same_key = same_key.where(Building.id != building.id)
        clash = db.session.scalar(same_key.order_by(Building.id).limit(1))
        if clash is not None:
            errors.add("name", _l("This building is already listed as “%(name)s” at %(substation)s.",
                                  name=clash.name, substation=clash.substation.name))
    errors.raise_if_any()
    building.substation, building.name, building.street_address, building.key = (
        substation, name, street_address, key)


def search_buildings(q: str = "", district_id: int | None = None, page: int = 1) -> Paged:
    """Buildings by name or key, optionally within one district, a page at a time."""
    query: Select = (select(Building).join(Building.substation).join(Substation.district)
                     .options(contains_eager(Building.substation).contains_eager(Substation.district))
                     .order_by(District.id, Substation.code, Building.name, Building.id))
    if district_id:
        query = query.where(Substation.district_id == district_id)
    text = clean_text(q)[:100]
    if text:
        conditions = [Building.name.contains(text, autoescape=True),
                      Building.street_address.contains(text, autoescape=True)]
        key = building_key(text)
        if key:
            conditions.append(Building.key.contains(key, autoescape=True))
        query = query.where(or_(*conditions))
    return paginate(query, page)

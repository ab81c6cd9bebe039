"""Find a customer account and a building from what a resident or an agent gives."""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select

from app.customers.models import Building, CustomerAccount, CustomerPhone, Substation
from app.extensions import db

_NUMBER_SUFFIX = re.compile(r"(\d+)(?:号楼|号|栋|幢|楼|#|号院)?$")
_NOISE = re.compile(r"[\s,，.。·\-—_()（）]")


def building_key(text: str) -> str:
    """A forgiving key for a building name: '阿尔丁小区 3号楼', '阿尔丁3栋' and '阿尔丁小区3#' agree."""
    key = unicodedata.normalize("NFKC", text or "").lower()
    key = _NOISE.sub("", key)
    key = key.replace("小区", "").replace("社区", "").replace("家园", "")
    key = _NUMBER_SUFFIX.sub(r"\1#", key)
    return key


def tidy_unit(text: str) -> str:
    """'2单元', '2 单元' and '２' are all unit 2; likewise '301室' is flat 301."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    return re.sub(r"\s*(单元|室|号|户)$", "", value).strip()


def find_building(district_id: int | None, text: str) -> Building | None:
    """The building in the district whose key matches, or None if none or several match."""
    key = building_key(text)
    if not key or district_id is None:
        return None
    matches = db.session.scalars(
        select(Building).join(Substation).where(Substation.district_id == district_id, Building.key == key)
    ).all()
    return matches[0] if len(matches) == 1 else None


def account_by_number(account_number: str) -> CustomerAccount | None:
    number = unicodedata.normalize("NFKC", account_number or "").strip().upper()
    if not number:
        return None
    return db.session.scalar(select(CustomerAccount).where(CustomerAccount.account_number == number))


def accounts_by_phone(e164: str) -> list[CustomerAccount]:
    return list(
        db.session.scalars(
            select(CustomerAccount).join(CustomerPhone).where(CustomerPhone.number == e164).order_by(CustomerAccount.id)
        )
    )


def account_at(building_id: int, unit: str, flat: str) -> CustomerAccount | None:
    if not flat:
        return None
    return db.session.scalar(
        select(CustomerAccount).where(
            CustomerAccount.building_id == building_id, CustomerAccount.unit == unit, CustomerAccount.flat == flat
        )
    )

"""Customer accounts (供热户号): the flat, the account holder and the phones intake recognises.

Rules shared with the CSV import live here too: how an account number is written, how a list of
phones is read.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.admin.paging import Paged, paginate
from app.admin.validation import NOT_ALLOWED, Errors, flush_or_refuse, too_long
from app.core.i18n import current_language
from app.core.text import clean_text, has_control_characters
from app.customers.lookup import building_key, tidy_unit
from app.customers.models import Building, CustomerAccount, CustomerPhone, District, Substation
from app.extensions import db
from app.messaging.numbers import normalise_phone

ACCOUNT_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
PHONE_SEPARATORS = re.compile(r"[;|,\n\r，；、｜]+")
MAX_PHONES = 5
NUMBER_TAKEN = _l("This account number is already in use.")
BAD_ACCOUNT_NUMBER = _l("Use at most 32 letters, digits and '-', for example BT00012345.")


def normalise_account_number(text: str | None) -> str:
    """As intake looks it up: full-width characters folded, upper case, no surrounding space."""
    return unicodedata.normalize("NFKC", text or "").strip().upper()


def parse_phones(text: str | None) -> tuple[list[str], list[str]]:
    """(valid numbers in E.164 without repeats, pieces that are not phone numbers)."""
    valid: list[str] = []
    invalid: list[str] = []
    for piece in PHONE_SEPARATORS.split(text or ""):
        piece = piece.strip()
        if not piece:
            continue
        number = normalise_phone(piece)
        if number is None:
            invalid.append(piece[:32])
        elif number not in valid:
            valid.append(number)
    return valid, invalid


def phone_problem(valid: list[str], invalid: list[str]):
    """Why a list of phones is refused, or None."""
    if invalid:
        return _l("“%(phone)s” is not a valid phone number.", phone=invalid[0])
    if len(valid) > MAX_PHONES:
        return _l("Give at most %(n)d phone numbers.", n=MAX_PHONES)
    return None


def set_phones(account: CustomerAccount, numbers: list[str]) -> bool:
    """Make the account's phones exactly `numbers`, keeping rows that stay; True if anything changed."""
    current = {p.number: p for p in account.phones}
    if set(current) == set(numbers):
        return False
    for number, phone in current.items():
        if number not in numbers:
            account.phones.remove(phone)
    for number in numbers:
        if number not in current:
            account.phones.append(CustomerPhone(number=number))
    return True


def buildings_matching(district_id: int, text: str) -> list[Building]:
    """Buildings of the district whose key matches the text (intake's rule: several means unclear)."""
    key = building_key(text)
    if not key:
        return []
    return list(db.session.scalars(
        select(Building).join(Building.substation)
        .where(Substation.district_id == district_id, Building.key == key).order_by(Building.id)))


@dataclass
class AccountInput:
    account_number: str = ""
    name: str = ""
    district_id: int | None = None
    building: str = ""  # the building's name, as people write it: 阿尔丁小区3号楼
    unit: str = ""
    flat: str = ""
    phones: str = ""  # one or more, separated by ; | , or new lines


def create_account(data: AccountInput) -> CustomerAccount:
    """A new account for a flat in a known building."""
    account = CustomerAccount()
    _apply(account, data)
    db.session.add(account)
    flush_or_refuse("account_number", NUMBER_TAKEN)
    return account


def update_account(account: CustomerAccount, data: AccountInput) -> None:
    """Correct an account; tickets already made keep the address they were given."""
    _apply(account, data)
    flush_or_refuse("account_number", NUMBER_TAKEN)


def _apply(account: CustomerAccount, data: AccountInput) -> None:
    errors = Errors()
    number_text = errors.text("account_number", data.account_number, limit=32)
    number = normalise_account_number(number_text)
    if number and "account_number" not in errors:
        if not ACCOUNT_NUMBER.match(number):
            errors.add("account_number", BAD_ACCOUNT_NUMBER)
        else:
            same = select(CustomerAccount.id).where(CustomerAccount.account_number == number)
            if account.id:
                same = same.where(CustomerAccount.id != account.id)
            if db.session.scalar(same):
                errors.add("account_number", NUMBER_TAKEN)
    name = errors.text("name", data.name, limit=80)
    district = db.session.get(District, data.district_id) if data.district_id else None
    if district is None:
        errors.add("district_id", _l("Please choose a district."))
    building_text = errors.text("building", data.building, limit=120)
    building = None
    if district is not None and building_text and "building" not in errors:
        matches = buildings_matching(district.id, building_text)
        if not matches:
            errors.add("building", _l("No building “%(building)s” is listed in %(district)s: add it under "
                                      "Buildings first.", building=building_text,
                                      district=district.display_name(current_language())))
        elif len(matches) > 1:
            errors.add("building", _l("Several buildings in %(district)s match “%(building)s”: correct the "
                                      "building list first.", building=building_text,
                                      district=district.display_name(current_language())))
        else:
            building = matches[0]
    unit = tidy_unit(errors.text("unit", data.unit, limit=16, required=False))
    flat = tidy_unit(errors.text("flat", data.flat, limit=16, required=False))
    phones_text = data.phones if isinstance(data.phones, str) else ""
    if has_control_characters(phones_text):
        errors.add("phones", NOT_ALLOWED)
    elif len(phones_text) > 300:
        errors.add("phones", too_long(300))
    valid, invalid = parse_phones(phones_text)
    problem = phone_problem(valid, invalid)
    if problem is not None:
        errors.add("phones", problem)
    errors.raise_if_any()
    account.account_number, account.name, account.building = number, name, building
    account.unit, account.flat = unit, flat
    set_phones(account, valid)


def account_form_data(account: CustomerAccount) -> dict[str, object]:
    """The edit form's values for an account as it is now."""
    return {
        "account_number": account.account_number, "name": account.name,
        "district_id": str(account.building.substation.district_id), "building": account.building.name,
        "unit": account.unit, "flat": account.flat, "phones": "; ".join(p.number for p in account.phones),
    }


def search_accounts(q: str = "", page: int = 1) -> Paged:
    """Accounts by account number (prefix), holder's name (part) or phone (whole number or its digits)."""
    query: Select = (select(CustomerAccount)
                     .options(joinedload(CustomerAccount.building).joinedload(Building.substation)
                              .joinedload(Substation.district),
                              selectinload(CustomerAccount.phones))
                     .order_by(CustomerAccount.account_number))
    text = clean_text(unicodedata.normalize("NFKC", q or ""))[:60]
    if text:
        conditions = [CustomerAccount.account_number.startswith(normalise_account_number(text), autoescape=True),
                      CustomerAccount.name.contains(text, autoescape=True)]
        phone = normalise_phone(text)
        digits = re.sub(r"[\s\-()+]", "", text)
        if phone is not None:
            conditions.append(CustomerAccount.phones.any(CustomerPhone.number == phone))
        elif digits.isdigit() and len(digits) >= 4:
            conditions.append(CustomerAccount.phones.any(CustomerPhone.number.contains(digits, autoescape=True)))
        query = query.where(or_(*conditions))
    return paginate(query, page)

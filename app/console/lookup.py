"""Caller lookup: who is calling, where they live, and what they have reported before.

The agent types whatever the caller gives first: a phone number in any format, an account
number, or an address (district and building, with unit and flat if known). The answer names the
account(s), the building, district and substation, and the caller's open and past tickets,
matched by account, by phone, and (for an address with a flat) by the flat itself.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core.errors import ValidationFailed
from app.core.text import clean_text, has_control_characters
from app.customers import lookup as customers
from app.customers.models import Building, CustomerAccount, CustomerPhone, District, Substation
from app.extensions import db
from app.messaging.numbers import normalise_phone
from app.tickets.models import OPEN_STATUSES, Ticket
from app.tickets.visibility import visible_to

MAX_QUERY = 40
MAX_ACCOUNTS = 20  # one phone is rarely on more flats; more would only bury the right one
MAX_OPEN = 20
MAX_PAST = 10


@dataclass
class LookupQuery:
    """What the agent typed: one key (phone or account number) or an address."""

    key: str = ""
    district_id: int | None = None
    building: str = ""
    unit: str = ""
    flat: str = ""
    pick: str = ""  # the account number chosen among several on one phone

    @property
    def empty(self) -> bool:
        return not (self.key or self.building)


@dataclass
class CallerLookup:
    """The answer the console shows: accounts, the place, and the caller's tickets."""

    kind: str  # "phone", "account", "address" or "" (nothing typed)
    phone: str | None = None  # the caller's number in E.164, when it is known
    accounts: list[CustomerAccount] = field(default_factory=list)
    account: CustomerAccount | None = None  # the one account the call is about, if it is clear
    building: Building | None = None
    unit: str = ""
    flat: str = ""
    open_tickets: list[Ticket] = field(default_factory=list)
    past_tickets: list[Ticket] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.accounts or self.building or self.open_tickets or self.past_tickets)

    @property
    def substation(self) -> Substation | None:
        return self.building.substation if self.building else None

    @property
    def district(self) -> District | None:
        return self.building.substation.district if self.building else None

    def prefill(self) -> dict[str, object]:
        """The new-complaint form's starting values: everything the lookup already knows."""
        values: dict[str, object] = {"phone": self.phone or ""}
        account = self.account
        if account is not None:
            values.update(name=account.name, account_number=account.account_number)
            if not self.phone and account.phones:
                values["phone"] = account.phones[0].number
        if self.building is not None:
            values.update(district=str(self.district.id), building=self.building.name,
                          unit=self.unit, flat=self.flat)
        return values


def parse_query(args) -> LookupQuery:
    """Check what was typed into the lookup form; raises ValidationFailed with per-field messages."""
    errors: dict[str, object] = {}
    texts = {name: args.get(name, "") or "" for name in ("q", "building", "unit", "flat")}
    for name, value in texts.items():
        if has_control_characters(value):
            errors[name] = _l("This field contains characters that are not allowed.")
        elif len(value) > (100 if name == "building" else MAX_QUERY):
            errors[name] = _l("Please keep this under %(n)d characters.",
                              n=100 if name == "building" else MAX_QUERY)
    cleaned = {name: clean_text(value) for name, value in texts.items()}
    district_id = None
    raw_district = (args.get("district") or "").strip()
    if raw_district:
        district_id = int(raw_district) if raw_district.isdigit() and len(raw_district) < 10 else None
        if district_id is None or db.session.get(District, district_id) is None:
            errors["district"] = _l("Please choose a district from the list.")
    if cleaned["building"] and not raw_district and "district" not in errors:
        errors["district"] = _l("Choose the district to look up an address.")
    if (cleaned["unit"] or cleaned["flat"]) and not cleaned["building"] and "building" not in errors:
        errors["building"] = _l("Give the building as well as the unit and flat.")
    if errors:
        raise ValidationFailed(errors)
    return LookupQuery(key=cleaned["q"], district_id=district_id, building=cleaned["building"],
                       unit=customers.tidy_unit(cleaned["unit"]), flat=customers.tidy_unit(cleaned["flat"]),
                       pick=clean_text(args.get("pick", "") or "")[:MAX_QUERY])


def find_caller(user: User, query: LookupQuery) -> CallerLookup:
    """Look the caller up by phone, account number or address, with the tickets `user` may see."""
    if query.empty:
        return CallerLookup(kind="")
    if query.key:
        phone = normalise_phone(query.key)
        if phone is not None:
            result = CallerLookup(kind="phone", phone=phone, accounts=_accounts_on(phone))
        else:
            account = customers.account_by_number(query.key)
            result = CallerLookup(kind="account", accounts=[account] if account else [])
        if len(result.accounts) == 1:
            result.account = result.accounts[0]
        elif query.pick:
            result.account = next((a for a in result.accounts if a.account_number == _account_key(query.pick)), None)
        if result.account is not None:
            result.building, result.unit, result.flat = (result.account.building, result.account.unit,
                                                         result.account.flat)
    else:
        result = CallerLookup(kind="address", unit=query.unit, flat=query.flat,
                              building=customers.find_building(query.district_id, query.building))
        if result.building is not None and query.flat:
            account = customers.account_at(result.building.id, query.unit, query.flat)
            if account is not None:
                result.accounts = [account]
                result.account = account
    _add_tickets(user, result)
    return result


def _account_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().upper()


def _accounts_on(phone: str) -> list[CustomerAccount]:
    """The accounts reachable on this phone, with their place loaded for display."""
    return list(db.session.scalars(
        select(CustomerAccount).join(CustomerPhone).where(CustomerPhone.number == phone)
        .options(selectinload(CustomerAccount.phones),
                 selectinload(CustomerAccount.building).selectinload(Building.substation)
                 .selectinload(Substation.district))
        .order_by(CustomerAccount.id).limit(MAX_ACCOUNTS)
    ))


def _add_tickets(user: User, result: CallerLookup) -> None:
    """The caller's tickets: by account, by phone (typed or on the account) and by the flat."""
    matches = []
    if result.accounts:
        matches.append(Ticket.account_id.in_([a.id for a in result.accounts]))
    phones = {result.phone} if result.phone else set()
    if result.account is not None:
        phones.update(p.number for p in result.account.phones)
    if phones:
        matches.append(Ticket.phone.in_(sorted(phones)))
    if result.building is not None and result.flat:
        matches.append((Ticket.building_id == result.building.id) & (Ticket.unit == result.unit)
                       & (Ticket.flat == result.flat))
    if not matches:
        return
    base = (select(Ticket).where(or_(*matches), visible_to(user))
            .options(selectinload(Ticket.category), selectinload(Ticket.team), selectinload(Ticket.assignee),
                     selectinload(Ticket.district))
            .order_by(Ticket.created_at.desc(), Ticket.id.desc()))
    result.open_tickets = list(db.session.scalars(base.where(Ticket.status.in_(OPEN_STATUSES)).limit(MAX_OPEN)))
    result.past_tickets = list(db.session.scalars(base.where(Ticket.status.not_in(OPEN_STATUSES)).limit(MAX_PAST)))

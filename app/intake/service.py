"""The intake service: every channel creates complaints here and nowhere else.

validate → find the account → resolve district and substation → route to team and technician →
apply the SLA policy → write ticket, first events and confirmation outbox message. All in the
caller's transaction; the caller commits once, and only then are delivery jobs enqueued.
An address that cannot be resolved still makes a ticket: it waits in the agents' triage queue.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.errors import ValidationFailed
from app.core.text import clean_text, has_control_characters
from app.core.time import utcnow
from app.customers import lookup
from app.customers.models import CustomerAccount, District
from app.extensions import db
from app.messaging import notify
from app.messaging.numbers import normalise_phone
from app.routing.assignment import least_loaded_technician, team_for_district
from app.sla import service as sla
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Category, Channel, Ticket
from app.tickets.references import new_reference
from app.tickets.temperature import in_range as temperature_in_range
from app.tickets.temperature import parse_temperature

LIMITS = {"name": 60, "building": 100, "unit": 16, "flat": 16, "account_number": 32, "description": 2000}
_REFERENCE_ATTEMPTS = 8


@dataclass
class ComplaintInput:
    """What a channel collected, as typed. The service cleans and checks every field."""

    channel: Channel
    name: str
    phone: str
    category: str  # Category.code
    description: str = ""
    account_number: str = ""
    district_id: int | None = None
    building: str = ""
    unit: str = ""
    flat: str = ""
    indoor_temp: str | Decimal | None = None
    sms_consent: bool = False
    language: str = "zh_Hans"
    extra: dict = field(default_factory=dict)  # channel details (a recording URL, a message SID) for the first event
    # SMS and voice may not know where the caller lives (an unknown number that never answered, a
    # recorded message): such a complaint goes to triage instead of being refused.
    address_optional: bool = False
    # Agents must look at it first (a recorded voice message): kept out of routing, in triage.
    triage: bool = False


@dataclass
class _Clean:
    name: str
    phone: str
    category: Category
    description: str
    account_number: str
    district: District | None
    building: str
    unit: str
    flat: str
    indoor_temp: Decimal | None


def submit_complaint(data: ComplaintInput, actor: Actor, now: datetime | None = None) -> Ticket:
    """Create the ticket for a complaint; raises ValidationFailed with per-field messages."""
    now = now or utcnow()
    clean = _validate(data)

    ticket = Ticket(
        channel=data.channel,
        category=clean.category,
        priority=clean.category.default_priority,
        language="en" if data.language == "en" else "zh_Hans",
        name=clean.name,
        phone=clean.phone,
        sms_consent=bool(data.sms_consent),
        description=clean.description,
        indoor_temp=clean.indoor_temp,
        address_text=clean.building,
        unit=clean.unit,
        flat=clean.flat,
        district_id=clean.district.id if clean.district else None,
        created_at=now,
        updated_at=now,
    )
    _locate(ticket, clean)
    sla.apply_policy(ticket, sla.policy_for(clean.category, ticket.priority), now)
    _insert_with_unique_reference(ticket)
    lifecycle.open_ticket(ticket, actor, now, data.extra)

    team = team_for_district(ticket.district_id) if ticket.building_id and not data.triage else None
    if team is not None:
        # Lock and count before the ticket points at the team: that reference takes a key-share
        # lock on the team row, and two intakes holding it would deadlock on FOR UPDATE.
        technician = least_loaded_technician(team)
        ticket.team_id = team.id
        if technician is not None:
            lifecycle.assign(ticket, technician, Actor.system(), now=now, notify_resident=False)
    notify.received(ticket)
    db.session.flush()
    return ticket


def _validate(data: ComplaintInput) -> _Clean:
    errors: dict[str, object] = {}
    raw_text = {
        "name": data.name, "building": data.building, "unit": data.unit, "flat": data.flat,
        "account_number": data.account_number,
    }
    cleaned: dict[str, str] = {}
    for name, value in raw_text.items():
        if has_control_characters(value):
            errors[name] = _l("This field contains characters that are not allowed.")
        cleaned[name] = clean_text(value)
    description = clean_text(data.description, multiline=True)
    if "\x00" in (data.description or ""):
        errors["description"] = _l("This field contains characters that are not allowed.")

    for name, limit in LIMITS.items():
        value = description if name == "description" else cleaned[name]
        if len(value) > limit and name not in errors:
            errors[name] = _l("Please keep this under %(n)d characters.", n=limit)

    if not cleaned["name"] and "name" not in errors:
        errors["name"] = _l("Please tell us your name.")

    phone = normalise_phone(data.phone or "")
    if phone is None:
        errors["phone"] = _l("Please enter a phone number we can call, for example 138 0013 8000.")

    category = db.session.scalar(select(Category).where(Category.code == (data.category or ""), Category.active.is_(True)))
    if category is None:
        errors["category"] = _l("Please choose what the problem is.")

    try:
        temperature = parse_temperature(data.indoor_temp)
    except ValueError:
        temperature = None
        errors["indoor_temp"] = _l("Please enter the temperature as a number, for example 16.5.")
    if temperature is not None and not temperature_in_range(temperature):
        errors["indoor_temp"] = _l("The indoor temperature must be between -10 and 40 °C.")
        temperature = None

    district = db.session.get(District, data.district_id) if data.district_id is not None else None
    if data.district_id is not None and district is None:
        errors["district"] = _l("Please choose your district.")

    account_number = cleaned["account_number"]
    if account_number and lookup.account_by_number(account_number) is None and "account_number" not in errors:
        errors["account_number"] = _l(
            "We cannot find this account number. Check your heating bill, or leave it empty and give your address."
        )
    if not account_number and "account_number" not in errors and not data.address_optional:
        if district is None and "district" not in errors:
            errors["district"] = _l("Please give your account number, or choose your district and building.")
        if not cleaned["building"] and "building" not in errors:
            errors["building"] = _l("Please give your account number, or your building (for example 阿尔丁小区3号楼).")

    if errors:
        raise ValidationFailed(errors)
    return _Clean(
        name=cleaned["name"], phone=phone, category=category, description=description,
        account_number=account_number, district=district, building=cleaned["building"],
        unit=lookup.tidy_unit(cleaned["unit"]), flat=lookup.tidy_unit(cleaned["flat"]), indoor_temp=temperature,
    )


def _locate(ticket: Ticket, clean: _Clean) -> None:
    """Account by number, else by address, else by phone; then district and substation from the building."""
    account: CustomerAccount | None = None
    if clean.account_number:
        account = lookup.account_by_number(clean.account_number)
    building = lookup.find_building(clean.district.id if clean.district else None, clean.building)
    if account is None and building is not None:
        account = lookup.account_at(building.id, clean.unit, clean.flat)
    if account is None and building is None:
        by_phone = lookup.accounts_by_phone(clean.phone)
        if len(by_phone) == 1 and not clean.building:
            account = by_phone[0]
    if account is not None:
        ticket.account = account
        building = account.building
        ticket.unit, ticket.flat = account.unit, account.flat
        ticket.address_text = building.name
    if building is not None:
        ticket.building = building
        ticket.substation_id = building.substation_id
        ticket.district_id = building.substation.district_id


def _insert_with_unique_reference(ticket: Ticket) -> None:
    """Insert under a fresh random reference; a collision (even with a concurrent intake) retries."""
    for _attempt in range(_REFERENCE_ATTEMPTS):
        ticket.reference = new_reference()
        try:
            with db.session.begin_nested():
                db.session.add(ticket)
                db.session.flush()
            return
        except IntegrityError:
            taken = db.session.scalar(select(Ticket.id).where(Ticket.reference == ticket.reference))
            if taken is None:
                raise  # some other constraint failed: not ours to retry
    raise RuntimeError("could not find a free ticket reference")

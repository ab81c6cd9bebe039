"""The technician's day: which job is due first, one step at a time, resolution with photos.

Plain functions over the models; they never commit. Every change goes through
`app.tickets.actions.perform` (role, assignee and optimistic-lock checks) or, for the resolution
with its measured temperature, through the same checks and `lifecycle.resolve`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Sequence
from urllib.parse import quote

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from app.auth.models import User
from app.core.errors import NotAllowed, ValidationFailed
from app.core.time import utcnow
from app.extensions import db
from app.field import photos
from app.field.models import TicketPhoto
from app.tickets import lifecycle
from app.tickets.actions import check_version, perform
from app.tickets.lifecycle import Actor
from app.tickets.temperature import parse_temperature as shared_parse_temperature
from app.tickets.models import Priority, Status, Ticket
from app.tickets.permissions import may
from app.tickets.visibility import visible_to

# A technician's jobs: tickets in their hands. Reopened or transferred tickets wait for a
# supervisor or agent to dispatch them again, so they are not on the technician's list.
JOB_STATUSES = lifecycle.WORKING | {Status.WAITING}

# The one-tap steps of a visit, in their order (waiting and resolving take input).
STEPS = ("acknowledge", "depart", "arrive", "resume")

# (clock, due column, met column)
CLOCKS = (
    ("respond", "respond_due_at", "responded_at"),
    ("on_site", "on_site_due_at", "on_site_at"),
    ("resolve", "resolve_due_at", "resolved_at"),
)
# The states as the technician thinks of them (lifecycle.STATUS_LABELS speak to the resident).
STATUS_LABELS = {
    Status.ASSIGNED: _l("New job"),
    Status.ACKNOWLEDGED: _l("Accepted"),
    Status.EN_ROUTE: _l("On the way"),
    Status.ON_SITE: _l("On site"),
    Status.WAITING: _l("Waiting for the resident"),
    Status.RESOLVED: _l("Resolved"),
    Status.CLOSED: _l("Closed"),
}
CLOCK_LABELS = {"respond": _l("Respond"), "on_site": _l("On site"), "resolve": _l("Resolve")}
_PRIORITY_RANK = {Priority.EMERGENCY: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}
SOON_MINUTES = 30  # a countdown under this is shown as at risk

DEFAULT_MAP_SEARCH_URL = "https://uri.amap.com/search?keyword={query}&src=heatdesk&callnative=1"


@dataclass(frozen=True)
class Job:
    """A ticket on the technician's list with its next unmet SLA clock."""

    ticket: Ticket
    clock: str | None  # "respond", "on_site" or "resolve"; None when no clock runs
    due_at: datetime | None

    @property
    def paused(self) -> bool:
        """Waiting for the resident: the clocks stand still, so no countdown is shown."""
        return self.ticket.status is Status.WAITING


@dataclass(frozen=True)
class Countdown:
    """What a countdown says now; the page's script keeps it up to date."""

    text: str
    overdue: bool
    soon: bool


@dataclass(frozen=True)
class ResolveInput:
    """The resolve form as typed."""

    resolution_code: str = ""
    measured_temp: str = ""
    note: str = ""
    version: str = ""


def status_label(status: Status) -> str:
    """A state in the technician's words."""
    return str(STATUS_LABELS.get(status) or lifecycle.STATUS_LABELS[status])


def next_clock(ticket: Ticket) -> tuple[str, datetime] | None:
    """The unmet clock due soonest (respond, on site, resolve): what the technician must beat next."""
    pending = [(getattr(ticket, due), name) for name, due, met in CLOCKS
               if getattr(ticket, due) is not None and getattr(ticket, met) is None]
    if not pending:
        return None
    due_at, name = min(pending, key=lambda pair: pair[0])
    return name, due_at


def my_jobs(user: User) -> list[Job]:
    """The user's open jobs, the nearest SLA due time first, so the most urgent is at the top.

    Tickets waiting for the resident come last (their clocks are paused), then those without a
    promised time; ties go to the higher priority, then the older ticket. A technician holds a
    handful of jobs, so the order is computed here, from one query."""
    tickets = db.session.scalars(
        select(Ticket)
        .where(visible_to(user), Ticket.assignee_id == user.id, Ticket.status.in_(JOB_STATUSES))
        .options(selectinload(Ticket.category), selectinload(Ticket.district), selectinload(Ticket.building))
    ).all()
    jobs = []
    for ticket in tickets:
        clock = next_clock(ticket)
        jobs.append(Job(ticket, *(clock or (None, None))))

    def urgency(job: Job):
        t = job.ticket
        return (job.paused, job.due_at is None, job.due_at or t.created_at, _PRIORITY_RANK[t.priority],
                t.created_at, t.id)

    return sorted(jobs, key=urgency)


def _span(minutes: int) -> str:
    if minutes >= 24 * 60:
        days, rest = divmod(minutes, 24 * 60)
        return _("%(days)s d %(hours)s h", days=days, hours=rest // 60)
    if minutes >= 60:
        hours, rest = divmod(minutes, 60)
        return _("%(hours)s h %(minutes)s min", hours=hours, minutes=rest)
    return _("%(minutes)s min", minutes=minutes)


def countdown(due_at: datetime, now: datetime | None = None) -> Countdown:
    """'in 1 h 5 min' or '25 min overdue', as the script (static/js/field.js) writes it too."""
    seconds = (due_at - (now or utcnow())).total_seconds()
    if seconds > 0:
        minutes = math.ceil(seconds / 60)
        return Countdown(_("in %(span)s", span=_span(minutes)), overdue=False, soon=minutes <= SOON_MINUTES)
    return Countdown(_("%(span)s overdue", span=_span(math.floor(-seconds / 60))), overdue=True, soon=False)


def countdown_words() -> dict[str, str]:
    """The countdown's words with {d} {h} {m} {span} placeholders, for the script to fill in."""
    return {
        "days": _("%(days)s d %(hours)s h", days="{d}", hours="{h}"),
        "hours": _("%(hours)s h %(minutes)s min", hours="{h}", minutes="{m}"),
        "minutes": _("%(minutes)s min", minutes="{m}"),
        "left": _("in %(span)s", span="{span}"),
        "overdue": _("%(span)s overdue", span="{span}"),
    }


def may_work_on(user: User, ticket: Ticket) -> bool:
    """Only the assignee takes the steps of a visit."""
    return may(user, "resolve", ticket)


def next_steps(user: User, ticket: Ticket) -> list[str]:
    """The one-tap steps the user may take now, in visit order."""
    allowed = lifecycle.allowed_actions(ticket)
    return [step for step in STEPS if step in allowed and may(user, step, ticket)]


def take_step(ticket: Ticket, user: User, action: str, version: str | None) -> None:
    """Acknowledge, depart, arrive or resume; raises NotAllowed, Conflict or IllegalTransition."""
    if action not in STEPS:
        raise NotAllowed(_l("You may not do that to this ticket."))
    perform(ticket, user, action, {"version": version or ""})


def wait_for_resident(ticket: Ticket, user: User, reason: str, version: str | None) -> None:
    """Hold the job for the resident (not home, no access) with the reason: the clocks pause."""
    perform(ticket, user, "wait_for_resident", {"version": version or "", "reason": reason or ""})


def parse_temperature(raw: str | None) -> Decimal | None:
    """The measured temperature as typed ('17.5', '17,5', '17.5℃'), to one decimal; None if left empty."""
    try:
        return shared_parse_temperature(raw)
    except ValueError:
        raise ValidationFailed({"measured_temp": _l("Enter the temperature as a number, for example 18.5.")}) from None


def resolve_job(ticket: Ticket, user: User, typed: ResolveInput, uploads: Sequence[FileStorage],
                now: datetime | None = None) -> list[TicketPhoto]:
    """Resolve with code, measured temperature, note and photos; every field's problem at once.

    Raises NotAllowed (not the assignee), Conflict (out-of-date page), IllegalTransition, or
    ValidationFailed with an error per field. On any error the caller rolls back: nothing is kept.
    Photo files are written only once everything else passed; the caller discards them if the
    commit fails."""
    if not may(user, "resolve", ticket):
        raise NotAllowed(_l("You may not do that to this ticket."))
    check_version(ticket, typed.version)
    errors: dict = {}
    measured = None
    try:
        measured = parse_temperature(typed.measured_temp)
    except ValidationFailed as error:
        errors.update(error.errors)
    cleaned: list[photos.CleanPhoto] = []
    try:
        cleaned = photos.check_uploads(uploads)
    except ValidationFailed as error:
        errors.update(error.errors)
    try:
        lifecycle.resolve(ticket, Actor.staff(user), typed.resolution_code, typed.note, now=now,
                          measured_temp=measured)
    except ValidationFailed as error:
        errors = {**error.errors, **errors}  # a temperature we could not read beats "enter one"
    if errors:
        raise ValidationFailed(errors)
    return photos.store(ticket, user, cleaned, now=now)


def photos_of(ticket: Ticket) -> list[TicketPhoto]:
    """The ticket's photos, oldest first."""
    return list(db.session.scalars(
        select(TicketPhoto).where(TicketPhoto.ticket_id == ticket.id).order_by(TicketPhoto.id)))


def photo_of(ticket: Ticket, photo_id: int) -> TicketPhoto | None:
    """One photo of this ticket (None for another ticket's photo: no probing by id)."""
    return db.session.scalar(
        select(TicketPhoto).where(TicketPhoto.id == photo_id, TicketPhoto.ticket_id == ticket.id))


def map_query(ticket: Ticket) -> str:
    """What to search for in a map app: the building's street address, else district and address."""
    if ticket.building is not None and ticket.building.street_address:
        return ticket.building.street_address
    district = ticket.district.name if ticket.district is not None else ""
    return " ".join(part for part in (district, ticket.address_text) if part)


def map_links(ticket: Ticket) -> dict[str, str]:
    """Links that open the address in the phone's map app (geo:) or a map website; nothing loads here."""
    query = quote(map_query(ticket), safe="")
    template = current_app.config.get("FIELD_MAP_SEARCH_URL") or DEFAULT_MAP_SEARCH_URL
    return {"geo": f"geo:0,0?q={query}", "web": template.format(query=query)}

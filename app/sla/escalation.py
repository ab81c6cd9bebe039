"""Escalation before and after a promise is broken, each level once per ticket and clock.

warning (SLA_WARNING_PERCENT of the clock's time, default 80 %) → the assignee;
breach (100 %) → the team's supervisors, and the clock is recorded as missed;
duty manager (SLA_DUTY_MANAGER_PERCENT, default 150 %) → DUTY_MANAGER_PHONE, if set.
Run by `flask sla sweep` and every minute by the worker (app/jobs/periodic.py); running it twice
sends nothing twice: a unique (ticket, clock, level) row is written with each message.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from app.auth.models import Role, User
from app.core.i18n import format_when
from app.core.time import utcnow
from app.extensions import db
from app.messaging.notify import signature
from app.messaging.numbers import may_text
from app.messaging.optout import opted_out_among
from app.messaging.outbox import queue_sms
from app.sla.models import SlaEscalation
from app.jobs.queue import job
from app.sla.service import BREACH, DUTY_MANAGER, LEVELS, WARNING, level_times, refresh_marks, running_clocks
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import OPEN_STATUSES, Ticket
from app.tickets.references import format_reference

SWEEP_BATCH = 1000  # tickets per round; a sweep takes rounds until none is due


@dataclass(frozen=True)
class Due:
    """One escalation that is due now."""

    ticket: Ticket
    clock: str
    level: str


def levels_due(ticket: Ticket, now: datetime, sent: set[tuple[str, str]]) -> list[Due]:
    """The levels reached by now on the ticket's running clocks and not sent yet, in order."""
    result = []
    for clock in running_clocks(ticket):
        times = level_times(ticket, clock)
        result.extend(Due(ticket, clock, level) for level in LEVELS
                      if level in times and times[level] <= now and (clock, level) not in sent)
    return result


def _due_tickets(now: datetime, limit: int, only: str | None = None) -> list[Ticket]:
    """Open, running tickets whose next escalation time has come: an index range on the marks.
    Rows another worker is sweeping right now are skipped (PostgreSQL), not waited for."""
    query = (
        select(Ticket)
        .where(Ticket.sla_next_check_at <= now, Ticket.status.in_(OPEN_STATUSES), Ticket.sla_paused_at.is_(None))
        .order_by(Ticket.sla_next_check_at)
        .limit(limit)
        .options(selectinload(Ticket.sla_policy), selectinload(Ticket.assignee))
        .with_for_update(skip_locked=True, of=Ticket)
    )
    if only is not None:
        query = query.where(Ticket.reference == only)
    return list(db.session.scalars(query))


def sweep(now: datetime | None = None, *, only: str | None = None, rounds: int = 100) -> int:
    """Send every escalation now due, once; returns how many were sent. The caller commits.

    Finds tickets by their marks (see app.sla.service.refresh_marks) in batches, reads what was already
    sent and who to tell for the whole batch at once, and writes each level under a unique key."""
    now = now or utcnow()
    count = 0
    for _ in range(rounds):
        tickets = _due_tickets(now, SWEEP_BATCH, only)
        if not tickets:
            break
        sent = _sent_for([t.id for t in tickets])
        contacts = _Contacts.for_tickets(tickets)
        due = [item for ticket in tickets for item in levels_due(ticket, now, sent.get(ticket.id, set()))]
        claimed = _claim(due, now)
        for item in due:  # a level not claimed was sent by another worker a moment ago
            sent.setdefault(item.ticket.id, set()).add((item.clock, item.level))
        for ticket in tickets:
            ticket.sla_sent_levels = sent.setdefault(ticket.id, set())  # spares refresh_marks a query per event
        for item in due:
            if (item.ticket.id, item.clock, item.level) in claimed:
                _act(item, now, contacts)
                count += 1
        for ticket in tickets:
            refresh_marks(ticket, sent[ticket.id])
            if ticket.sla_next_check_at is not None and ticket.sla_next_check_at <= now:
                ticket.sla_next_check_at = None  # nothing more can be done now (a policy gone): stop re-reading it
        db.session.flush()
        if len(tickets) < SWEEP_BATCH:
            break
    return count


def _claim(due: list[Due], now: datetime) -> set[tuple[int, str, str]]:
    """Write the escalation rows of a batch in one statement; those another worker already wrote are
    skipped by the unique key (ON CONFLICT DO NOTHING), and only the rows written here are returned."""
    if not due:
        return set()
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(SlaEscalation)
        .values([{"ticket_id": i.ticket.id, "clock": i.clock, "level": i.level, "created_at": now} for i in due])
        .on_conflict_do_nothing(index_elements=["ticket_id", "clock", "level"])
        .returning(SlaEscalation.ticket_id, SlaEscalation.clock, SlaEscalation.level)
    )
    return {tuple(row) for row in db.session.execute(statement)}


@job
def check_ticket(reference: str) -> int:
    """rq's scheduled look at one ticket when its next escalation is due; idempotent like the sweep."""
    count = sweep(only=reference)
    db.session.commit()
    return count


def _sent_for(ticket_ids: list[int]) -> dict[int, set[tuple[str, str]]]:
    sent: dict[int, set[tuple[str, str]]] = {}
    for ticket_id, clock, level in db.session.execute(
        select(SlaEscalation.ticket_id, SlaEscalation.clock, SlaEscalation.level)
        .where(SlaEscalation.ticket_id.in_(ticket_ids))
    ):
        sent.setdefault(ticket_id, set()).add((clock, level))
    return sent


@dataclass
class _Contacts:
    """Who can be texted, read once per batch: team supervisors' phones, and the numbers that opted out."""

    supervisors: dict[int, list[str]]
    opted_out: set[str]

    @classmethod
    def for_tickets(cls, tickets: list[Ticket]) -> "_Contacts":
        team_ids = {t.team_id for t in tickets if t.team_id is not None}
        supervisors: dict[int, list[str]] = {}
        if team_ids:
            for team_id, phone in db.session.execute(
                select(User.team_id, User.phone).where(User.team_id.in_(team_ids), User.role == Role.SUPERVISOR,
                                                      User.active.is_(True), User.phone.is_not(None))
            ):
                supervisors.setdefault(team_id, []).append(phone)
        numbers = {n for numbers in supervisors.values() for n in numbers}
        numbers |= {t.assignee.phone for t in tickets if t.assignee is not None and t.assignee.phone}
        if current_app.config.get("DUTY_MANAGER_PHONE"):
            numbers.add(current_app.config["DUTY_MANAGER_PHONE"])
        return cls(supervisors, opted_out_among(numbers))


def _act(item: Due, now: datetime, contacts: _Contacts) -> None:
    ticket, clock, level = item.ticket, item.clock, item.level
    if level == BREACH:
        setattr(ticket, f"{clock}_met", False)  # missed, for good, whatever happens next
    lifecycle.record(ticket, Actor.system(), "escalate", now=now, data={"clock": clock, "level": level})
    for number in _recipients(ticket, level, contacts):
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
        with force_locale(language):
            body = signature(language) + _message(ticket, clock, level)
        queue_sms(to=number, body=body, language=language, kind=f"sla_{level}", ticket_id=ticket.id)


def _message(ticket: Ticket, clock: str, level: str) -> str:
    ref = format_reference(ticket.reference)
    clock_label = {"respond": _("response"), "on_site": _("arrival"), "resolve": _("resolution")}[clock]
    when = format_when(getattr(ticket, f"{clock}_due_at"))
    if level == WARNING:
        return _("Ticket %(ref)s: the %(clock)s deadline %(when)s is near.", ref=ref, clock=clock_label, when=when)
    if level == BREACH:
        return _("Ticket %(ref)s is overdue: %(clock)s was due %(when)s.", ref=ref, clock=clock_label, when=when)
    return _("Ticket %(ref)s is long overdue: %(clock)s was due %(when)s. Please step in.",
             ref=ref, clock=clock_label, when=when)


def _recipients(ticket: Ticket, level: str, contacts: _Contacts) -> list[str]:
    """Who hears of it: the assignee (warning), the team's supervisors (breach), the duty manager."""
    if level == WARNING:
        numbers = [ticket.assignee.phone] if ticket.assignee is not None and ticket.assignee.phone else []
    elif level == BREACH:
        numbers = contacts.supervisors.get(ticket.team_id, []) if ticket.team_id is not None else []
    else:
        numbers = [current_app.config["DUTY_MANAGER_PHONE"]] if current_app.config.get("DUTY_MANAGER_PHONE") else []
    return [number for number in numbers if may_text(number) and number not in contacts.opted_out]

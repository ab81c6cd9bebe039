"""Escalation before and after a promise is broken, each level once per ticket and clock.

warning (SLA_WARNING_PERCENT of the clock's time, default 80 %) → the assignee;
breach (100 %) → the team's supervisors, and the clock is recorded as missed;
duty manager (SLA_DUTY_MANAGER_PERCENT, default 150 %) → DUTY_MANAGER_PHONE, if set.
An overdue supervisor's call-back (a resident reopened the ticket and nobody has called back by
callback_due_at) → the team's supervisors and the duty manager, once per call-back.

Run every minute by the worker (`catch_up`, app/jobs/periodic.py), which commits after each round of
SWEEP_BATCH tickets, and by `flask sla sweep` (`sweep`, one transaction). Running either twice sends
nothing twice: a unique (ticket, clock, level) row in sla_escalations is written with each message.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import load_only, selectinload

from app.auth.models import Role, User
from app.core.i18n import format_when
from app.core.time import utcnow
from app.extensions import db
from app.jobs.queue import job
from app.messaging import notify
from app.messaging.notify import signature
from app.messaging.numbers import may_text
from app.messaging.optout import opted_out_among
from app.messaging.outbox import Sms, queue_many_sms
from app.satisfaction.callbacks import callback_overdue
from app.sla.models import CALLBACK, SlaEscalation
from app.sla.service import (BREACH, DUTY_MANAGER, LEVELS, WARNING, level_times, refresh_marks, running_clocks,
                             save_marks)
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import OPEN_STATUSES, Status, Ticket
from app.tickets.references import format_reference

SWEEP_BATCH = 1000  # tickets per round; a sweep takes rounds until none is due
MAX_ROUNDS = 100  # per sweep: the next minute's sweep goes on where this one stopped


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


def sweep(now: datetime | None = None, *, only: str | None = None, rounds: int = MAX_ROUNDS) -> int:
    """Send every escalation now due, once; returns how many were sent. The caller commits, once
    (the CLI, the rq check of one ticket); the worker's minute job is `catch_up`."""
    now = now or utcnow()
    count = 0
    for _round in range(rounds):
        sent, more = sweep_round(now, only)
        count += sent
        if not more:
            break
    if only is None:
        for _round in range(rounds):
            sent, more = callback_round(now)
            count += sent
            if not more:
                break
    return count


def catch_up(now: datetime | None = None) -> int:
    """The worker's minute job: the sweep, committed after each round. After the worker was down, a long
    catch-up keeps its transactions, session and pending jobs small, and a crash keeps the rounds
    already committed (their levels are claimed in sla_escalations, so the next run sends only the rest)."""
    now = now or utcnow()
    count = 0
    for step in (sweep_round, callback_round):
        for _round in range(MAX_ROUNDS):
            sent, more = step(now)
            db.session.commit()
            count += sent
            if not more:
                break
    return count


def sweep_round(now: datetime, only: str | None = None) -> tuple[int, bool]:
    """One round: up to SWEEP_BATCH tickets whose next escalation has come, found by their marks (see
    app.sla.service.refresh_marks). What was already sent and who to tell are read for the whole batch,
    the levels claimed, the events and texts written, in a few statements. Returns (sent, more to do)."""
    tickets = _due_tickets(now, SWEEP_BATCH, only)
    if not tickets:
        return 0, False
    sent = _sent_for([t.id for t in tickets])
    contacts = _Contacts.for_tickets(tickets)
    due = [item for ticket in tickets for item in levels_due(ticket, now, sent.get(ticket.id, set()))]
    claimed = _claim([(i.ticket.id, i.clock, i.level) for i in due], now)
    for item in due:  # a level not claimed was sent by another worker a moment ago
        sent.setdefault(item.ticket.id, set()).add((item.clock, item.level))
    for ticket in tickets:
        ticket.sla_sent_levels = sent.setdefault(ticket.id, set())  # spares refresh_marks a query per ticket
    acted = [item for item in due if (item.ticket.id, item.clock, item.level) in claimed]
    escalated = {item.ticket.id for item in acted}
    with db.session.no_autoflush:  # the tickets' changes are written at the end, all in one statement
        for item in acted:
            if item.level == BREACH:
                setattr(item.ticket, f"{item.clock}_met", False)  # missed, for good, whatever happens next
        # the events (and, for each ticket escalated, its marks and next check) in one statement
        lifecycle.record_many([(i.ticket, {"clock": i.clock, "level": i.level}) for i in acted],
                              Actor.system(), "escalate", now=now)
        queue_many_sms(_texts(acted, contacts))
        for ticket in tickets:
            if ticket.id not in escalated:
                refresh_marks(ticket, sent[ticket.id])
            if ticket.sla_next_check_at is not None and ticket.sla_next_check_at <= now:
                ticket.sla_next_check_at = None  # nothing more can be done now (a policy gone): stop re-reading it
            del ticket.sla_sent_levels  # true for this round only: a later change reads them again
        save_marks(tickets)
    db.session.flush()
    return len(acted), len(tickets) == SWEEP_BATCH


def _swept() -> tuple:
    """What the sweep reads of a ticket: its clocks, marks and people, and where the report rollups count
    it, not the complaint's text (the rest loads if something asks for it); its policy and assignee
    with the batch."""
    return (
        load_only(Ticket.reference, Ticket.status, Ticket.phone, Ticket.team_id, Ticket.assignee_id,
                  Ticket.district_id, Ticket.category_id,  # with team_id and created_at: the rollups' keys
                  Ticket.sla_policy_id, Ticket.created_at, Ticket.respond_due_at, Ticket.on_site_due_at,
                  Ticket.resolve_due_at, Ticket.responded_at, Ticket.on_site_at, Ticket.resolved_at,
                  Ticket.sla_paused_at, Ticket.respond_met, Ticket.on_site_met, Ticket.resolve_met,
                  Ticket.sla_warn_at, Ticket.sla_breach_at, Ticket.sla_next_check_at, Ticket.callback_due_at,
                  Ticket.version),
        selectinload(Ticket.sla_policy),
        selectinload(Ticket.assignee),
    )


def _due_tickets(now: datetime, limit: int, only: str | None = None) -> list[Ticket]:
    """Open, running tickets whose next escalation time has come: an index range on the marks.
    Rows another worker is sweeping right now are skipped (PostgreSQL), not waited for."""
    query = (
        select(Ticket)
        .where(Ticket.sla_next_check_at <= now, Ticket.status.in_(OPEN_STATUSES), Ticket.sla_paused_at.is_(None))
        .order_by(Ticket.sla_next_check_at)
        .limit(limit)
        .options(*_swept())
        .with_for_update(skip_locked=True, of=Ticket)
    )
    if only is not None:
        query = query.where(Ticket.reference == only)
    return list(db.session.scalars(query))


def _claim(keys: list[tuple[int, str, str]], now: datetime) -> set[tuple[int, str, str]]:
    """Write the escalation rows of a batch in one statement; those another worker already wrote are
    skipped by the unique key (ON CONFLICT DO NOTHING), and only the rows written here are returned."""
    if not keys:
        return set()
    insert_ = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = SlaEscalation.__table__
    statement = (  # executed with many rows: SQLAlchemy batches them into multi-row INSERTs ("insertmanyvalues")
        insert_(table)
        .on_conflict_do_nothing(index_elements=["ticket_id", "clock", "level"])
        .returning(table.c.ticket_id, table.c.clock, table.c.level)
    )
    rows = [{"ticket_id": ticket_id, "clock": clock, "level": level, "created_at": now}
            for ticket_id, clock, level in keys]
    return {tuple(row) for row in db.session.execute(statement, rows)}


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
                .order_by(User.id)
            ):
                supervisors.setdefault(team_id, []).append(phone)
        numbers = {n for numbers in supervisors.values() for n in numbers}
        numbers |= {t.assignee.phone for t in tickets if t.assignee is not None and t.assignee.phone}
        if current_app.config.get("DUTY_MANAGER_PHONE"):
            numbers.add(current_app.config["DUTY_MANAGER_PHONE"])
        return cls(supervisors, opted_out_among(numbers))

    checked: dict[str, bool] = field(default_factory=dict)  # may_text, once per number and batch

    def reachable(self, numbers: list[str]) -> list[str]:
        """Those of `numbers` that may get a text: a mobile in the region, not opted out."""
        for number in numbers:
            if number not in self.checked:
                self.checked[number] = may_text(number) and number not in self.opted_out
        return [number for number in numbers if self.checked[number]]


def _texts(acted: list[Due], contacts: _Contacts) -> list[Sms]:
    """The round's texts: one body per escalation, in the company's language, to each recipient of its level."""
    language = current_app.config["BABEL_DEFAULT_LOCALE"]
    texts = []
    with force_locale(language):
        wording = _Wording.translated(signature(language))
        for item in acted:
            numbers = _recipients(item.ticket, item.level, contacts)
            if numbers:
                body = wording.message(item.ticket, item.clock, item.level)
                texts.extend(Sms(number, body, language, f"sla_{item.level}", item.ticket.id) for number in numbers)
    return texts


@dataclass(frozen=True)
class _Wording:
    """The escalation texts in the current language, translated once per round rather than once per text."""

    signature: str
    clocks: dict[str, str]
    levels: dict[str, str]

    @classmethod
    def translated(cls, signature: str) -> "_Wording":
        return cls(
            signature,
            clocks={"respond": _("response"), "on_site": _("arrival"), "resolve": _("resolution")},
            levels={
                WARNING: _("Ticket %(ref)s: the %(clock)s deadline %(when)s is near."),
                BREACH: _("Ticket %(ref)s is overdue: %(clock)s was due %(when)s."),
                DUTY_MANAGER: _("Ticket %(ref)s is long overdue: %(clock)s was due %(when)s. Please step in."),
            },
        )

    def message(self, ticket: Ticket, clock: str, level: str) -> str:
        return self.signature + self.levels[level] % {
            "ref": format_reference(ticket.reference), "clock": self.clocks[clock],
            "when": format_when(getattr(ticket, f"{clock}_due_at"))}


def _recipients(ticket: Ticket, level: str, contacts: _Contacts) -> list[str]:
    """Who hears of it: the assignee (warning), the team's supervisors (breach), the duty manager."""
    if level == WARNING:
        numbers = [ticket.assignee.phone] if ticket.assignee is not None and ticket.assignee.phone else []
    elif level == BREACH:
        numbers = contacts.supervisors.get(ticket.team_id, []) if ticket.team_id is not None else []
    else:
        numbers = [current_app.config["DUTY_MANAGER_PHONE"]] if current_app.config.get("DUTY_MANAGER_PHONE") else []
    return contacts.reachable(numbers)


# --- the supervisor's call-back -----------------------------------------------------------------------

# the board's rule for a call-back owed (app.reports.board._CALLBACK) where the due time is set; a literal,
# so that the planner can use the partial index ix_tickets_callback_due
_REOPENED = text(f"tickets.status = '{Status.REOPENED.value}'")


def callback_level(due_at: datetime) -> str:
    """The sla_escalations level of one call-back: its due time, so that each call-back of a ticket
    (a ticket may be reopened again later) is escalated once, and a later one again."""
    return due_at.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def callback_round(now: datetime) -> tuple[int, bool]:
    """One round of overdue call-backs: tickets still reopened (the board's rule: the call-back is owed)
    whose callback_due_at has passed and whose call-back was not escalated yet, found by the partial
    index on callback_due_at. Their team's supervisors and the duty manager are texted, once per
    call-back. Returns (sent, more to do)."""
    # An escalation of this call-back is written at or after its due time; one of an earlier call-back
    # was written before this one began. (Sending twice is prevented by the unique level, not by this.)
    escalated = (select(SlaEscalation.id)
                 .where(SlaEscalation.ticket_id == Ticket.id, SlaEscalation.clock == CALLBACK,
                        SlaEscalation.created_at >= Ticket.callback_due_at).exists())
    tickets = list(db.session.scalars(
        select(Ticket).where(_REOPENED, callback_overdue(Ticket.callback_due_at, now), ~escalated)
        .order_by(Ticket.callback_due_at).limit(SWEEP_BATCH).options(*_swept())
        .with_for_update(skip_locked=True, of=Ticket)))
    if not tickets:
        return 0, False
    claimed = {ticket_id for ticket_id, _, _ in _claim(
        [(t.id, CALLBACK, callback_level(t.callback_due_at)) for t in tickets], now)}
    acted = [t for t in tickets if t.id in claimed]
    contacts = _Contacts.for_tickets(acted)
    duty_manager = current_app.config.get("DUTY_MANAGER_PHONE")
    texts: list[Sms] = []
    sent = _sent_for([t.id for t in acted])
    with db.session.no_autoflush:
        for ticket in acted:
            ticket.sla_sent_levels = sent.get(ticket.id, set())  # spares refresh_marks a query per ticket
        lifecycle.record_many([(t, {"clock": CALLBACK, "level": callback_level(t.callback_due_at)}) for t in acted],
                              Actor.system(), "escalate", now=now)
        for ticket in acted:
            numbers = [*contacts.supervisors.get(ticket.team_id, []), *([duty_manager] if duty_manager else [])]
            notify.callback_overdue(ticket, list(dict.fromkeys(contacts.reachable(numbers))),
                                    queue=lambda **sms: texts.append(Sms(**sms)))
        queue_many_sms(texts)
        for ticket in acted:
            del ticket.sla_sent_levels
        save_marks(acted)
    db.session.flush()
    return len(acted), len(tickets) == SWEEP_BATCH

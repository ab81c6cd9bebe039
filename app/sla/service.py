"""Apply SLA policies to tickets: due times at intake and on reclassification, pauses, the marks
the board and the sweep read (refresh_marks), and the rq check scheduled for the next escalation."""
from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

from flask import current_app, g, has_app_context
from sqlalchemy import bindparam, event, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.analytics import rollups
from app.config import month_day
from app.core.time import company_zone
from app.extensions import db
from app.sla.due import WorkingHours, add_minutes, minutes_between
from app.sla.models import CalendarDay, DayKind, HeatingSeason, SlaEscalation, SlaPause, SlaPolicy
from app.tickets.models import OPEN_STATUSES, Category, Priority, Ticket

_CLOCKS = (
    ("respond_due_at", "responded_at"),
    ("on_site_due_at", "on_site_at"),
    ("resolve_due_at", "resolved_at"),
)
CLOCK_NAMES = ("respond", "on_site", "resolve")  # the attributes <name>_due_at and <name>_met
DONE_AT = {"respond": "responded_at", "on_site": "on_site_at", "resolve": "resolved_at"}  # when the step happened


def working_hours() -> WorkingHours:
    """The company's calendar: working hours from config; holidays, 调休 working days and heating seasons
    from the administrators' tables (plus any fixed in config). Read once per app context."""
    if has_app_context() and "sla_working_hours" in g:
        return g.sla_working_hours
    config = current_app.config
    days = db.session.execute(select(CalendarDay.day, CalendarDay.kind)).all()
    seasons = db.session.execute(select(HeatingSeason.starts_on, HeatingSeason.ends_on)).all()
    usual_start, usual_end = (config.get("HEATING_SEASON_STARTS", "10-15"), config.get("HEATING_SEASON_ENDS", "04-15"))
    hours = WorkingHours(
        zone=company_zone(),
        opens=time.fromisoformat(config.get("BUSINESS_OPENS", "08:30")),
        closes=time.fromisoformat(config.get("BUSINESS_CLOSES", "17:30")),
        holidays=frozenset(date.fromisoformat(d) for d in config.get("HOLIDAYS", ()))
        | {day for day, kind in days if kind == DayKind.HOLIDAY},
        extra_workdays=frozenset(date.fromisoformat(d) for d in config.get("EXTRA_WORKDAYS", ()))
        | {day for day, kind in days if kind == DayKind.WORKDAY},
        seasons=tuple((first, last) for first, last in seasons),
        usual_season=(month_day(usual_start), month_day(usual_end)),
    )
    g.sla_working_hours = hours
    return hours


@event.listens_for(Session, "after_flush")
def _forget_changed_calendar(session: Session, _context) -> None:
    """An administrator changed a holiday or a season: the next due time reads the tables again."""
    changed = (*session.new, *session.dirty, *session.deleted)
    if has_app_context() and any(isinstance(obj, (CalendarDay, HeatingSeason)) for obj in changed):
        g.pop("sla_working_hours", None)


def policy_for(category: Category, priority: Priority) -> SlaPolicy | None:
    """The policy for this category at this priority, if the company has set one."""
    return db.session.scalar(
        select(SlaPolicy).where(SlaPolicy.category_id == category.id, SlaPolicy.priority == priority)
    )


def apply_policy(ticket: Ticket, policy: SlaPolicy | None, start: datetime) -> None:
    """Set the three due times from `start`; without a policy the ticket has no promised times."""
    ticket.sla_policy = policy
    if policy is None:
        ticket.respond_due_at = ticket.on_site_due_at = ticket.resolve_due_at = None
        return
    hours = working_hours()
    ticket.respond_due_at = add_minutes(start, policy.respond_minutes, policy.calendar, hours)
    ticket.on_site_due_at = (
        add_minutes(start, policy.on_site_minutes, policy.calendar, hours)
        if policy.on_site_minutes
        else None
    )
    ticket.resolve_due_at = add_minutes(start, policy.resolve_minutes, policy.calendar, hours)


def recompute_due(ticket: Ticket, policy: SlaPolicy | None) -> None:
    """Due times under `policy` as if it had applied from intake, leaving out every finished pause
    (a change of category or priority must not give back the time the resident kept us waiting)."""
    apply_policy(ticket, policy, ticket.created_at)
    for pause_ in sorted(ticket.sla_pauses, key=lambda p: p.started_at):
        if pause_.ended_at is not None:
            _shift_running_clocks(ticket, pause_.started_at, pause_.ended_at)


def pause(ticket: Ticket, now: datetime) -> None:
    """Stop the clocks while the ticket waits for the resident; the stretch is kept for recomputations."""
    ticket.sla_paused_at = now
    ticket.sla_pauses.append(SlaPause(started_at=now))


def resume(ticket: Ticket, now: datetime) -> None:
    """Restart the clocks: every clock still running keeps the time it had left when paused."""
    paused_at = ticket.sla_paused_at
    _end_pause(ticket, now)
    if paused_at is not None:
        _shift_running_clocks(ticket, paused_at, now)


def end_pause(ticket: Ticket, now: datetime) -> None:
    """The ticket leaves the wait without resuming (cancelled): the pause ends, no clock restarts."""
    _end_pause(ticket, now)


def _end_pause(ticket: Ticket, now: datetime) -> None:
    ticket.sla_paused_at = None
    for open_pause in ticket.sla_pauses:
        if open_pause.ended_at is None:
            open_pause.ended_at = max(now, open_pause.started_at)


def _shift_running_clocks(ticket: Ticket, paused_at: datetime, resumed_at: datetime) -> None:
    """Move each clock that was running at `paused_at` on by the pause, in its calendar's time."""
    policy = ticket.sla_policy
    if policy is None:
        return
    hours = working_hours()
    for due_attr, done_attr in _CLOCKS:
        due = getattr(ticket, due_attr)
        done = getattr(ticket, done_attr)
        if due is None or due <= paused_at or (done is not None and done <= paused_at):
            continue  # absent, already missed before the pause, or already met
        left = minutes_between(paused_at, due, policy.calendar, hours)
        setattr(ticket, due_attr, add_minutes(resumed_at, left, policy.calendar, hours))


def end_clock(ticket: Ticket, clock: str, at: datetime) -> None:
    """A clock ends (contact made, technician on site, resolved): record met or missed for good.

    A clock already recorded (e.g. missed at its breach) keeps its outcome; without a due time the
    ticket promised nothing on that clock, so there is nothing to record."""
    due = getattr(ticket, f"{clock}_due_at")
    if due is None or getattr(ticket, f"{clock}_met") is not None:
        return
    setattr(ticket, f"{clock}_met", at <= due)


def record_step_time(ticket: Ticket, step: str, at: datetime) -> None:
    """A step happened (respond, on_site, resolve): keep its time from intake in whole seconds, the
    first time only, as the outcomes are kept. The time reports sort these integers."""
    if getattr(ticket, f"{step}_seconds") is None:
        setattr(ticket, f"{step}_seconds", max(0, (at - ticket.created_at) // timedelta(seconds=1)))


def end_open_clocks(ticket: Ticket, at: datetime) -> None:
    """At resolution every clock still running ends: the resident's problem has been dealt with."""
    for clock in CLOCK_NAMES:
        end_clock(ticket, clock, at)


# --- the marks: where each ticket stands, kept on the row for the board, the lists and the sweep ---

WARNING, BREACH, DUTY_MANAGER = "warning", "breach", "duty_manager"
LEVELS = (WARNING, BREACH, DUTY_MANAGER)


def running_clocks(ticket: Ticket) -> list[str]:
    """Clocks with a promise whose step has not been taken. A clock recorded as missed at its breach
    keeps running (towards the duty manager) until the step is taken."""
    return [clock for clock in CLOCK_NAMES
            if getattr(ticket, f"{clock}_due_at") is not None and getattr(ticket, DONE_AT[clock]) is None
            and getattr(ticket, f"{clock}_met") is not True]


def level_times(ticket: Ticket, clock: str) -> dict[str, datetime]:
    """When each escalation level of a clock is reached: the warning at SLA_WARNING_PERCENT of the
    clock's time in its calendar, the breach at the due time, the duty manager at
    SLA_DUTY_MANAGER_PERCENT (counted round the clock past the due time, so nights never hide it)."""
    due = getattr(ticket, f"{clock}_due_at")
    policy = ticket.sla_policy
    if due is None or policy is None:
        return {}
    config = current_app.config
    hours = working_hours()
    allowed = minutes_between(ticket.created_at, due, policy.calendar, hours)
    if allowed <= 0:
        return {BREACH: due}
    times = {
        WARNING: add_minutes(ticket.created_at, math.ceil(allowed * config["SLA_WARNING_PERCENT"] / 100),
                             policy.calendar, hours),
        BREACH: due,
    }
    if config.get("DUTY_MANAGER_PHONE"):
        extra = allowed * (config["SLA_DUTY_MANAGER_PERCENT"] - 100) / 100
        times[DUTY_MANAGER] = due + timedelta(minutes=math.ceil(extra))
    return {level: min(at, due) if level == WARNING else at for level, at in times.items()}


def sent_levels(ticket: Ticket) -> set[tuple[str, str]]:
    """The (clock, level) escalations already sent for this ticket."""
    if ticket.id is None:
        return set()
    known = getattr(ticket, "sla_sent_levels", None)  # set by the sweep, which read them for its batch
    if known is not None:
        return known
    with db.session.no_autoflush:  # called mid-change: never flush half-made state (or take locks) here
        return {tuple(row) for row in db.session.execute(
            select(SlaEscalation.clock, SlaEscalation.level).where(SlaEscalation.ticket_id == ticket.id))}


def refresh_marks(ticket: Ticket, sent: set[tuple[str, str]] | None = None) -> None:
    """Set the ticket's marks from its clocks: the next warning point and due time of a running clock
    (for the at-risk and breached lists) and the next escalation not yet sent (for the sweep).
    Closed, resolved, cancelled and waiting tickets carry no marks: nothing can escalate on them."""
    if ticket.status not in OPEN_STATUSES or ticket.sla_paused_at is not None:
        ticket.sla_warn_at = ticket.sla_breach_at = ticket.sla_next_check_at = None
        return
    sent = sent_levels(ticket) if sent is None else sent
    warn_points, breach_points, pending = [], [], []
    for clock in running_clocks(ticket):
        times = level_times(ticket, clock)
        if WARNING in times:
            warn_points.append(times[WARNING])
        breach_points.append(times[BREACH])
        pending.extend(at for level, at in times.items() if (clock, level) not in sent)
    ticket.sla_warn_at = min(warn_points, default=None)
    ticket.sla_breach_at = min(breach_points, default=None)
    ticket.sla_next_check_at = min(pending, default=None)


MARKED = ("sla_warn_at", "sla_breach_at", "sla_next_check_at", "respond_met", "on_site_met", "resolve_met")


def save_marks(tickets: list[Ticket]) -> int:
    """Write the marks and clock outcomes changed on many tickets in one executemany UPDATE, checked and
    counted up like the ORM's version counter (which sends one UPDATE per versioned row: a round trip
    per ticket, most of a sweep's time). The tickets stay in the session, clean, at their new version.
    The flush never sees these changes, so the report rollups count the clock outcomes here, in one
    statement for the batch. Call it with autoflush off, before anything flushes the tickets. Returns
    how many were written."""
    changed = [t for t in tickets
               if any(inspect(t).attrs[key].history.has_changes() for key in MARKED)]
    if changed:
        rollups.count_changes(db.session, changed, MARKED)
        table = Ticket.__table__
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
            .values({**{key: bindparam(f"b_{key}") for key in MARKED}, "version": bindparam("b_new_version")})
        )
        rows = [{"b_id": t.id, "b_version": t.version, "b_new_version": t.version + 1,
                 **{f"b_{key}": getattr(t, key) for key in MARKED}} for t in changed]
        written = db.session.execute(statement, rows).rowcount
        if written != len(rows):
            raise StaleDataError(f"saving the SLA marks: {written} of {len(rows)} tickets matched their version")
        for ticket, row in zip(changed, rows):
            for key in MARKED:
                set_committed_value(ticket, key, getattr(ticket, key))
            set_committed_value(ticket, "version", row["b_new_version"])
    for ticket in tickets:
        _clean_if_unchanged(ticket)
    return len(changed)


def _clean_if_unchanged(ticket: Ticket) -> None:
    """A ticket whose row now holds what the session holds (written above, or only set to equal values) is
    marked clean, or the next flush would compare every column of every ticket of the batch (≈ 0.5 ms
    each). SQLAlchemy has no public call for this; _commit_all is what its own flush and refresh use."""
    if not db.session.is_modified(ticket):
        state = inspect(ticket)
        state._commit_all(state.dict, db.session.identity_map)


def schedule_check(ticket: Ticket) -> None:
    """Ask rq's scheduler to look at the ticket when its next escalation is due (after commit).
    Jobs for superseded times find nothing to do; the minute sweep catches any job that is lost."""
    at = ticket.sla_next_check_at
    if at is None:
        return
    from app.jobs.queue import enqueue_after_commit
    from app.sla.escalation import check_ticket

    key = ticket.reference or str(ticket.id)
    enqueue_after_commit(db.session, check_ticket, key, job_id=f"sla-{key}-{int(at.timestamp())}", at=at)


def refresh_all_marks(batch: int = 1000) -> int:
    """Recompute the marks of every open ticket: after a change of the escalation settings (e.g.
    DUTY_MANAGER_PHONE) and once after upgrading. Works in id order, a batch at a time."""
    from sqlalchemy.orm import selectinload

    count, last_id = 0, 0
    while True:
        tickets = db.session.scalars(
            select(Ticket).where(Ticket.status.in_(OPEN_STATUSES), Ticket.id > last_id)
            .order_by(Ticket.id).limit(batch).options(selectinload(Ticket.sla_policy))
        ).all()
        if not tickets:
            return count
        sent: dict[int, set[tuple[str, str]]] = {t.id: set() for t in tickets}
        for ticket_id, clock, level in db.session.execute(
            select(SlaEscalation.ticket_id, SlaEscalation.clock, SlaEscalation.level)
            .where(SlaEscalation.ticket_id.in_(list(sent)))
        ):
            sent[ticket_id].add((clock, level))
        with db.session.no_autoflush:
            for ticket in tickets:
                refresh_marks(ticket, sent[ticket.id])
            save_marks(tickets)  # one statement for the batch, not an UPDATE per ticket
        db.session.flush()
        count += len(tickets)
        last_id = tickets[-1].id

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
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.auth.models import Role, User
from app.core.i18n import format_when
from app.core.time import utcnow
from app.extensions import db
from app.messaging.notify import signature
from app.messaging.numbers import may_text
from app.messaging.optout import is_opted_out
from app.messaging.outbox import queue_sms
from app.sla.due import minutes_between
from app.sla.models import SlaEscalation
from app.sla.service import CLOCK_NAMES, DONE_AT, working_hours
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import OPEN_STATUSES, Ticket
from app.tickets.references import format_reference

WARNING, BREACH, DUTY_MANAGER = "warning", "breach", "duty_manager"


@dataclass(frozen=True)
class Due:
    """One escalation that is due now."""

    ticket: Ticket
    clock: str
    level: str


def share_elapsed(ticket: Ticket, clock: str, now: datetime) -> float | None:
    """How much of the clock's allowed time has passed (1.0 = due now), in its calendar's minutes."""
    due = getattr(ticket, f"{clock}_due_at")
    if due is None or ticket.sla_policy is None:
        return None
    hours = working_hours()
    calendar = ticket.sla_policy.calendar
    allowed = minutes_between(ticket.created_at, due, calendar, hours)
    if allowed <= 0:
        return None
    if now >= due:  # past the due time: count continuously, so a breach is never missed at night
        return 1.0 + (now - due).total_seconds() / 60 / allowed
    return minutes_between(ticket.created_at, now, calendar, hours) / allowed


def levels_reached(share: float) -> list[str]:
    config = current_app.config
    reached = []
    if share >= config["SLA_WARNING_PERCENT"] / 100:
        reached.append(WARNING)
    if share >= 1.0:
        reached.append(BREACH)
    if share >= config["SLA_DUTY_MANAGER_PERCENT"] / 100 and config.get("DUTY_MANAGER_PHONE"):
        reached.append(DUTY_MANAGER)
    return reached


def _running(clock: str):
    """Tickets whose clock is still running: a due time, and the step not taken yet (a clock already
    recorded as missed keeps running towards the duty manager until the step is taken)."""
    return and_(getattr(Ticket, f"{clock}_due_at").is_not(None), getattr(Ticket, DONE_AT[clock]).is_(None),
                getattr(Ticket, f"{clock}_met").is_not(True))


def due_escalations(now: datetime) -> list[Due]:
    """Every level reached and not yet sent, on open tickets whose clocks are running (not paused)."""
    tickets = db.session.scalars(
        select(Ticket)
        .where(Ticket.status.in_(OPEN_STATUSES), Ticket.sla_paused_at.is_(None),
               or_(*(_running(clock) for clock in CLOCK_NAMES)))
        .options(selectinload(Ticket.sla_policy), selectinload(Ticket.assignee))
    ).all()
    if not tickets:
        return []
    sent = {tuple(row) for row in db.session.execute(
        select(SlaEscalation.ticket_id, SlaEscalation.clock, SlaEscalation.level)
        .where(SlaEscalation.ticket_id.in_([t.id for t in tickets]))
    )}
    result = []
    for ticket in tickets:
        for clock in CLOCK_NAMES:
            if getattr(ticket, DONE_AT[clock]) is not None or getattr(ticket, f"{clock}_met") is True:
                continue
            share = share_elapsed(ticket, clock, now)
            if share is None:
                continue
            result.extend(Due(ticket, clock, level) for level in levels_reached(share)
                          if (ticket.id, clock, level) not in sent)
    return result


def sweep(now: datetime | None = None) -> int:
    """Send every escalation now due, once; returns how many were sent. The caller commits."""
    now = now or utcnow()
    count = 0
    for item in due_escalations(now):
        try:
            with db.session.begin_nested():
                db.session.add(SlaEscalation(ticket_id=item.ticket.id, clock=item.clock, level=item.level,
                                             created_at=now))
                db.session.flush()
                _act(item, now)
        except IntegrityError:  # another worker sent it a moment ago
            continue
        count += 1
    return count


def _act(item: Due, now: datetime) -> None:
    ticket, clock, level = item.ticket, item.clock, item.level
    if level == BREACH:
        setattr(ticket, f"{clock}_met", False)  # missed, for good, whatever happens next
    lifecycle.record(ticket, Actor.system(), "escalate", now=now, data={"clock": clock, "level": level})
    for number in _recipients(ticket, level):
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


def _recipients(ticket: Ticket, level: str) -> list[str]:
    """Who hears of it: the assignee (warning), the team's supervisors (breach), the duty manager."""
    if level == WARNING:
        numbers = [ticket.assignee.phone] if ticket.assignee is not None and ticket.assignee.phone else []
    elif level == BREACH:
        supervisors = db.session.scalars(select(User).where(
            User.team_id == ticket.team_id, User.role == Role.SUPERVISOR, User.active.is_(True))
        ) if ticket.team_id is not None else []
        numbers = [user.phone for user in supervisors if user.phone]
    else:
        numbers = [current_app.config["DUTY_MANAGER_PHONE"]] if current_app.config.get("DUTY_MANAGER_PHONE") else []
    return [number for number in numbers if may_text(number) and not is_opted_out(number)]

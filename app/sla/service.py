"""Apply SLA policies to tickets: set due times at intake, pause and resume the clocks."""
from __future__ import annotations

from datetime import date, datetime, time

from flask import current_app
from sqlalchemy import select

from app.core.time import company_zone
from app.extensions import db
from app.sla.due import WorkingHours, add_minutes, minutes_between
from app.sla.models import SlaPolicy
from app.tickets.models import Category, Priority, Ticket

_CLOCKS = (
    ("respond_due_at", "responded_at"),
    ("on_site_due_at", "on_site_at"),
    ("resolve_due_at", "resolved_at"),
)
CLOCK_NAMES = ("respond", "on_site", "resolve")  # the attributes <name>_due_at and <name>_met
DONE_AT = {"respond": "responded_at", "on_site": "on_site_at", "resolve": "resolved_at"}  # when the step happened


def working_hours() -> WorkingHours:
    """The company's working hours and holidays, from config."""
    config = current_app.config
    return WorkingHours(
        zone=company_zone(),
        opens=time.fromisoformat(config.get("BUSINESS_OPENS", "08:30")),
        closes=time.fromisoformat(config.get("BUSINESS_CLOSES", "17:30")),
        holidays=frozenset(date.fromisoformat(d) for d in config.get("HOLIDAYS", ())),
        extra_workdays=frozenset(date.fromisoformat(d) for d in config.get("EXTRA_WORKDAYS", ())),
    )


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


def pause(ticket: Ticket, now: datetime) -> None:
    """Stop the clocks while the ticket waits for the resident."""
    ticket.sla_paused_at = now


def resume(ticket: Ticket, now: datetime) -> None:
    """Restart the clocks: every clock still running keeps the time it had left when paused."""
    paused_at = ticket.sla_paused_at
    ticket.sla_paused_at = None
    policy = ticket.sla_policy
    if paused_at is None or policy is None:
        return
    hours = working_hours()
    for due_attr, done_attr in _CLOCKS:
        due = getattr(ticket, due_attr)
        if due is None or due <= paused_at or getattr(ticket, done_attr) is not None:
            continue  # absent, already missed before the pause, or already met
        left = minutes_between(paused_at, due, policy.calendar, hours)
        setattr(ticket, due_attr, add_minutes(now, left, policy.calendar, hours))


def end_clock(ticket: Ticket, clock: str, at: datetime) -> None:
    """A clock ends (contact made, technician on site, resolved): record met or missed for good.

    A clock already recorded (e.g. missed at its breach) keeps its outcome; without a due time the
    ticket promised nothing on that clock, so there is nothing to record."""
    due = getattr(ticket, f"{clock}_due_at")
    if due is None or getattr(ticket, f"{clock}_met") is not None:
        return
    setattr(ticket, f"{clock}_met", at <= due)


def end_open_clocks(ticket: Ticket, at: datetime) -> None:
    """At resolution every clock still running ends: the resident's problem has been dealt with."""
    for clock in CLOCK_NAMES:
        end_clock(ticket, clock, at)

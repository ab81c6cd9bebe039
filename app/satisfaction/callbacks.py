"""The call-back task: a resident who says the repair did not work is called back by a supervisor.

Its due time is CALLBACK_HOURS after the resident's answer, round the clock (a cold flat at night
cannot wait for office hours). The lifecycle starts it when a resident reopens a ticket (a score of
1–2, or "not fixed") and clears it when the ticket closes; the board shows it. Once the due time has
passed with the call-back still owed, the SLA sweep tells the supervisors and the duty manager, once
per call-back (app.sla.escalation.callback_round).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement

from app.messaging import notify


def callback_due(now: datetime) -> datetime:
    """When the supervisor's call is due for an answer given at `now`."""
    return now + timedelta(hours=current_app.config["CALLBACK_HOURS"])


def callback_overdue(due_at: datetime | ColumnElement, now: datetime) -> bool | ColumnElement[bool]:
    """Whether a call-back due at `due_at` is late at `now`: from its due time on. One comparison for a
    value (the board marks the call-back overdue) and for the column (the sweep's SQL escalates it), so
    both count the same moment as late."""
    return due_at <= now


def start_callback(ticket, now: datetime) -> None:
    """Set the task's due time and text the team's supervisors (through the outbox)."""
    ticket.callback_due_at = callback_due(now)
    notify.callback_for_supervisors(ticket)

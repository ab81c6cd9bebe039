"""The survey after a resolution: open it from its link, answer it once, close it when nobody answers.

Answers go through the lifecycle (a score: `rate`; "still not fixed": `reopen`), so the web page,
the SMS reply and the tracking page all close or reopen a ticket the same way. Nothing here commits.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale, lazy_gettext as _l
from sqlalchemy import select

from app.core.errors import IllegalTransition, ValidationFailed
from app.core.time import utcnow
from app.extensions import db
from app.intake.tracking import technician_name
from app.satisfaction.links import LinkExpired, LinkInvalid, read_token, resolution_second
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import ActorKind, Status, Ticket, TicketEvent

BATCH = 500  # tickets closed per run: a minute tick stays short, the next tick takes the rest
CHOOSE_SCORE = _l("Choose a score from 1 to 5.")
NOT_FIXED_NOTE = _l("The resident says it is still not fixed.")


class SurveyState(enum.StrEnum):
    OPEN = "open"  # waiting for the answer
    ANSWERED = "answered"  # the resident answered it (score or "not fixed"): thank them, take no second answer
    GONE = "gone"  # closed without an answer, or a later resolution has its own survey


class SurveyNotFound(Exception):
    """No such survey: the link is not one of ours, or its ticket is gone (404)."""


class SurveyExpired(Exception):
    """A genuine link that can no longer be answered (410)."""


@dataclass(frozen=True)
class Survey:
    """One resolution's survey as a resident's link finds it."""

    ticket: Ticket
    state: SurveyState
    resolution: TicketEvent | None  # the resolve event the link was sent for
    answer: TicketEvent | None = None  # the resident's answer, once given

    @property
    def resolution_code(self) -> str | None:
        return (self.resolution.data or {}).get("resolution_code") if self.resolution else None

    @property
    def measured_temp(self) -> Decimal | None:
        value = (self.resolution.data or {}).get("measured_temp") if self.resolution else None
        return Decimal(value) if value else None

    @property
    def reopened(self) -> bool:
        """The answer sent the ticket back for a call-back (a low score, or not fixed)."""
        return self.answer is not None and self.answer.to_status is Status.REOPENED

    def technician(self, language: str) -> str | None:
        return technician_name(self.ticket, language)


def find_survey(token: str) -> Survey:
    """The survey a link opens; SurveyNotFound or SurveyExpired (a link is never an error page of ours)."""
    try:
        reference, second = read_token(token)
    except LinkInvalid as exc:
        raise SurveyNotFound(token) from exc
    except LinkExpired as exc:
        raise SurveyExpired(token) from exc
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
    if ticket is None:
        raise SurveyNotFound(token)
    resolution, later = _events_since_resolution(ticket, second)
    if resolution is None:
        raise SurveyExpired(token)
    if ticket.status is Status.RESOLVED and ticket.resolved_at is not None \
            and resolution_second(ticket.resolved_at) == second:
        return Survey(ticket, SurveyState.OPEN, resolution)
    changes = [e for e in later if e.to_status is not None]
    answer = changes[0] if changes else None
    if answer is not None and answer.actor_kind is ActorKind.RESIDENT and answer.action in ("rate", "reopen") \
            and not any(e.action == "resolve" for e in changes):
        return Survey(ticket, SurveyState.ANSWERED, resolution, answer)
    return Survey(ticket, SurveyState.GONE, resolution)


def _events_since_resolution(ticket: Ticket, second: int) -> tuple[TicketEvent | None, list[TicketEvent]]:
    """The resolve event made at `second`, and every event after it."""
    events = list(ticket.events)
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.action == "resolve" and resolution_second(event.created_at) == second:
            return event, events[index + 1:]
    return None, []


def answer(survey: Survey, *, score: str | None, not_fixed: bool, comment: str,
           now: datetime | None = None) -> TicketEvent:
    """The resident's answer: a score 1–5 (through `rate`), or "still not fixed" (through `reopen`).

    Raises ValidationFailed (field "score" or "comment") or IllegalTransition, changing nothing."""
    if survey.state is not SurveyState.OPEN:
        raise IllegalTransition(_l("This survey has already been answered."))
    now = now or utcnow()
    if not_fixed:
        reason = comment.strip() or _default_reason()
        try:
            return lifecycle.reopen(survey.ticket, Actor.resident(), reason, now=now)
        except ValidationFailed as error:  # the reason is the resident's comment
            raise ValidationFailed({"comment": error.errors.get("reason", error.message)}) from error
    value = (score or "").strip()
    if len(value) != 1 or not value.isdigit():
        raise ValidationFailed({"score": CHOOSE_SCORE})
    return lifecycle.rate(survey.ticket, int(value), comment, Actor.resident(), now=now)


def _default_reason() -> str:
    """The event note when the resident chose "not fixed" without words: for staff, in the desk's language."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return str(NOT_FIXED_NOTE)


def unanswered(now: datetime, limit: int = BATCH) -> list[Ticket]:
    """Resolved tickets whose survey has waited SURVEY_DAYS: one query on the status and resolved_at indexes."""
    cutoff = now - timedelta(days=current_app.config["SURVEY_DAYS"])
    return list(db.session.scalars(
        select(Ticket)
        .where(Ticket.status == Status.RESOLVED, Ticket.resolved_at <= cutoff)
        .order_by(Ticket.resolved_at, Ticket.id)
        .limit(limit)
    ))


def close_unanswered(now: datetime | None = None, limit: int = BATCH) -> int:
    """Close, as "no response", each ticket whose resident never answered the survey; returns how many.

    Run every minute by the worker (app/jobs/periodic.py) and by `flask survey close-unanswered`.
    A closed ticket is no longer resolved, so a second run finds nothing to close twice."""
    now = now or utcnow()
    tickets = unanswered(now, limit)
    for ticket in tickets:
        lifecycle.close_without_response(ticket, Actor.system(), now=now)
    return len(tickets)

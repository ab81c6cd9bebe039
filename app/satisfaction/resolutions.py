"""Keeping the resolution rows: the lifecycle calls these from resolve, rate and reopen.

One row per resolution, counted per company day and month for the satisfaction and reopen reports
(app.satisfaction.resolution_counts, kept from these rows at each flush). The ticket alone cannot
tell them: a low score clears its resolved_at (the ticket is worked again) and a later score
overwrites the first. Functions never commit; they run inside the lifecycle's transitions, where
autoflush is off, so they read the ticket's `resolutions` collection rather than query.
"""
from __future__ import annotations

from datetime import datetime

from app.extensions import db
from app.satisfaction.models import Resolution
from app.tickets.models import Ticket

LOW_SCORES = (1, 2)  # a score that reopens the ticket (app.tickets.lifecycle.rate)
SATISFIED_FROM = 4  # scores 4 and 5 count as satisfied (CSAT)


def latest_resolution(ticket: Ticket) -> Resolution | None:
    """The ticket's most recent resolution, None if it was never resolved (since rows are kept)."""
    return max(ticket.resolutions, key=lambda r: r.resolved_at, default=None)


def record_resolution(ticket: Ticket, now: datetime) -> Resolution:
    """The ticket is resolved at `now`: a survey goes out, counted under who and where resolved it.

    Relationships are read where the lifecycle sets them (assignee, category): their id columns
    are only synchronised at flush."""
    resolution = Resolution(
        ticket=ticket,
        resolved_at=now,
        technician_id=ticket.assignee.id if ticket.assignee is not None else None,
        team_id=ticket.team_id,
        district_id=ticket.district_id,
        category_id=ticket.category.id,
    )
    db.session.add(resolution)
    return resolution


def record_score(ticket: Ticket, score: int, comment: str | None, now: datetime) -> Resolution | None:
    """The resident answered the survey of the latest resolution; a low score also reopens it.

    Call before the ticket's own fields change. None when the ticket has no resolution on record."""
    resolution = latest_resolution(ticket)
    if resolution is None:
        return None
    resolution.score = score
    resolution.comment = comment or None
    resolution.rated_at = now
    if score in LOW_SCORES and resolution.reopened_at is None:
        resolution.reopened_at = now
    return resolution


def record_reopen(ticket: Ticket, now: datetime) -> Resolution | None:
    """The ticket was reopened (from resolved or closed): its latest resolution did not hold.

    Only the first reopen after a resolution counts (a low score may already have reopened it)."""
    resolution = latest_resolution(ticket)
    if resolution is not None and resolution.reopened_at is None:
        resolution.reopened_at = now
    return resolution

"""Keeping the resolution rows: the lifecycle calls these from resolve, rate and reopen.

One row per resolution, and its share of the counts of its company day (resolution_days), which
the satisfaction and reopen reports add up. The ticket alone cannot tell them: a low score clears
its resolved_at (the ticket is worked again) and a later score overwrites the first. Functions never commit; they run inside the lifecycle's transitions, where
autoflush is off, so they read the ticket's `resolutions` collection rather than query.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.core.time import company_zone
from app.extensions import db
from app.satisfaction.models import DAY_COUNTS, DAY_KEYS, NONE, Resolution, ResolutionDay
from app.tickets.models import Ticket

LOW_SCORES = (1, 2)  # a score that reopens the ticket (app.tickets.lifecycle.rate)
SATISFIED_FROM = 4  # scores 4 and 5 count as satisfied (CSAT)


def day_key(resolution: Resolution) -> dict:
    """The resolution's row of resolution_days: its company day and who and where resolved it."""
    return {"day": resolution.resolved_at.astimezone(company_zone()).date(),
            "technician_id": resolution.technician_id or NONE, "team_id": resolution.team_id or NONE,
            "district_id": resolution.district_id or NONE, "category_id": resolution.category_id or NONE}


def day_counts(resolution: Resolution | None) -> dict[str, int]:
    """What one resolution adds to its day's counts (nothing for None)."""
    if resolution is None:
        return dict.fromkeys(DAY_COUNTS, 0)
    return counts_of(resolution.score, resolution.reopened_at)


def counts_of(score: int | None, reopened_at: datetime | None) -> dict[str, int]:
    """What one resolution with this score and reopen adds to the counts of its day or month."""
    return {"resolved": 1, "scored": int(score is not None),
            "satisfied": int(score is not None and score >= SATISFIED_FROM), "score_total": score or 0,
            "reopened": int(reopened_at is not None)}


def count_in_day(resolution: Resolution) -> None:
    """Add a whole resolution to its day's counts (one written without record_resolution)."""
    _add_to_day(resolution, day_counts(None))


def _add_to_day(resolution: Resolution, before: dict[str, int]) -> None:
    """Add the change of the resolution's counts since `before` to its day row, in one upsert."""
    deltas = {name: value - before[name] for name, value in day_counts(resolution).items()}
    if not any(deltas.values()):
        return
    insert_ = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = ResolutionDay.__table__
    statement = insert_(table).values({**day_key(resolution), **deltas})
    db.session.execute(statement.on_conflict_do_update(
        index_elements=list(DAY_KEYS),
        set_={name: table.c[name] + statement.excluded[name] for name, delta in deltas.items() if delta}))


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
    count_in_day(resolution)
    return resolution


def record_score(ticket: Ticket, score: int, comment: str | None, now: datetime) -> Resolution | None:
    """The resident answered the survey of the latest resolution; a low score also reopens it.

    Call before the ticket's own fields change. None when the ticket has no resolution on record."""
    resolution = latest_resolution(ticket)
    if resolution is None:
        return None
    before = day_counts(resolution)
    resolution.score = score
    resolution.comment = comment or None
    resolution.rated_at = now
    if score in LOW_SCORES and resolution.reopened_at is None:
        resolution.reopened_at = now
    _add_to_day(resolution, before)
    return resolution


def record_reopen(ticket: Ticket, now: datetime) -> Resolution | None:
    """The ticket was reopened (from resolved or closed): its latest resolution did not hold.

    Only the first reopen after a resolution counts (a low score may already have reopened it)."""
    resolution = latest_resolution(ticket)
    if resolution is not None and resolution.reopened_at is None:
        before = day_counts(resolution)
        resolution.reopened_at = now
        _add_to_day(resolution, before)
    return resolution

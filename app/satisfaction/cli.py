"""`flask survey close-unanswered`: close the surveys nobody answered (the worker also runs it every minute)."""
from __future__ import annotations

from datetime import datetime

import click

from app.extensions import db


@click.command("close-unanswered")
@click.option("--now", "now_text", default=None,
              help="Pretend it is this moment (ISO 8601, e.g. 2026-11-25T10:00+08:00).")
def close_unanswered_command(now_text: str | None) -> None:
    """Close as "no response" every resolved ticket whose survey has waited SURVEY_DAYS."""
    from app.core.time import utcnow
    from app.satisfaction.survey import BATCH, close_unanswered

    try:
        now = datetime.fromisoformat(now_text) if now_text else utcnow()
    except ValueError as exc:
        raise click.BadParameter("use ISO 8601, e.g. 2026-11-25T10:00+08:00", param_hint="--now") from exc
    if now.tzinfo is None:
        raise click.BadParameter("give the time zone, e.g. +08:00", param_hint="--now")
    total = 0
    while True:  # batch by batch, each committed, until none is left
        closed = close_unanswered(now)
        db.session.commit()
        total += closed
        if closed < BATCH:
            break
    click.echo(f"{total} ticket(s) closed without a response.")

"""`flask survey close-unanswered`: close the surveys nobody answered (the worker also runs it every minute)."""
from __future__ import annotations

import click

from app.extensions import db


@click.command("close-unanswered")
@click.option("--now", "now_text", default=None,
              help="Pretend it is this moment (ISO 8601, e.g. 2026-11-25T10:00+08:00).")
def close_unanswered_command(now_text: str | None) -> None:
    """Close as "no response" every resolved ticket whose survey has waited SURVEY_DAYS."""
    from app.cli import pretend_now
    from app.satisfaction.survey import BATCH, close_unanswered

    now = pretend_now(now_text)
    total = 0
    while True:  # batch by batch, each committed, until none is left
        closed = close_unanswered(now)
        db.session.commit()
        total += closed
        if closed < BATCH:
            break
    click.echo(f"{total} ticket(s) closed without a response.")

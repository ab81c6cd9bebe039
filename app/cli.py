"""Command-line entry points: `flask demo seed`, `flask outbox flush`."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.extensions import db

demo_cli = AppGroup("demo", help="The demonstration data.")
outbox_cli = AppGroup("outbox", help="Notifications waiting in the outbox.")
sla_cli = AppGroup("sla", help="Service commitments: escalations.")


def pretend_now(now_text: str | None):
    """`--now` of the demo's commands: an ISO 8601 moment with its zone, or the real time."""
    from datetime import datetime

    from app.core.time import utcnow

    try:
        now = datetime.fromisoformat(now_text) if now_text else utcnow()
    except ValueError as exc:
        raise click.BadParameter("use ISO 8601, e.g. 2026-11-22T10:00+08:00", param_hint="--now") from exc
    if now.tzinfo is None:
        raise click.BadParameter("give the time zone, e.g. +08:00", param_hint="--now")
    return now


@sla_cli.command("sweep")
@click.option("--now", "now_text", default=None,
              help="Pretend it is this moment (ISO 8601, e.g. 2026-11-22T10:00+08:00): try the demo's escalations.")
def sla_sweep_command(now_text: str | None) -> None:
    """Send every SLA warning and escalation now due, and tell of overdue call-backs, once each (the worker
    also runs this every minute); committed round by round, as the worker does."""
    from app.sla.escalation import catch_up

    sent = catch_up(pretend_now(now_text))
    click.echo(f"{sent} escalation(s) sent.")


@sla_cli.command("refresh-marks")
def sla_refresh_marks_command() -> None:
    """Recompute every open ticket's SLA marks (after changing the escalation settings or upgrading)."""
    from app.sla.service import refresh_all_marks

    count = refresh_all_marks()
    db.session.commit()
    click.echo(f"{count} open ticket(s) refreshed.")


@demo_cli.command("seed")
def seed_command() -> None:
    """Seed the demo once; running it again changes nothing."""
    from app.demo.seed import demo_sign_ins, seed

    if seed():
        db.session.commit()
        click.echo("Demo data created.")
    else:
        click.echo("Demo data already present: nothing changed.")
    click.echo("Demo sign-ins:")
    for role, username, password in demo_sign_ins():
        click.echo(f"  {role}: {username} / {password}")


@outbox_cli.command("flush")
@click.option("--older-than", default=120, show_default=True, help="Seconds a message must have waited.")
def flush_command(older_than: int) -> None:
    """Re-dispatch messages still pending (their job was never enqueued, or it died); start the sweep."""
    from datetime import timedelta

    from app.messaging.relay import flush

    result = flush(older_than=timedelta(seconds=older_than))
    click.echo(f"{result.enqueued} pending message(s) dispatched, {result.already_queued} already queued.")


@click.command("queues")
def queues_command() -> None:
    """Print the rq queue names the worker should listen to (used by `make worker`)."""
    from app.jobs.queue import queue_names

    click.echo(" ".join(queue_names(current_app._get_current_object())))


def init_app(app: Flask) -> None:
    from app.webhooks.cli import sms_cli, voice_cli

    app.cli.add_command(queues_command)
    app.cli.add_command(demo_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(sla_cli)
    app.cli.add_command(sms_cli)
    app.cli.add_command(voice_cli)

"""Command-line entry points: `flask demo seed`, `flask outbox flush`."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.extensions import db

demo_cli = AppGroup("demo", help="The demonstration data.")
outbox_cli = AppGroup("outbox", help="Notifications waiting in the outbox.")


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
    """Re-dispatch messages still pending: their job was never enqueued, or it died."""
    from datetime import timedelta

    from app.jobs.queue import PendingJob, dispatch
    from app.messaging.outbox import stale_pending

    ids = stale_pending(timedelta(seconds=older_than))
    db.session.rollback()
    app = current_app._get_current_object()
    for message_id in ids:
        dispatch(app, PendingJob("app.messaging.delivery.deliver_message", (message_id,),
                                 f"outbox-{message_id}", "default"))
    click.echo(f"{len(ids)} pending message(s) dispatched.")


@click.command("queues")
def queues_command() -> None:
    """Print the rq queue names the worker should listen to (used by `make worker`)."""
    from app.jobs.queue import queue_names

    click.echo(" ".join(queue_names(current_app._get_current_object())))


def init_app(app: Flask) -> None:
    app.cli.add_command(queues_command)
    app.cli.add_command(demo_cli)
    app.cli.add_command(outbox_cli)

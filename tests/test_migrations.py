"""Migrations: one head, and upgrading an empty database gives exactly the models' schema."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from app.extensions import db
from tests.conftest import migration_module


def test_there_is_one_head(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_the_upgraded_database_matches_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        from app.core.schema import include_object  # the same filter as autogenerate

        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_downgrade_to_empty_and_upgrade_again(tmp_path):
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cycle.sqlite3'}"},
                     env={"HEATDESK_ENV": "testing"})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert db.inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade()
        assert "tickets" in db.inspect(db.engine).get_table_names()


# --- 5a7e1c0d9b21: the resolutions rebuilt from the audit trail ------------------------------------

RESOLUTIONS_REVISION = "5a7e1c0d9b21"
RESOLUTION_COLUMNS = ("ticket_id", "resolved_at", "technician_id", "team_id", "district_id", "category_id",
                      "score", "comment", "rated_at", "reopened_at")


def _resolution_rows() -> list[tuple]:
    from sqlalchemy import select

    from app.satisfaction.models import Resolution

    columns = [getattr(Resolution, name) for name in RESOLUTION_COLUMNS]
    return [tuple(row) for row in db.session.execute(select(*columns).order_by(*columns[:2]))]


def test_the_migration_rebuilds_from_the_events_the_rows_the_lifecycle_keeps(ctx, make_ticket, network):
    """The migration's own downgrade and upgrade, run again on the test database (SQLite or PostgreSQL)
    after the lifecycle made: a ticket scored 1, fixed again by another technician and scored 5; one
    closed with 4 and reopened by the resident; one never answered; one never resolved."""
    from datetime import timedelta

    from app.auth.models import User
    from app.tickets import lifecycle
    from app.tickets.lifecycle import Actor
    from tests.conftest import NOW

    wang, li = db.session.get(User, network["wang"]), db.session.get(User, network["li"])

    def fix(ticket, technician, at):
        lifecycle.assign(ticket, technician, Actor.staff(technician), now=at - timedelta(hours=2))
        lifecycle.acknowledge(ticket, Actor.staff(technician), now=at - timedelta(hours=1))
        lifecycle.arrive(ticket, Actor.staff(technician), now=at - timedelta(minutes=30))
        lifecycle.resolve(ticket, Actor.staff(technician), "air_bled", now=at)

    twice, reopened, unanswered = (make_ticket(at=NOW + timedelta(minutes=i)) for i in range(3))
    fix(twice, wang, NOW + timedelta(hours=3))
    lifecycle.rate(twice, 1, "还是不热", now=NOW + timedelta(hours=5))
    fix(twice, li, NOW + timedelta(hours=9))
    lifecycle.rate(twice, 5, now=NOW + timedelta(hours=10))
    fix(reopened, li, NOW + timedelta(hours=4))
    lifecycle.rate(reopened, 4, now=NOW + timedelta(hours=6))
    lifecycle.reopen(reopened, Actor.resident(), "又不热了", now=NOW + timedelta(days=1))
    fix(unanswered, wang, NOW + timedelta(hours=4))
    make_ticket(at=NOW + timedelta(minutes=9))  # never resolved
    db.session.commit()
    kept = _resolution_rows()
    db.session.commit()  # nothing may hold the table while the migration drops it

    migration = migration_module(RESOLUTIONS_REVISION)
    with db.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        migration.downgrade()
        migration.upgrade()  # the table again, filled from the events

    assert _resolution_rows() == kept
    assert [(row[0], row[2], row[6], row[7]) for row in kept] == [
        (twice.id, wang.id, 1, "还是不热"), (twice.id, li.id, 5, None),
        (reopened.id, li.id, 4, None), (unanswered.id, wang.id, None, None)]
    assert kept[0][9] == NOW + timedelta(hours=5) and kept[2][9] == NOW + timedelta(days=1)


# --- 6b8f2d1e0c32: step times and accounts per substation for the season-long reports ------------

ROLLUPS_REVISION = "6b8f2d1e0c32"


def _step_times() -> list[tuple]:
    from sqlalchemy import select

    from app.tickets.models import Ticket

    return [tuple(row) for row in db.session.execute(
        select(Ticket.id, Ticket.respond_seconds, Ticket.on_site_seconds, Ticket.resolve_seconds).order_by(Ticket.id))]


def _account_counts() -> list[tuple]:
    from sqlalchemy import select

    from app.analytics.account_counts import SubstationAccounts

    return [tuple(row) for row in db.session.execute(
        select(SubstationAccounts.substation_id, SubstationAccounts.accounts).order_by(SubstationAccounts.substation_id))]


def rebuilt_by_the_upgrade(tmp_path, revision: str, read):
    """`read()` of the demo as the app kept it (seeded at the head), and again after a downgrade to
    before `revision` and an upgrade, that is as that migration's backfill makes it (SQLite)."""
    from datetime import datetime, timezone

    from app import create_app
    from app.demo.seed import seed

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'rebuilt.sqlite3'}"},
                     env={"HEATDESK_ENV": "testing"})
    with app.app_context():
        upgrade()
        seed(now=datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc))
        db.session.commit()
        kept = read()
        db.session.remove()
        downgrade(revision=migration_module(revision).down_revision)
        upgrade()
        rebuilt = read()
        db.session.remove()
    return kept, rebuilt


def test_upgrading_a_database_with_tickets_fills_their_step_times_and_the_account_counts(tmp_path):
    kept, rebuilt = rebuilt_by_the_upgrade(tmp_path, ROLLUPS_REVISION, lambda: (_step_times(), _account_counts()))

    assert rebuilt == kept
    times, counts = kept
    assert any(seconds is not None for _, _, _, seconds in times) and counts


def test_the_step_time_backfill_gives_what_the_lifecycle_stores(ctx, make_ticket, network):
    """On the test database (SQLite or PostgreSQL): times with microseconds; a ticket scored 1 and
    fixed again (the first resolution counts), one reopened by the resident, one not yet accepted."""
    from datetime import timedelta

    from sqlalchemy import text

    from app.auth.models import User
    from app.tickets import lifecycle
    from app.tickets.lifecycle import Actor
    from tests.conftest import NOW

    wang = Actor.staff(db.session.get(User, network["wang"]))
    odd = timedelta(seconds=7, microseconds=400_000)
    twice, reopened, fresh = (make_ticket(at=NOW + timedelta(minutes=i, microseconds=600_000)) for i in range(3))
    for ticket in (twice, reopened):
        lifecycle.acknowledge(ticket, wang, now=NOW + timedelta(minutes=20) + odd)
        lifecycle.arrive(ticket, wang, now=NOW + timedelta(hours=1) + odd)
        lifecycle.resolve(ticket, wang, "air_bled", now=NOW + timedelta(hours=3) + odd)
    lifecycle.rate(twice, 1, now=NOW + timedelta(hours=4))
    lifecycle.assign(twice, db.session.get(User, network["wang"]), wang, now=NOW + timedelta(hours=5))
    lifecycle.resolve(twice, wang, "valve_adjusted", now=NOW + timedelta(hours=9))
    lifecycle.rate(reopened, 5, now=NOW + timedelta(hours=4))
    lifecycle.reopen(reopened, Actor.resident(), "又不热了", now=NOW + timedelta(days=1))
    db.session.commit()
    kept = _step_times()

    db.session.execute(text("UPDATE tickets SET respond_seconds = NULL, on_site_seconds = NULL, resolve_seconds = NULL"))
    for statement in migration_module(ROLLUPS_REVISION).backfill_statements(db.engine.dialect.name):
        db.session.execute(text(statement))
    db.session.commit()

    assert _step_times() == kept
    # 20 min 6.8 s rounds down to 1206 s; the second ticket was received a minute later
    assert kept == [(twice.id, 1206, 3606, 10806), (reopened.id, 1146, 3546, 10746), (fresh.id, None, None, None)]


# --- 9a1b2c3d4e65: tickets received per company day for the SLA report ----------------------------

RECEIVED_DAYS_REVISION = "9a1b2c3d4e65"


def _received_days() -> list[tuple]:
    from sqlalchemy import select

    from app.analytics.received_days import ReceivedDay

    return [tuple(row) for row in db.session.execute(
        select(ReceivedDay.__table__).where(ReceivedDay.tickets > 0).order_by(*ReceivedDay.__table__.primary_key))]


def test_upgrading_a_database_with_tickets_counts_the_day_rows_the_app_keeps(tmp_path):
    """The demo's tickets, counted live as the seed made them, then the table dropped (downgrade to the
    previous revision) and made again by the upgrade's backfill."""
    kept, rebuilt = rebuilt_by_the_upgrade(tmp_path, RECEIVED_DAYS_REVISION, _received_days)

    assert rebuilt == kept
    assert sum(row[4] for row in kept) > 10 and any(any(row[5:]) for row in kept)  # tickets, and clocks ended


# --- 9b2c3d4e5f76 and 9d4e5f6a7b98: step times per month, resolutions per month -------------------

def _table_rows(model) -> list[tuple]:
    from sqlalchemy import select

    table = model.__table__
    return [tuple(row) for row in db.session.execute(select(table).order_by(*table.primary_key))]


def test_upgrading_a_database_with_tickets_counts_the_step_time_months_the_app_keeps(tmp_path):
    from app.analytics.step_times import StepTimeMonth

    kept, rebuilt = rebuilt_by_the_upgrade(tmp_path, "9b2c3d4e5f76", lambda: [
        row for row in _table_rows(StepTimeMonth) if row[-1]])

    assert rebuilt == kept and len(kept) > 10


def test_upgrading_a_database_with_resolutions_counts_the_resolution_months_the_app_keeps(tmp_path):
    from app.satisfaction.resolution_counts import ResolutionMonth

    kept, rebuilt = rebuilt_by_the_upgrade(tmp_path, "9d4e5f6a7b98", lambda: [
        row for row in _table_rows(ResolutionMonth) if row[5]])

    assert rebuilt == kept and kept

"""Test fixtures: the app on SQLite and fakeredis by default, or on PostgreSQL and Redis.

Set TEST_DATABASE_URL (a PostgreSQL server URL) and TEST_REDIS_URL to run the same suite on the
real services. The suite then creates its own database and drops it afterwards, and prefixes every
Redis key it writes with a run id, deleting them at the end, so parallel runs never meet.
A configured service that cannot be reached fails the run; it is never skipped.
"""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

RUN_ID = f"hdtest-{uuid.uuid4().hex[:10]}-"


# --- services ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    from app.config import normalise_database_url

    server = make_url(normalise_database_url(server_url))
    name = RUN_ID.replace("-", "_").rstrip("_")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    except Exception as exc:  # fail loudly: a configured database must be reachable
        pytest.exit(f"TEST_DATABASE_URL is set but PostgreSQL cannot be used: {exc}", returncode=3)
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_conn():
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        from redis import Redis

        conn = Redis.from_url(url)
        try:
            conn.ping()
        except Exception as exc:
            pytest.exit(f"TEST_REDIS_URL is set but Redis cannot be reached: {exc}", returncode=3)
    else:
        import fakeredis

        conn = fakeredis.FakeRedis()
    yield conn
    _delete_run_keys(conn)


def _delete_run_keys(conn) -> None:
    for key in conn.scan_iter(match=f"*{RUN_ID}*", count=500):
        conn.delete(key)
    for shared in ("rq:queues", "rq:workers"):
        for member in conn.smembers(shared):
            if RUN_ID.encode() in member:
                conn.srem(shared, member)


class IsolatedClient:
    """Mixin for the test client: every request runs in a fresh context, as in production.

    Flask reuses an app context that is already pushed (a test's `ctx`), which would share `g`
    (cached CSRF tokens, the signed-in user) and the database session between the test and its
    requests. The test's own transaction is ended first: what a request should see must be
    committed, and on SQLite an open transaction would hold the write lock against the request.
    """

    def open(self, *args, **kwargs):
        import contextvars

        from flask import has_app_context

        from app.extensions import db

        if has_app_context():
            db.session.rollback()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, redis_conn, tmp_path_factory):
    from flask_migrate import upgrade

    from app import create_app

    overrides = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RQ_QUEUE_PREFIX": RUN_ID,
        "JOB_ID_PREFIX": RUN_ID,
        "RATELIMIT_KEY_PREFIX": RUN_ID + "limits",
        # limiter.reset() after each test clears the storage prefix: make it this run's own.
        "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": RUN_ID + "LIMITS"},
        "RATELIMIT_STORAGE_URI": os.environ.get("TEST_REDIS_URL") or "memory://",
        "SERVER_NAME": "heatdesk.test",
    }
    from app.config import database_options

    overrides["SQLALCHEMY_ENGINE_OPTIONS"] = database_options(database_url)
    os.environ.setdefault("HEATDESK_INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))
    application = create_app(overrides, env={"HEATDESK_ENV": "testing"})
    application.extensions["heatdesk.redis"] = redis_conn
    from flask.testing import FlaskClient

    application.test_client_class = type("TestClient", (IsolatedClient, FlaskClient), {})
    with application.app_context():
        upgrade()  # the real migrations build the schema: they are tested on every run
    yield application
    from app.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_state(request):
    """Every test starts with empty tables, an empty rate limiter and no queued jobs."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    from app.extensions import db, limiter

    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(text(f'DELETE FROM "{table}"'))
        limiter.reset()
    _delete_run_keys(app.extensions["heatdesk.redis"])


@pytest.fixture
def ctx(app):
    """An app and request context for service tests (no HTTP)."""
    with app.test_request_context():
        yield
        from app.extensions import db

        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


# --- jobs -------------------------------------------------------------------------------------

@pytest.fixture
def run_jobs(app, redis_conn):
    """Run every queued job now with a real rq SimpleWorker; returns how many ran."""
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    from app.jobs.queue import get_queue, queue_names

    def run() -> int:
        queues = [get_queue(app, name.removeprefix(RUN_ID)) for name in queue_names(app)]
        count = sum(q.count for q in queues)
        worker = SimpleWorker(queues, connection=redis_conn, serializer=JSONSerializer,
                              name=f"{RUN_ID}worker-{uuid.uuid4().hex[:6]}")
        with app.app_context():
            worker.work(burst=True)
        return count

    return run


@pytest.fixture
def sms_sent(app):
    """A recording SMS gateway in place of the real one; the list of (to, body) it was asked to send."""
    from app.messaging.gateway import SendResult

    sent: list[tuple[str, str]] = []

    class Recorder:
        def send(self, to: str, body: str) -> SendResult:
            sent.append((to, body))
            return SendResult(sent=True, provider_sid=f"SM{len(sent):032d}")

    app.extensions["heatdesk.sms"] = Recorder()
    yield sent
    app.extensions.pop("heatdesk.sms", None)


# --- domain data ------------------------------------------------------------------------------

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # Friday 10:00 in Baotou, in season
RESIDENT_PHONE = "+8613800138000"
STAFF_PASSWORD = "a-long-test-password"


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def network(app):
    """A small city: two districts, each with a team; categories and SLA policies as in the demo."""
    from app.auth.models import Role, User
    from app.customers.lookup import building_key
    from app.customers.models import Building, CustomerAccount, CustomerPhone, District, Substation
    from app.demo.seed import _categories
    from app.extensions import db
    from app.routing.models import Team

    with app.app_context():
        categories = _categories()
        kundulun = District(code="kundulun", name="昆都仑区", name_en="Kundulun")
        qingshan = District(code="qingshan", name="青山区", name_en="Qingshan")
        station = Substation(district=kundulun, code="kdl-1", name="昆都仑区1号换热站")
        station_q = Substation(district=qingshan, code="qs-1", name="青山区1号换热站")
        building = Building(substation=station, name="阿尔丁小区3号楼", key=building_key("阿尔丁小区3号楼"))
        building_q = Building(substation=station_q, name="富强小区1号楼", key=building_key("富强小区1号楼"))
        team = Team(name="昆都仑区维修班组", name_en="Kundulun service team", districts=[kundulun])
        team_q = Team(name="青山区维修班组", name_en="Qingshan service team", districts=[qingshan])
        people = [
            ("wang", "王", "建国", Role.TECHNICIAN, team), ("li", "李", "志强", Role.TECHNICIAN, team),
            ("zhao", "赵", "海涛", Role.SUPERVISOR, team), ("sun", "孙", "晓东", Role.TECHNICIAN, team_q),
            ("agent", "刘", "丽娟", Role.AGENT, None), ("admin", "管", "理员", Role.ADMIN, None),
            ("qian", "钱", "国华", Role.SUPERVISOR, team_q),
        ]
        users = {}
        for username, family, given, role, member_of in people:
            user = User(username=username, family_name=family, given_name=given, role=role, team=member_of)
            user.set_password(STAFF_PASSWORD)
            users[username] = user
            db.session.add(user)
        account = CustomerAccount(account_number="BT00000001", name="张桂兰", building=building, unit="2", flat="301")
        account.phones.append(CustomerPhone(number=RESIDENT_PHONE))
        db.session.add_all([kundulun, qingshan, building, building_q, team, team_q, account])
        db.session.commit()
        ids = {
            "kundulun": kundulun.id, "qingshan": qingshan.id, "team": team.id, "team_q": team_q.id,
            "building": building.id, "account": account.id, "substation": station.id,
            **{name: user.id for name, user in users.items()},
            **{f"category_{code}": c.id for code, c in categories.items()},
        }
    return ids


@pytest.fixture
def complaint(network):
    """Factory for intake input: a valid web complaint about no heat, with any field overridden."""
    from app.intake.service import ComplaintInput
    from app.tickets.models import Channel

    def make(**overrides) -> ComplaintInput:
        values = dict(
            channel=Channel.WEB, name="张桂兰", phone="138 0013 8000", category="no_heat",
            district_id=network["kundulun"], building="阿尔丁小区3号楼", unit="2", flat="301",
            indoor_temp=Decimal("14.5"), description="暖气片冰凉", sms_consent=True,
        )
        values.update(overrides)
        return ComplaintInput(**values)

    return make


@pytest.fixture
def make_ticket(ctx, complaint, now):
    """Factory: a committed ticket made through the intake service (the only way tickets are made)."""
    from app.extensions import db
    from app.intake.service import submit_complaint
    from app.tickets.lifecycle import Actor

    def make(at: datetime | None = None, **overrides):
        ticket = submit_complaint(complaint(**overrides), Actor.resident(), now=at or now)
        db.session.commit()
        return ticket

    return make


# --- staff ------------------------------------------------------------------------------------

def migration_module(revision: str):
    """The migration file of `revision`, loaded as a module (its own backfill and revision ids)."""
    import importlib.util
    from pathlib import Path

    path = next((Path(__file__).parent.parent / "migrations" / "versions").glob(f"{revision}_*.py"))
    spec = importlib.util.spec_from_file_location(f"migration_{revision}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def csrf_token_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def staff_client(app, network):
    """Factory: a test client signed in (through the real sign-in form) as one of the network's users."""

    def sign_in(username: str):
        client = app.test_client()
        page = client.get("/staff/sign-in")
        response = client.post("/staff/sign-in", data={
            "csrf_token": csrf_token_of(page.get_data(as_text=True)),
            "username": username, "password": STAFF_PASSWORD,
        })
        assert response.status_code == 302, f"{username} could not sign in"
        return client

    return sign_in

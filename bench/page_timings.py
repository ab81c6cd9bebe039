"""Server time of the staff pages and of the SLA sweep on a big database (see generate_tickets.py).

    .venv/bin/python bench/page_timings.py --database-url postgresql://postgres@127.0.0.1:5432/heatdesk_bench \\
        [--runs 30] [--warmup 3] [--budget-ms 200] [--only board,queue] [--no-sweep] [--json FILE]
        [--no-pages] [--sweep-now 2026-11-22T02:00+00:00] [--sweep-stamp REVISION]

The app runs in this process with a production configuration (HEATDESK_ENV=production, a random
SECRET_KEY, no Redis, rate limits off, cookies allowed over plain HTTP). A supervisor, an
administrator and an agent sign in through the real sign-in form (CSRF token and all) with Flask's
test client; every page of PAGES is then requested `--warmup` times, then `--runs` times, each
timed around the whole request in process (routing, session, queries, templates; no network).
A page that answers 404 is skipped with a note, so pages not built yet can stay in the table.
For each page: median and p95 ms, SQL statements per request and the time spent in them. For a page
over the budget, the slowest statements of one more request are run again under
EXPLAIN (ANALYZE, BUFFERS) and the plans printed.

The SLA sweep (the worker's periodic SLA entry, app.jobs.periodic.PERIODIC) is timed on a scratch copy
of the database (CREATE DATABASE … TEMPLATE, migrated to head, dropped at the end), each run committed
like the worker's job, so the benchmark database stays as generated: a catch-up at the current time or
at --sweep-now (what became due since the data was generated), five steady one-minute ticks, a burst of
1,000 tickets whose sla_next_check_at is set to the past, and a burst of ~1,000 real escalations (the
sweep run at the moment the next 1,000 fall due). Per run: wall ms, the app process's CPU ms, the SQL
statements and the time spent in them, and the after-commit jobs (dropped, not run).
The copy needs the benchmark database free of other connections for a moment.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/heatdesk_bench"
PASSWORD = "heatdesk-demo"
USERS = {"supervisor": "super1", "admin": "admin", "agent": "agent1"}  # super1: the biggest district's team
SEASON = "start=2025-10-15&end=2026-04-15"

# (name, role, url): {placeholders} are filled from the database (see sample_values). Add pages here.
PAGES: list[tuple[str, str, str]] = [
    ("board: team board (supervisor)", "supervisor", "/desk/board/"),
    ("board: smallest team (admin)", "admin", "/desk/board/?team={small_team}"),
    ("board: the not-dispatched group opened (supervisor)", "supervisor", "/desk/board/?open=unassigned"),
    ("queue: open, newest first", "agent", "/desk/console/queue"),
    ("queue: page 5 (keyset cursor)", "agent", "/desk/console/queue?after={cursor}"),
    ("queue: search name + district", "agent", "/desk/console/queue?q={name}&district={district}"),
    ("queue: search address, any status", "agent", "/desk/console/queue?q={compound}&status=all"),
    ("queue: search phone, any status", "agent", "/desk/console/queue?q={phone}&status=all"),
    ("queue: breached, soonest due", "agent", "/desk/console/queue?sla=breached&sort=due"),
    ("queue: supervisor's districts", "supervisor", "/desk/console/queue"),
    ("lookup: by phone", "agent", "/desk/console/?q={phone}"),
    ("lookup: by account number", "agent", "/desk/console/?q={account_number}"),
    ("lookup: by address", "agent", "/desk/console/?district={account_district}&building={building}"
                                    "&unit={unit}&flat={flat}"),
    ("ticket: most events", "agent", "/desk/tickets/{busy_reference}"),
    ("ticket: typical closed", "supervisor", "/desk/tickets/{typical_reference}"),
    ("live: board", "supervisor", "/desk/live/"),
    ("live: board (admin, whole city)", "admin", "/desk/live/"),
    ("reports: SLA, last 30 days", "supervisor", "/desk/analytics/sla"),
    ("reports: SLA, season 2025-26", "admin", f"/desk/analytics/sla?{SEASON}"),
    ("reports: times, last 30 days", "supervisor", "/desk/analytics/times"),
    ("reports: times, season 2025-26", "admin", f"/desk/analytics/times?{SEASON}"),
    ("reports: satisfaction, season", "admin", f"/desk/analytics/satisfaction?{SEASON}"),
    ("reports: reopens, season", "admin", f"/desk/analytics/reopens?{SEASON}"),
    ("reports: substations, 30 days", "supervisor", "/desk/analytics/substations"),
    ("reports: substations, season", "admin", f"/desk/analytics/substations?{SEASON}"),
    ("reports: SLA CSV, season", "admin", f"/desk/analytics/sla.csv?{SEASON}"),
]
# Pages found in the app under these prefixes (GET, no URL arguments) are added when not listed above.
DISCOVER = (("/desk/live", "supervisor"),)

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


# --- what the database holds, to fill the URLs -----------------------------------------------------

def sample_values(conn) -> dict[str, str]:
    """Real keys to put into the URLs: a busy ticket, a caller with history, a cursor, and so on."""
    from app.console.queue import encode_cursor

    q = lambda sql, **kw: conn.execute(text(sql), kw).first()  # noqa: E731
    values: dict[str, str] = {}
    busy = q("SELECT t.reference FROM tickets t JOIN (SELECT ticket_id, count(*) n FROM ticket_events "
             "WHERE action IN ('call', 'note') GROUP BY ticket_id ORDER BY n DESC LIMIT 1) e ON e.ticket_id = t.id")
    values["busy_reference"] = busy[0]
    team = q("SELECT team_id FROM users WHERE username = :u", u=USERS["supervisor"])[0]
    typical = q("SELECT reference FROM tickets WHERE status = 'closed' AND team_id = :t "
                "ORDER BY id DESC OFFSET 5000 LIMIT 1", t=team)
    values["typical_reference"] = typical[0]
    values["small_team"] = str(q("SELECT team_id FROM tickets WHERE team_id IS NOT NULL GROUP BY team_id "
                                 "ORDER BY count(*) LIMIT 1")[0])
    # A caller with an account and a few tickets: the lookup shows open and past ones.
    caller = q("SELECT t.phone, a.account_number, a.unit, a.flat, b.name, s.district_id FROM tickets t "
               "JOIN customer_accounts a ON a.id = t.account_id JOIN buildings b ON b.id = a.building_id "
               "JOIN substations s ON s.id = b.substation_id WHERE t.status NOT IN ('closed', 'cancelled', 'resolved') "
               "AND t.account_id IN (SELECT account_id FROM tickets WHERE account_id IS NOT NULL "
               "GROUP BY account_id HAVING count(*) >= 4 LIMIT 500) ORDER BY t.id DESC LIMIT 1")
    if caller is None:
        caller = q("SELECT p.number, a.account_number, a.unit, a.flat, b.name, s.district_id "
                   "FROM customer_accounts a JOIN customer_phones p ON p.account_id = a.id "
                   "JOIN buildings b ON b.id = a.building_id JOIN substations s ON s.id = b.substation_id LIMIT 1")
    values.update(phone=caller[0], account_number=caller[1], unit=caller[2], flat=caller[3], building=caller[4],
                  account_district=str(caller[5]))
    open_one = q("SELECT name, district_id FROM tickets WHERE status = 'assigned' AND account_id IS NOT NULL "
                 "ORDER BY id DESC LIMIT 1")
    values["name"], values["district"] = open_one[0], str(open_one[1])
    values["compound"] = re.sub(r"\d+号楼$", "", caller[4])  # e.g. 阳光花园: every building of a compound
    fifth = q("SELECT created_at, id FROM tickets WHERE status IN ('new', 'assigned', 'acknowledged', 'en_route', "
              "'on_site', 'waiting', 'reopened', 'transferred') ORDER BY created_at DESC, id DESC OFFSET 199 LIMIT 1")
    values["cursor"] = encode_cursor((fifth[0], fifth[1]))
    return values


# --- SQL accounting --------------------------------------------------------------------------------

@dataclass
class Recorder:
    """Statements run by the app's engine while `on`: count, time, and (when `keep`) the text."""

    on: bool = False
    keep: bool = False
    count: int = 0
    seconds: float = 0.0
    statements: list = field(default_factory=list)

    def reset(self, keep: bool = False) -> None:
        self.count, self.seconds, self.keep, self.statements = 0, 0.0, keep, []


def install_recorder(engine) -> Recorder:
    recorder = Recorder()

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if not recorder.on:
            return
        elapsed = time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
        recorder.count += 1
        recorder.seconds += elapsed
        if recorder.keep and not executemany:
            recorder.statements.append((elapsed, statement, parameters))

    return recorder


# --- signing in ------------------------------------------------------------------------------------

def signed_in_client(app, username: str):
    client = app.test_client()
    page = client.get("/staff/sign-in")
    match = CSRF_RE.search(page.get_data(as_text=True))
    if page.status_code != 200 or not match:
        raise SystemExit(f"sign-in page: {page.status_code}, token {'found' if match else 'missing'}")
    answer = client.post("/staff/sign-in", data={"username": username, "password": PASSWORD,
                                                 "csrf_token": match.group(1) or match.group(2)})
    if answer.status_code != 302:
        raise SystemExit(f"sign-in as {username} failed: {answer.status_code}")
    return client


# --- pages -----------------------------------------------------------------------------------------

@dataclass
class PageResult:
    name: str
    role: str
    url: str
    status: int | None = None
    note: str = ""
    times_ms: list = field(default_factory=list)
    statements: float = 0.0
    db_ms: float = 0.0
    kbytes: float = 0.0
    plans: list = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(self.times_ms) if self.times_ms else None

    @property
    def p95(self) -> float | None:
        return percentile(self.times_ms, 0.95) if self.times_ms else None


def discovered_pages(app, listed: set[str]) -> list[tuple[str, str, str]]:
    extra = []
    for prefix, role in DISCOVER:
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if rule.rule.startswith(prefix) and "GET" in (rule.methods or ()) and not rule.arguments \
                    and rule.rule not in listed:
                extra.append((f"{prefix.rsplit('/', 1)[-1]}: {rule.rule}", role, rule.rule))
    return extra


def time_page(client, recorder: Recorder, result: PageResult, runs: int, warmup: int, max_seconds: float,
              budget_ms: float, engine) -> None:
    started = time.perf_counter()
    first = client.get(result.url)
    first_ms = (time.perf_counter() - started) * 1000
    result.status = first.status_code
    if first.status_code == 404:
        result.note = "404: not there yet, skipped"
        return
    if first.status_code != 200:
        result.note = f"answered {first.status_code}"
        return
    for _ in range(max(0, warmup - 1)):
        client.get(result.url)
    if first_ms * runs > max_seconds * 1000:  # a slow page: fewer runs, noted
        runs = max(5, int(max_seconds * 1000 / max(first_ms, 1)))
        result.note = f"{runs} runs (slow page)"
    counts, db_seconds = [], []
    size = 0
    for _ in range(runs):
        recorder.reset()
        recorder.on = True
        started = time.perf_counter()
        answer = client.get(result.url)
        body = answer.get_data()
        elapsed = time.perf_counter() - started
        recorder.on = False
        result.times_ms.append(elapsed * 1000)
        counts.append(recorder.count)
        db_seconds.append(recorder.seconds)
        size = len(body)
    result.statements = statistics.median(counts)
    result.db_ms = statistics.median(db_seconds) * 1000
    result.kbytes = size / 1024
    if result.p95 is not None and result.p95 > budget_ms:
        result.plans = explain_slowest(client, recorder, result.url, engine)


def explain_slowest(client, recorder: Recorder, url: str, engine, top: int = 3) -> list[dict]:
    """Run the page once more keeping its statements; EXPLAIN (ANALYZE, BUFFERS) the slowest ones."""
    recorder.reset(keep=True)
    recorder.on = True
    client.get(url)
    recorder.on = False
    slowest = sorted(recorder.statements, key=lambda s: -s[0])[:top]
    plans = []
    with engine.connect() as conn:
        for elapsed, statement, parameters in slowest:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            try:
                rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
                plan = [r[0] for r in rows]
            except Exception as exc:  # noqa: BLE001 - a plan we cannot get is reported, not fatal
                conn.rollback()
                plan = [f"(EXPLAIN failed: {exc})"]
            plans.append({"ms_in_page": round(elapsed * 1000, 1), "statement": statement,
                          "parameters": repr(parameters)[:500], "plan": plan})
        conn.rollback()
    return plans


# --- the SLA sweep ---------------------------------------------------------------------------------

def time_sweep(url, secret: str, instance: str, at: datetime | None = None,
               stamp: str | None = None) -> list[tuple[str, int, int, float, int]]:
    """(what, tickets due, escalations sent, ms, SQL statements) for the sweep scenarios, on a scratch
    copy of the database (CREATE DATABASE … TEMPLATE), then dropped: the benchmark database itself is
    left as generated. Each run is the worker's periodic SLA entry (app.jobs.periodic.PERIODIC), committed
    as the worker commits it. The copy is migrated to head first (`stamp`: a revision to record as applied
    before, so that migrations not ready yet are skipped). `at`: the catch-up moment (default: now)."""
    from flask_migrate import stamp as stamp_revision, upgrade
    from sqlalchemy import create_engine, func, select, update

    from app import create_app
    from app.core.time import utcnow
    from app.extensions import db
    from app.jobs import queue as jobs
    from app.jobs.periodic import PERIODIC
    from app.tickets.models import OPEN_STATUSES, Ticket

    scratch = f"{url.database}_sweep"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        started = time.perf_counter()
        conn.execute(text(f'CREATE DATABASE "{scratch}" TEMPLATE "{url.database}" STRATEGY FILE_COPY'))
        print(f"  (scratch copy {scratch} made in {time.perf_counter() - started:.0f} s)")
    rows: list[tuple[str, int, int, float, int]] = []
    open_states = [s.value for s in OPEN_STATUSES]
    path = next(p for p in PERIODIC if p.startswith("app.sla."))
    module_name, _, name = path.rpartition(".")
    sla_module = __import__(module_name, fromlist=[name])
    periodic_sla = getattr(sla_module, name)
    callbacks = [0, 0.0]  # overdue call-backs told and the time it took, when the code has them

    if hasattr(sla_module, "callback_round"):
        callback_round = sla_module.callback_round

        def timed_callback_round(*args, **kwargs):
            started = time.perf_counter()
            sent, more = callback_round(*args, **kwargs)
            callbacks[0] += sent
            callbacks[1] += time.perf_counter() - started
            return sent, more

        sla_module.callback_round = timed_callback_round
    # What the worker's job does, minus handing the jobs to Redis: without Redis they would run inline at
    # each commit (SMS delivery through the gateway), which is the workers' time, not the sweep's. They are
    # counted and dropped here; the commits themselves are timed.
    dispatched: list[str] = []
    dispatch_job = jobs.dispatch
    jobs.dispatch = lambda app, job: dispatched.append(job.job_id)
    try:
        app = create_app(env={"HEATDESK_ENV": "production", "SECRET_KEY": secret, "RATELIMIT_ENABLED": "false",
                              "DATABASE_URL": url.set(database=scratch).render_as_string(hide_password=False),
                              "HEATDESK_INSTANCE_PATH": instance})

        def due_count(moment: datetime) -> int:
            return db.session.scalar(select(func.count()).select_from(Ticket).where(
                Ticket.sla_next_check_at <= moment, Ticket.status.in_(open_states), Ticket.sla_paused_at.is_(None)))

        def run(label: str, moment: datetime) -> None:
            examined = due_count(moment)
            db.session.commit()
            dispatched.clear()
            callbacks[:] = [0, 0.0]
            recorder.reset()
            recorder.on = True
            started, cpu_started = time.perf_counter(), time.process_time()
            sent = periodic_sla(moment)
            db.session.info.pop(getattr(jobs, "_PENDING", "heatdesk.jobs.pending"), None)
            db.session.info.pop(getattr(jobs, "_PENDING_IDS", "heatdesk.jobs.pending_ids"), None)
            db.session.commit()
            recorder.on = False
            rows.append((label, examined, sent, (time.perf_counter() - started) * 1000, recorder.count))
            cpu_ms = (time.process_time() - cpu_started) * 1000
            print(f"  {label:58} {examined:>7,} {sent:>7,} {rows[-1][3]:>10.1f} {cpu_ms:>10.1f} {recorder.count:>7,}"
                  f" {recorder.seconds * 1000:>8.0f} {len(dispatched):>7,}"
                  + (f"   (of which {callbacks[0]:,} overdue call-backs in {callbacks[1] * 1000:.0f} ms)"
                     if callbacks[0] else ""),
                  flush=True)
            db.session.remove()

        with app.app_context():
            if stamp:
                stamp_revision(revision=stamp)
            upgrade()
            db.session.remove()
            recorder = install_recorder(db.engine)
            now = at or utcnow()
            print(f"  catch-up moment {now.isoformat(timespec='seconds')}; SLA entry {path}")
            print(f"  {'sweep: as the worker runs and commits it':58} {'due':>7} {'sent':>7} {'ms':>10} "
                  f"{'app CPU ms':>10} {'SQL':>7} {'SQL ms':>8} {'jobs':>7}")
            run("catch-up at the current time", now)
            run("nothing due (same moment again)", now)
            for minute in range(1, 6):
                run(f"steady tick: now + {minute} min", now + timedelta(minutes=minute))
            moment = now + timedelta(minutes=5)
            soonest = db.session.scalars(
                select(Ticket.id).where(Ticket.sla_next_check_at > moment, Ticket.status.in_(open_states),
                                        Ticket.sla_paused_at.is_(None))
                .order_by(Ticket.sla_next_check_at).limit(1000)).all()
            db.session.execute(update(Ticket).where(Ticket.id.in_(soonest))
                               .values(sla_next_check_at=moment - timedelta(minutes=1), version=Ticket.version + 1)
                               .execution_options(synchronize_session=False))
            db.session.commit()
            run("burst: 1,000 sla_next_check_at set to the past", moment)
            thousandth = db.session.scalar(
                select(Ticket.sla_next_check_at).where(Ticket.sla_next_check_at > moment,
                                                       Ticket.status.in_(open_states), Ticket.sla_paused_at.is_(None))
                .order_by(Ticket.sla_next_check_at).offset(999).limit(1))
            if thousandth is not None:
                run(f"burst: the next ~1,000 really due (+{(thousandth - now).total_seconds() / 60:.0f} min)",
                    thousandth)
            db.session.remove()
            db.engine.dispose()
    finally:
        jobs.dispatch = dispatch_job
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        admin.dispose()
    return rows


# --- main --------------------------------------------------------------------------------------------

def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))) / 1024 / 1024
    return f"{os.cpu_count()} vCPU ({cpu}), {mem:.0f} GB RAM, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--budget-ms", type=float, default=200.0)
    parser.add_argument("--max-seconds", type=float, default=90.0, help="time spent on one page at most")
    parser.add_argument("--only", default="", help="comma-separated words: pages whose name contains one")
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument("--no-pages", action="store_true", help="time the sweep only")
    parser.add_argument("--sweep-now", default="", help="the sweep's catch-up moment, ISO 8601 with zone "
                        "(default: now); the same moment makes runs of different code comparable")
    parser.add_argument("--sweep-stamp", default="", help="mark the scratch copy as migrated to this revision "
                        "before upgrading it to head (skips migrations that are not ready)")
    parser.add_argument("--json", default="", help="write the figures and plans to this file")
    args = parser.parse_args()

    url = make_url(args.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    instance = tempfile.mkdtemp(prefix="heatdesk-pages-")
    os.environ["HEATDESK_INSTANCE_PATH"] = instance
    from app import create_app
    from app.extensions import db

    secret = secrets.token_urlsafe(32)
    app = create_app(env={"HEATDESK_ENV": "production", "SECRET_KEY": secret,
                          "DATABASE_URL": url.render_as_string(hide_password=False), "RATELIMIT_ENABLED": "false",
                          "SESSION_COOKIE_SECURE": "false", "HEATDESK_INSTANCE_PATH": instance})
    gc.freeze()  # as wsgi.py does in each gunicorn worker: start-up's objects out of the cyclic collector
    with app.app_context():
        engine = db.engine
        with engine.connect() as conn:
            comment = conn.scalar(text("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                                       "WHERE datname = current_database()"))
            counts = conn.execute(text("SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM ticket_events), "
                                       "(SELECT count(*) FROM tickets WHERE status IN ('new', 'assigned', "
                                       "'acknowledged', 'en_route', 'on_site', 'waiting', 'reopened', "
                                       "'transferred'))")).first()
            settings = conn.execute(text("SELECT version(), current_setting('shared_buffers'), "
                                         "current_setting('work_mem')")).first()
            values = sample_values(conn)
    print(f"Machine: {machine()}; load average {os.getloadavg()[0]:.2f} at start")
    print(f"PostgreSQL: {settings[0].split(' on ')[0]}, shared_buffers {settings[1]}, work_mem {settings[2]}")
    print(f"Database {url.database}: {counts[0]:,} tickets ({counts[2]:,} open), {counts[1]:,} events; {comment or ''}")
    print("App: HEATDESK_ENV=production, no Redis (jobs inline), rate limits off, start-up frozen (gc.freeze, as wsgi.py); "
          "in-process test client; "
          f"{args.warmup} warm-up + {args.runs} timed requests per page; budget p95 {args.budget_ms:.0f} ms")
    print()
    results: list[PageResult] = []
    if not args.no_pages:
        recorder = install_recorder(engine)
        clients = {role: signed_in_client(app, username) for role, username in USERS.items()}
        pages = PAGES + discovered_pages(app, {u.split("?")[0] for _, _, u in PAGES})
        wanted = [w.strip().lower() for w in args.only.split(",") if w.strip()]
        header = (f"{'page':40} {'role':10} {'status':>6} {'n':>3} {'median':>8} {'p95':>8} {'max':>8} "
                  f"{'SQL':>4} {'SQL ms':>7} {'KB':>6}")
        print(header)
        for name, role, template in pages:
            if wanted and not any(w in name.lower() for w in wanted):
                continue
            result = PageResult(name, role, template.format(**values))
            time_page(clients[role], recorder, result, args.runs, args.warmup, args.max_seconds, args.budget_ms,
                      engine)
            results.append(result)
            if result.times_ms:
                flag = " OVER" if result.p95 > args.budget_ms else ""
                print(f"{name:40} {role:10} {result.status:>6} {len(result.times_ms):>3} {result.median:>8.1f} "
                      f"{result.p95:>8.1f} {max(result.times_ms):>8.1f} {result.statements:>4.0f} "
                      f"{result.db_ms:>7.1f} {result.kbytes:>6.0f}{flag}"
                      + (f"  ({result.note})" if result.note else ""), flush=True)
            else:
                print(f"{name:40} {role:10} {result.status or '':>6}   -  {result.note}", flush=True)
        print("\nURLs: " + "; ".join(f"{r.name} → {r.url}" for r in results))
        for result in results:
            for plan in result.plans:
                print(f"\n=== {result.name}: a statement taking {plan['ms_in_page']} ms in the page ===")
                print(plan["statement"])
                print(f"-- parameters: {plan['parameters']}")
                print("\n".join(plan["plan"]))
    sweep_rows = []
    if not args.no_sweep:
        print()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # the copy needs the benchmark database free of connections
        sweep_rows = time_sweep(url, secret, instance, datetime.fromisoformat(args.sweep_now) if args.sweep_now
                                else None, args.sweep_stamp or None)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")
    shutil.rmtree(instance, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "database": url.database, "generated": comment, "values": values,
            "pages": [{"name": r.name, "role": r.role, "url": r.url, "status": r.status, "note": r.note,
                       "median_ms": r.median, "p95_ms": r.p95, "times_ms": r.times_ms, "statements": r.statements,
                       "db_ms": r.db_ms, "kbytes": r.kbytes, "plans": r.plans} for r in results],
            "sweep": [{"what": w, "tickets": n, "sent": s, "ms": ms, "statements": q}
                      for w, n, s, ms, q in sweep_rows],
        }, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()

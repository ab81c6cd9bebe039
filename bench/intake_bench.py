"""Intake throughput benchmark: the real resident intake path vs a bare Flask + SQLAlchemy app.

One run (run from the project root):

    .venv/bin/python bench/intake_bench.py [--seconds N] [--concurrency C] [--workers W]

1. creates a fresh PostgreSQL database heatdesk_bench_<id> and a Redis key prefix hdbench-<id>-;
2. `flask db upgrade` + `flask demo seed` into it (FLASK_APP=wsgi, HEATDESK_ENV=production);
3. serves bench/baseline_app.py under gunicorn and loads POST /report (one insert + one rq enqueue);
4. serves wsgi:app under gunicorn with the same settings and loads POST /report with the resident
   web form (session cookie + CSRF token from one GET /report per client connection);
5. checks that the rows/tickets in the database equal the successes counted, prints the table;
6. always (also on error or Ctrl-C): stops gunicorn and the load processes, drops the database,
   deletes the run's Redis keys and the temporary instance folder.

Load: C client processes, each with one keep-alive http.client connection to 127.0.0.1, closed
loop (next request when the previous answered), a warm-up that is not counted, then a fixed
measuring window; every client stops at the end of the window or after --max-requests.
Only responses 302 → /report/received count as successes. Performance is printed, never asserted.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = ROOT / ".venv" / "bin"
TARGET_RATIO = 0.6

CSRF_RE = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


# --- small helpers ------------------------------------------------------------------------------

def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _set_pdeathsig() -> None:
    """Child setup: get SIGTERM if the benchmark itself dies (even by SIGKILL); own process group."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[k]


# --- CPU accounting from /proc (who burnt the 2 cores) --------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> tuple[str, int, float] | None:
    """(comm, ppid, cpu seconds) of a process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1: raw.rindex(")")]
    rest = raw[raw.rindex(")") + 2:].split()
    return comm, int(rest[1]), (int(rest[11]) + int(rest[12])) / CLK_TCK


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def cpu_snapshot(gunicorn_master: int | None, load_pids: list[int], db_name: str) -> dict:
    """CPU seconds so far per process of: our gunicorn, our PostgreSQL backends, Redis, our load
    clients; plus the whole machine. The machine is shared, so only our own processes are counted."""
    procs: dict[int, tuple[str, float]] = {}
    load = set(load_pids)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        st = _proc_stat(pid)
        if st is None:
            continue
        comm, ppid, cpu = st
        if gunicorn_master and (pid == gunicorn_master or ppid == gunicorn_master):
            procs[pid] = ("server", cpu)
        elif comm == "postgres" and db_name in _cmdline(pid):
            procs[pid] = ("postgres", cpu)
        elif comm.startswith("redis-server"):
            procs[pid] = ("redis", cpu)
        elif pid in load:
            procs[pid] = ("loadgen", cpu)
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(x) for x in fields]
    return {"procs": procs, "machine_busy": (sum(ticks) - ticks[3] - ticks[4]) / CLK_TCK}


def cpu_delta(before: dict, after: dict) -> dict[str, float]:
    """CPU used between two snapshots per group (a process that started in between counts whole)."""
    out = {"server": 0.0, "postgres": 0.0, "redis": 0.0, "loadgen": 0.0}
    for pid, (group, cpu) in after["procs"].items():
        out[group] += cpu - before["procs"].get(pid, (group, 0.0))[1]
    out["machine_busy"] = after["machine_busy"] - before["machine_busy"]
    return out


# --- the load generator (runs in child processes) -------------------------------------------------

@dataclass
class ClientResult:
    ok_measured: int = 0
    ok_total: int = 0
    other_status: dict = field(default_factory=dict)
    errors: int = 0
    sent: int = 0
    latencies_ms: list = field(default_factory=list)
    per_second: dict = field(default_factory=dict)  # successes per second of the window
    setup_error: str = ""


def _cookie_from(resp: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    for header in resp.msg.get_all("Set-Cookie") or []:
        name, _, value = header.split(";", 1)[0].partition("=")
        jar[name.strip()] = value.strip()


def _cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def client_main(index: int, kind: str, port: int, fields: dict, times, max_requests: int,
                ready: mp.Queue, go: mp.Event, results: mp.Queue) -> None:
    """One keep-alive connection, closed loop. kind: 'baseline' or 'intake'."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler inherited by fork
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    res = ClientResult()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    jar: dict[str, str] = {}
    form = dict(fields)
    try:
        if kind == "intake":  # one session and CSRF token per client, as one browser would
            conn.request("GET", "/report", headers={"Connection": "keep-alive"})
            resp = conn.getresponse()
            body = resp.read()
            _cookie_from(resp, jar)
            m = CSRF_RE.search(body)
            if resp.status != 200 or not m or "session" not in jar:
                raise RuntimeError(f"GET /report gave {resp.status}, token={'yes' if m else 'no'}, cookies={list(jar)}")
            form["csrf_token"] = (m.group(1) or m.group(2)).decode()
    except Exception as exc:  # report and stop: the parent aborts the run
        res.setup_error = f"client {index}: {exc!r}"
        ready.put(index)
        results.put((index, res))
        return
    ready.put(index)
    go.wait()
    warm_end, end = times[0], times[1]
    serial = 0
    while res.sent < max_requests:
        now = time.monotonic()
        if now >= end:
            break
        serial += 1
        # a unique valid Chinese mobile per request: 138 + client(2 digits) + serial(6 digits)
        form["phone"] = f"138{index % 100:02d}{serial % 1_000_000:06d}"
        body = urllib.parse.urlencode(form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Connection": "keep-alive"}
        if jar:
            headers["Cookie"] = _cookie_header(jar)
        t0 = time.perf_counter()
        res.sent += 1
        try:
            conn.request("POST", "/report", body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
        except (OSError, http.client.HTTPException):
            res.errors += 1
            conn.close()  # reconnects on the next request
            continue
        elapsed_ms = (time.perf_counter() - t0) * 1000
        done = time.monotonic()
        location = resp.getheader("Location", "") or ""
        if kind == "intake":
            _cookie_from(resp, jar)  # the session changes on every complaint, as in a browser
        if resp.status == 302 and location.endswith("/report/received"):
            res.ok_total += 1
            if now >= warm_end and done <= end:
                res.ok_measured += 1
                res.latencies_ms.append(elapsed_ms)
                sec = int(done - warm_end)
                res.per_second[sec] = res.per_second.get(sec, 0) + 1
        else:
            res.other_status[resp.status] = res.other_status.get(resp.status, 0) + 1
    conn.close()
    results.put((index, res))


# --- the benchmark ---------------------------------------------------------------------------------

@dataclass
class Phase:
    name: str
    ok: int = 0
    ok_total: int = 0
    sent: int = 0
    errors: int = 0
    other: dict = field(default_factory=dict)
    seconds: float = 0.0
    lat: list = field(default_factory=list)
    cpu: dict = field(default_factory=dict)
    db_rows: int | None = None
    jobs_queued: int | None = None
    per_second: dict = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def halves(self) -> tuple[float, float]:
        """req/s in the first and the second half of the window (drift as the tables grow)."""
        mid = int(self.seconds) // 2
        first = sum(n for sec, n in self.per_second.items() if sec < mid)
        second = sum(n for sec, n in self.per_second.items() if sec >= mid)
        return first / mid if mid else 0.0, second / (self.seconds - mid) if self.seconds > mid else 0.0

    @classmethod
    def merge(cls, name: str, phases: list["Phase"]) -> "Phase":
        out = cls(name)
        for ph in phases:
            out.ok += ph.ok
            out.ok_total += ph.ok_total
            out.sent += ph.sent
            out.errors += ph.errors
            out.seconds += ph.seconds
            out.lat.extend(ph.lat)
            for k, v in ph.other.items():
                out.other[k] = out.other.get(k, 0) + v
            for k, v in ph.cpu.items():
                out.cpu[k] = out.cpu.get(k, 0.0) + v
        out.lat.sort()
        return out


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.run_id = uuid.uuid4().hex[:10]
        self.db_name = f"heatdesk_bench_{self.run_id}"
        self.prefix = f"hdbench-{self.run_id}-"
        self.tmp = Path(tempfile.mkdtemp(prefix=f"hdbench-{self.run_id}-"))
        self.gunicorns: list[subprocess.Popen] = []
        self.clients: list[mp.Process] = []
        self.spies: list[subprocess.Popen] = []
        self.app_root = Path(args.app_root).resolve() if args.app_root else ROOT
        self.open_tickets: list[int] = []
        self.db_created = False
        self.redis = None
        self.redis_keys_before: int | None = None
        admin = args.pg_url.rstrip("/")
        self.admin_url = admin.rsplit("/", 1)[0] + "/postgres" if admin.count("/") > 2 else admin + "/postgres"
        self.db_url = self.admin_url.rsplit("/", 1)[0] + "/" + self.db_name

    # environment shared by flask CLI and both gunicorns
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HEATDESK_", "FLASK_", "RATELIMIT_"))}
        env.update({
            "FLASK_APP": "wsgi",
            "HEATDESK_ENV": "production",
            "SECRET_KEY": "bench-" + uuid.uuid4().hex,
            "DATABASE_URL": self.db_url,
            "REDIS_URL": self.args.redis_url,
            "RQ_QUEUE_PREFIX": self.prefix,
            "JOB_ID_PREFIX": self.prefix,
            "RATELIMIT_ENABLED": "true" if self.args.rate_limits else "false",
            "RATELIMIT_KEY_PREFIX": self.prefix + "limits",
            "SESSION_COOKIE_SECURE": "false",  # plain HTTP on 127.0.0.1
            "HEATDESK_INSTANCE_PATH": str(self.tmp / "instance"),
            "PYTHONUNBUFFERED": "1",
        })
        if self.args.rate_limits:  # the limiter's Redis work, with limits one address cannot reach here
            env.update({"LIMIT_COMPLAINT_PER_ADDRESS": "100000000/hour", "LIMIT_COMPLAINT_PER_PHONE": "5/hour;10/day",
                        "RATELIMIT_STORAGE_URI": self.args.redis_url})
        return env

    # --- setup / teardown ----------------------------------------------------------------------
    def setup(self) -> None:
        import psycopg
        from redis import Redis

        self.redis = Redis.from_url(self.args.redis_url)
        self.redis.ping()
        self.redis_keys_before = self.redis.dbsize()
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {self.db_name} ENCODING 'UTF8' TEMPLATE template0")
        self.db_created = True
        log(f"database {self.db_name}, Redis prefix {self.prefix}, temp {self.tmp}")
        flask = str(VENV_BIN / "flask")
        for cmd in ([flask, "db", "upgrade"], [flask, "demo", "seed"]):
            proc = subprocess.run(cmd, cwd=self.app_root, env=self.env(), capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd[1:])} failed:\n{proc.stdout}\n{proc.stderr}")
        log("migrated and seeded")
        sys.path.insert(0, str(BENCH))
        import baseline_app

        baseline_app.create_schema(self.sqlalchemy_url())

    def sqlalchemy_url(self) -> str:
        return "postgresql+psycopg://" + self.db_url.split("://", 1)[1]

    def query(self, sql: str, params=()):
        import psycopg

        with psycopg.connect(self.db_url) as conn:
            return conn.execute(sql, params).fetchall()

    def teardown(self) -> None:
        for spy in self.spies:
            if spy.poll() is None:
                spy.terminate()
                try:
                    spy.wait(5)
                except subprocess.TimeoutExpired:
                    spy.kill()
        for proc in self.clients:
            if proc.is_alive():
                proc.terminate()
        for proc in self.clients:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
        for proc in list(self.gunicorns):
            self.stop_gunicorn(proc)
        if self.db_created:
            try:
                import psycopg

                with psycopg.connect(self.admin_url, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)")
                log(f"dropped database {self.db_name}")
            except Exception as exc:
                log(f"WARNING: could not drop database {self.db_name}: {exc!r}")
        if self.redis is not None:
            try:
                deleted = 0
                for key in self.redis.scan_iter(match=f"*{self.prefix}*", count=1000):
                    deleted += self.redis.delete(key)
                for shared in self.redis.scan_iter(match="rq:*", count=1000, _type="SET"):
                    for member in self.redis.smembers(shared):
                        if self.prefix.encode() in member:
                            self.redis.srem(shared, member)
                after = self.redis.dbsize()
                log(f"deleted {deleted} Redis keys (db size before run {self.redis_keys_before}, now {after})")
            except Exception as exc:
                log(f"WARNING: Redis cleanup failed: {exc!r}")
        if self.args.keep_logs:
            log(f"kept gunicorn logs in {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # --- gunicorn --------------------------------------------------------------------------------
    def start_gunicorn(self, app: str, chdir: Path, port: int, label: str,
                       extra_env: dict | None = None) -> subprocess.Popen:
        a = self.args
        cmd = [str(VENV_BIN / "gunicorn"), app, "--chdir", str(chdir), "--bind", f"127.0.0.1:{port}",
               "--workers", str(a.workers), "--worker-class", a.worker_class, "--threads", str(a.threads),
               "--keep-alive", "5", "--backlog", "256", "--timeout", "60", "--graceful-timeout", "5",
               "--log-level", "warning", "--error-logfile", str(self.tmp / f"{label}.log")]
        with open(self.tmp / f"{label}.log", "ab") as out:  # the app's own log records go to stderr
            proc = subprocess.Popen(cmd, cwd=chdir, env={**self.env(), **(extra_env or {})}, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True, preexec_fn=_set_pdeathsig)
        self.gunicorns.append(proc)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn {label} exited:\n{self.log_tail(label)}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/report")
                conn.getresponse().read()
                conn.close()
                # let every worker finish booting (each imports the app itself: no --preload)
                if self.gunicorn_workers(proc.pid) >= a.workers:
                    return proc
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn {label} did not answer in 60 s:\n{self.log_tail(label)}")

    @staticmethod
    def gunicorn_workers(master: int) -> int:
        count = 0
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                st = _proc_stat(int(entry))
                if st and st[1] == master:
                    count += 1
        return count

    def log_tail(self, label: str) -> str:
        try:
            return "\n".join((self.tmp / f"{label}.log").read_text().splitlines()[-30:])
        except OSError:
            return "(no log)"

    def stop_gunicorn(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # its own session: the master and its workers only
            except ProcessLookupError:
                pass
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(5)
        if proc in self.gunicorns:
            self.gunicorns.remove(proc)

    def start_py_spy(self, name: str, master: int) -> subprocess.Popen:
        """Sample the gunicorn workers for the measuring window (raw collapsed stacks)."""
        out = Path(self.args.profile)
        out.mkdir(parents=True, exist_ok=True)
        target = out / f"{name}-{self.args.profile_mode}-{self.run_id}.txt"
        cmd = [str(VENV_BIN / "py-spy"), "record", "--pid", str(master), "--subprocesses", "--nonblocking",
               "--format", "raw", "--rate", "100", "--duration", str(int(self.args.seconds)), "--output", str(target)]
        if self.args.profile_mode == "cpu":
            cmd.insert(2, "--gil")  # only samples holding the GIL: where the CPU goes, not the waits
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_set_pdeathsig)
        self.spies.append(proc)
        log(f"py-spy sampling the intake workers into {target}")
        return proc

    # --- one measured phase --------------------------------------------------------------------------
    def measure(self, name: str, kind: str, port: int, master: int, fields: dict) -> Phase:
        a = self.args
        ctx = mp.get_context("fork")
        ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
        times = ctx.Array("d", [0.0, 0.0], lock=False)
        self.clients = [
            ctx.Process(target=client_main, name=f"load-{name}-{i}", daemon=True,
                        args=(i, kind, port, fields, times, a.max_requests, ready, go, results))
            for i in range(a.concurrency)
        ]
        for proc in self.clients:
            proc.start()
        for _ in self.clients:
            ready.get(timeout=60)
        start = time.monotonic()
        times[0], times[1] = start + a.warmup, start + a.warmup + a.seconds
        go.set()
        log(f"{name}: {a.concurrency} clients, warm-up {a.warmup:g} s, measuring {a.seconds:g} s")
        time.sleep(max(0.0, times[0] - time.monotonic()))
        cpu0 = cpu_snapshot(master, [p.pid for p in self.clients], self.db_name)
        spy = self.start_py_spy(name, master) if a.profile and kind == "intake" else None
        time.sleep(max(0.0, times[1] - time.monotonic()))
        cpu1 = cpu_snapshot(master, [p.pid for p in self.clients], self.db_name)
        phase = Phase(name, seconds=a.seconds)
        phase.cpu = cpu_delta(cpu0, cpu1)
        if spy is not None:
            try:
                spy.wait(30)
            except subprocess.TimeoutExpired:
                spy.terminate()
        setup_errors = []
        for _ in self.clients:
            _i, res = results.get(timeout=90)
            if res.setup_error:
                setup_errors.append(res.setup_error)
            phase.ok += res.ok_measured
            phase.ok_total += res.ok_total
            phase.sent += res.sent
            phase.errors += res.errors
            for status, n in res.other_status.items():
                phase.other[status] = phase.other.get(status, 0) + n
            phase.lat.extend(res.latencies_ms)
            for sec, n in res.per_second.items():
                phase.per_second[sec] = phase.per_second.get(sec, 0) + n
        for proc in self.clients:
            proc.join(10)
        self.clients = []
        if setup_errors:
            raise RuntimeError("load clients could not start:\n" + "\n".join(setup_errors))
        phase.lat.sort()
        return phase

    # --- the run ---------------------------------------------------------------------------------
    def queued(self) -> int:
        return sum(self.redis.llen(f"rq:queue:{self.prefix}{q}") for q in ("default", "urgent"))

    def note_open_tickets(self, district_id: int) -> None:
        """Open tickets of the district's team: intake counts them under the team lock (see README)."""
        n = self.query(
            "SELECT count(*) FROM tickets t JOIN team_districts td ON td.team_id = t.team_id "
            "WHERE td.district_id = %s AND t.status NOT IN ('resolved', 'closed', 'cancelled')", (district_id,))[0][0]
        self.open_tickets.append(n)

    def run(self) -> tuple[list[Phase], list[Phase]]:
        self.setup()
        row = self.query(
            "SELECT b.name, s.district_id FROM buildings b JOIN substations s ON s.id = b.substation_id "
            "JOIN team_districts td ON td.district_id = s.district_id ORDER BY b.id LIMIT 1")
        building, district_id = row[0]
        fields = {
            "name": "王建国", "account_number": "", "district": str(district_id), "building": building,
            "unit": "2", "flat": "301", "category": "no_heat", "indoor_temp": "15.5",
            "description": "暖气片不热，家里有老人。", "sms_consent": "y",
        }
        log(f"form: district {district_id}, building {building!r}, unit 2, flat 301, category no_heat")
        self.tickets_before = self.query("SELECT count(*) FROM tickets")[0][0]
        self.outbox_before = self.query("SELECT count(*) FROM outbox_messages")[0][0]
        bases, intakes, self.whatifs = [], [], []
        self.base_jobs = self.intake_jobs = 0
        for rnd in range(1, self.args.rounds + 1):
            suffix = f"#{rnd}" if self.args.rounds > 1 else ""
            jobs_before = self.queued()  # the seed's own notifications are already queued
            port = free_port()
            proc = self.start_gunicorn("baseline_app:app", BENCH, port, f"baseline{rnd}")
            bases.append(self.measure("baseline" + suffix, "baseline", port, proc.pid, fields))
            self.stop_gunicorn(proc)
            self.base_jobs += self.queued() - jobs_before

            jobs_before = self.queued()
            self.note_open_tickets(district_id)
            port = free_port()
            proc = self.start_gunicorn("wsgi:app", self.app_root, port, f"intake{rnd}")
            intakes.append(self.measure("intake" + suffix, "intake", port, proc.pid, fields))
            self.stop_gunicorn(proc)
            self.intake_jobs += self.queued() - jobs_before

            if self.args.whatif:  # the app plus the suggested fixes (bench/whatif_app.py)
                jobs_before = self.queued()
                self.note_open_tickets(district_id)
                port = free_port()
                proc = self.start_gunicorn("whatif_app:app", self.app_root, port, f"whatif{rnd}",
                                           {"HEATDESK_WHATIF": self.args.whatif, "HEATDESK_APP_ROOT": str(self.app_root),
                                            "PYTHONPATH": f"{self.app_root}:{BENCH}"})
                self.whatifs.append(self.measure("what-if" + suffix, "intake", port, proc.pid, fields))
                self.stop_gunicorn(proc)
                self.intake_jobs += self.queued() - jobs_before
        self.note_open_tickets(district_id)
        self.base_rows = self.query("SELECT count(*) FROM baseline_complaints")[0][0]
        self.intake_rows = self.query("SELECT count(*) FROM tickets")[0][0] - self.tickets_before
        self.outbox_new = self.query("SELECT count(*) FROM outbox_messages")[0][0] - self.outbox_before
        self.assigned = self.query("SELECT count(*) FROM tickets WHERE status = 'assigned'")[0][0]
        return bases, intakes

    def report(self, bases: list[Phase], intakes: list[Phase]) -> bool:
        a = self.args
        ncpu = os.cpu_count() or 1
        rows = []
        for n, (b, i) in enumerate(zip(bases, intakes)):
            rows += [b, i] + ([self.whatifs[n]] if self.whatifs else [])
        base, intake = Phase.merge("BASELINE", bases), Phase.merge("INTAKE", intakes)
        whatif = Phase.merge("WHAT-IF", self.whatifs) if self.whatifs else None
        if len(bases) > 1:
            rows += [base, intake] + ([whatif] if whatif else [])
        ratio = intake.rps / base.rps if base.rps else float("nan")
        line = "-" * 118
        print()
        print(f"Heatdesk intake benchmark  {datetime.now():%Y-%m-%d %H:%M}  ({ncpu} CPUs, "
              f"python {sys.version.split()[0]}, git {self.git_state()})")
        print(f"gunicorn (both apps): --workers {a.workers} --worker-class {a.worker_class} --threads {a.threads}; "
              f"load: {a.concurrency} keep-alive clients, warm-up {a.warmup:g} s, window {a.seconds:g} s, "
              f"{a.rounds} round(s); rate limits {'ON' if a.rate_limits else 'off'}")
        print(line)
        print(f"{'phase':<12}{'req/s':>8}{'1st/2nd half':>14}{'ok':>7}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
              f"{'non-ok':>7}{'err':>4} | CPU ms/req: server    pg redis  load | other procs")
        for ph in rows:
            cpu = {k: (v * 1000 / ph.ok if ph.ok else float("nan")) for k, v in ph.cpu.items()}
            ours = sum(ph.cpu[k] for k in ("server", "postgres", "redis", "loadgen"))
            other = max(0.0, ph.cpu["machine_busy"] - ours) / ph.seconds / ncpu * 100
            halves = "%6.0f/%-6.0f" % ph.halves() if ph.per_second else ""
            print(f"{ph.name:<12}{ph.rps:>8.1f}{halves:>14}{ph.ok:>7}{percentile(ph.lat, .5):>8.1f}"
                  f"{percentile(ph.lat, .95):>8.1f}{percentile(ph.lat, .99):>8.1f}"
                  f"{sum(ph.other.values()):>7}{ph.errors:>4} | {cpu['server']:>17.2f}{cpu['postgres']:>6.2f}"
                  f"{cpu['redis']:>6.2f}{cpu['loadgen']:>6.2f} | {other:>5.0f}% CPU")
        print(line)
        status = "MET" if ratio >= TARGET_RATIO else "NOT MET"
        round_ratios = [i.rps / b.rps for b, i in zip(bases, intakes) if b.rps]
        per_round = ", ".join(f"{r:.3f}" for r in round_ratios)
        median = f", median {statistics.median(round_ratios):.3f}" if len(round_ratios) > 2 else ""
        print(f"ratio intake/baseline = {ratio:.3f}   (per round: {per_round}{median})   "
              f"target >= {TARGET_RATIO}  -> {status}")
        if whatif is not None:
            print(f"what-if (app + {self.args.whatif}): ratio {whatif.rps / base.rps:.3f} "
                  f"(x{whatif.rps / intake.rps:.2f} the app as is) -- an estimate of the suggested fixes, not the app")
        if base.other or intake.other or base.errors or intake.errors:
            print(f"non-302 answers: baseline {base.other} intake {intake.other}; "
                  f"connection errors: baseline {base.errors} intake {intake.errors}")
        print(f"open tickets of the form's team before each intake phase, and at the end: {self.open_tickets}")
        busiest = max(max(0.0, ph.cpu["machine_busy"] - sum(ph.cpu[k] for k in ("server", "postgres", "redis", "loadgen")))
                      / ph.seconds / ncpu * 100 for ph in rows)
        if busiest > 10:
            print(f"WARNING: other processes used up to {busiest:.0f}% of the machine during a window: "
                  f"the figures (and, if it differed between phases, the ratio) are disturbed. Re-run on a quiet machine.")
        checks = [
            ("baseline rows in DB == baseline successes", self.base_rows, base.ok_total),
            ("baseline rq jobs queued == baseline successes", self.base_jobs, base.ok_total),
            ("new tickets in DB == intake successes", self.intake_rows,
             intake.ok_total + (whatif.ok_total if whatif else 0)),
        ]
        all_ok = True
        for label, got, want in checks:
            good = got == want
            all_ok &= good
            print(f"check: {label}: {got} vs {want}  {'OK' if good else 'MISMATCH'}")
        print(f"info: intake wrote {self.outbox_new} outbox messages and queued {self.intake_jobs} rq jobs "
              f"for {self.intake_rows} tickets; {self.assigned} tickets are auto-assigned")
        print("note: 'other procs' = CPU used by processes not part of this benchmark (the machine is shared); "
              "successes counted only for 302 -> /report/received")
        if a.json:
            out = {
                "date": datetime.now().isoformat(timespec="seconds"), "cpus": ncpu, "git": self.git_state(),
                "settings": {k: v for k, v in vars(a).items() if k != "json"},
                "ratio": ratio, "target": TARGET_RATIO, "checks_ok": all_ok,
                "phases": [{"name": ph.name, "rps": ph.rps, "halves": ph.halves() if ph.per_second else None,
                            "ok": ph.ok, "ok_total": ph.ok_total, "p50_ms": percentile(ph.lat, .5),
                            "p95_ms": percentile(ph.lat, .95), "p99_ms": percentile(ph.lat, .99),
                            "non_ok": ph.other, "errors": ph.errors, "cpu_s": ph.cpu} for ph in rows],
            }
            Path(a.json).parent.mkdir(parents=True, exist_ok=True)
            Path(a.json).write_text(json.dumps(out, indent=2, default=str))
            print(f"json written to {a.json}")
        return all_ok

    def git_state(self) -> str:
        try:
            if self.app_root != ROOT:
                return f"snapshot {self.app_root}"
            head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                  text=True).stdout.strip()
            dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "app"], cwd=ROOT,
                                   capture_output=True, text=True).stdout.strip()
            return head + ("+uncommitted app changes" if dirty else "")
        except OSError:
            return "?"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=20, help="measuring window per phase (default 20)")
    p.add_argument("--warmup", type=float, default=5, help="warm-up before the window, not counted (default 5)")
    p.add_argument("--concurrency", type=int, default=8, help="load client processes = connections (default 8)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    p.add_argument("--worker-class", default="gthread", choices=("sync", "gthread"), help="default gthread")
    p.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    p.add_argument("--rounds", type=int, default=1, help="baseline/intake pairs, interleaved (default 1)")
    p.add_argument("--whatif", metavar="PATCHES", nargs="?", const="refresh,choices,savepoint,team,preping",
                   help="also measure bench/whatif_app.py: the app with the suggested fixes imitated "
                        "(default all: refresh,choices,savepoint,team,preping)")
    p.add_argument("--rate-limits", action="store_true",
                   help="keep Flask-Limiter on (Redis storage, per-address limit raised out of reach) to see its cost; "
                        "default off, as the standard's intake path is measured without it")
    p.add_argument("--max-requests", type=int, default=200_000, help="cap per client per phase")
    p.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    p.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    p.add_argument("--profile", metavar="DIR", help="py-spy the intake workers during the window; "
                   "collapsed stacks go to DIR (figures of a profiled run are slightly lower)")
    p.add_argument("--profile-mode", choices=("cpu", "wall"), default="cpu",
                   help="cpu: only samples holding the GIL (default); wall: every busy thread, waits included")
    p.add_argument("--app-root", metavar="DIR", help="serve the Heatdesk tree in DIR (e.g. a `git archive` "
                   "snapshot with compiled catalogs) instead of this checkout; this checkout's .venv is used")
    p.add_argument("--keep-logs", action="store_true", help="keep the temp folder with the gunicorn error logs")
    p.add_argument("--json", help="also write the figures to this JSON file (e.g. bench/results/run.json)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker_class == "sync":
        args.threads = 1

    def _terminate(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started with SIGINT ignored
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    bench = Bench(args)
    try:
        bases, intakes = bench.run()
        ok = bench.report(bases, intakes)
        return 0 if ok else 2
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        return 130
    except Exception as exc:
        log(f"FAILED: {exc}")
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip the cleanup
        bench.teardown()
        signal.signal(signal.SIGINT, signal.default_int_handler)


if __name__ == "__main__":
    sys.exit(main())

"""Server time of the Twilio webhooks on PostgreSQL: p50 / p99 / max of /twilio/sms and /twilio/voice.

Twilio gives up after 15 s and retries; the issue asks for p99 well under 2 s. Runs the real app
in-process (no network hop, so this is the handler's own time) against a fresh PostgreSQL database
seeded with the demo, which it drops afterwards.

    .venv/bin/python bench/webhook_latency.py [--requests 300] [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    server = make_url(args.pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"heatdesk_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''))
    try:
        run(server.set(database=name).render_as_string(hide_password=False), args.requests)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(database_url: str, requests: int) -> None:
    os.environ.setdefault("HEATDESK_INSTANCE_PATH", f"/tmp/heatdesk-bench-{uuid.uuid4().hex[:6]}")
    from flask_migrate import upgrade

    from app import create_app
    from app.demo.seed import seed
    from app.extensions import db
    from app.webhooks.twilio import DEV_AUTH_TOKEN, sign

    app = create_app(env={"HEATDESK_ENV": "development", "SECRET_KEY": "bench", "DATABASE_URL": database_url,
                          "RATELIMIT_ENABLED": "false", "HEATDESK_INSTANCE_PATH": os.environ["HEATDESK_INSTANCE_PATH"]})
    with app.app_context():
        upgrade()
        seed()
        db.session.commit()
    client = app.test_client()
    base = "http://localhost"

    def post(path: str, params: dict) -> float:
        headers = {"X-Twilio-Signature": sign(base + path, params, DEV_AUTH_TOKEN)}
        started = time.perf_counter()
        response = client.post(path, data=params, headers=headers)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:200])
        return elapsed * 1000

    scenarios = {
        "sms: complaint from a known number": lambda n: post("/twilio/sms", {
            "MessageSid": f"SM{uuid.uuid4().hex}", "From": f"+86138{1 + n % 200:08d}", "To": "+10000000000",
            "Body": "暖气不热，家里只有15度"}),
        "sms: 查询 (status)": lambda n: post("/twilio/sms", {
            "MessageSid": f"SM{uuid.uuid4().hex}", "From": f"+86138{1 + n % 200:08d}", "To": "+10000000000",
            "Body": "查询"}),
        "sms: replayed MessageSid": lambda n: post("/twilio/sms", {
            "MessageSid": "SMreplayed", "From": "+8613800000001", "To": "+10000000000", "Body": "查询"}),
        "voice: greeting": lambda n: post("/twilio/voice", {
            "CallSid": f"CA{uuid.uuid4().hex}", "From": f"+86138{1 + n % 200:08d}", "To": "+10000000000"}),
    }
    print(f"{'scenario':40} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for label, call in scenarios.items():
        for n in range(10):
            call(n)  # warm up
        times = [call(n) for n in range(requests)]
        print(f"{label:40} {len(times):5d} {statistics.median(times):8.1f} {percentile(times, 0.99):8.1f} "
              f"{max(times):8.1f}")


if __name__ == "__main__":
    main()

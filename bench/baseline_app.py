"""The yardstick for the intake benchmark: a bare Flask + SQLAlchemy app.

One POST route inserts one row (a few text columns) into PostgreSQL with SQLAlchemy and
enqueues one rq job (JSON serializer) to Redis after the commit, then redirects (302).
No CSRF, no templates, no extensions. Served as `gunicorn baseline_app:app` from bench/.

Environment: DATABASE_URL (PostgreSQL), REDIS_URL, RQ_QUEUE_PREFIX, JOB_ID_PREFIX
(the same variables the real app reads).
"""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone

from flask import Flask, redirect, request
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import DateTime, String, Text, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Complaint(Base):
    __tablename__ = "baseline_complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(20))
    building: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def noop_job(complaint_id: int) -> None:
    """The trivial job (never run by the benchmark: no worker listens)."""


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def create_schema(url: str | None = None) -> None:
    """Create the one table (the benchmark calls this once, before gunicorn starts)."""
    engine = create_engine(url or _database_url())
    Base.metadata.create_all(engine)
    engine.dispose()


engine = create_engine(_database_url(), pool_size=10, max_overflow=10) if os.environ.get("DATABASE_URL") else None
redis = Redis.from_url(os.environ["REDIS_URL"]) if os.environ.get("REDIS_URL") else None
QUEUE_NAME = os.environ.get("RQ_QUEUE_PREFIX", "baseline-") + "default"
JOB_ID_PREFIX = os.environ.get("JOB_ID_PREFIX", "")

app = Flask(__name__)


@app.post("/report")
def report():
    form = request.form
    with Session(engine) as session:
        complaint = Complaint(
            name=form.get("name", ""),
            phone=form.get("phone", ""),
            building=form.get("building", ""),
            category=form.get("category", ""),
            description=form.get("description", ""),
            created_at=datetime.now(timezone.utc),
        )
        session.add(complaint)
        session.flush()  # INSERT ... RETURNING id
        complaint_id = complaint.id
        session.commit()
    queue = Queue(QUEUE_NAME, connection=redis, serializer=JSONSerializer)
    queue.enqueue("baseline_app.noop_job", complaint_id,
                  job_id=f"{JOB_ID_PREFIX}baseline-{complaint_id}-{uuid.uuid4().hex[:8]}")
    return redirect("/report/received")

"""Jobs are enqueued only after the transaction that needs them commits.

Without Redis (a laptop, the demo) jobs run inline in the web process right after commit; with
REDIS_URL they go to rq. If Redis is unreachable the job is not lost: the outbox row it would
deliver stays pending and `flask outbox flush` (also run on the worker's schedule) finds it.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_PENDING = "heatdesk.jobs.pending"
_PENDING_IDS = "heatdesk.jobs.pending_ids"


@dataclass(frozen=True)
class PendingJob:
    func: str  # dotted path, so rq stores a name and never an object
    args: tuple[Any, ...]
    job_id: str
    queue: str
    at: datetime | None = None  # run then (rq's scheduler), not now


def enqueue_after_commit(session: Session, func: Callable[..., Any], *args: Any, job_id: str,
                         queue: str = "default", at: datetime | None = None) -> None:
    """Remember a job; it is dispatched when `session` commits and forgotten if it rolls back.
    A job id already pending in this transaction is not added twice.

    With `at`, rq's scheduler runs it then; without Redis such a job is dropped, because jobs
    given a time are ones a periodic sweep also covers (there is no scheduler to keep it)."""
    path = f"{func.__module__}.{func.__qualname__}"
    pending = session.info.setdefault(_PENDING, [])
    ids = session.info.setdefault(_PENDING_IDS, set())  # a sweep adds thousands: no scan of the list
    if job_id not in ids:
        ids.add(job_id)
        pending.append(PendingJob(path, args, job_id, queue, at))


def redis_connection(app: Flask) -> Redis | None:
    """The app's Redis connection, or None when jobs run inline."""
    conn = app.extensions.get("heatdesk.redis")
    if conn is None and app.config.get("REDIS_URL"):
        conn = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)
        app.extensions["heatdesk.redis"] = conn
    return conn


def get_queue(app: Flask, name: str = "default") -> Queue | None:
    """The named rq queue (prefixed per deployment), or None when there is no Redis."""
    conn = redis_connection(app)
    if conn is None:
        return None
    return Queue(app.config["RQ_QUEUE_PREFIX"] + name, connection=conn, serializer=JSONSerializer)


def queue_names(app: Flask) -> list[str]:
    """Every queue the worker listens to, most urgent first."""
    return [app.config["RQ_QUEUE_PREFIX"] + name for name in ("urgent", "default")]


def dispatch(app: Flask, job: PendingJob) -> None:
    """Hand one job to rq, or run it inline; never raise (the caller's transaction is committed)."""
    job_id = app.config["JOB_ID_PREFIX"] + job.job_id
    try:
        queue = get_queue(app, job.queue)
        if queue is None:
            if job.at is None:
                run_inline(app, job.func, job.args)
        elif job.at is not None:
            queue.enqueue_at(job.at, job.func, *job.args, job_id=job_id, retry=None)
        else:
            queue.enqueue(job.func, *job.args, job_id=job_id, retry=None)
    except Exception:  # Redis down, or an inline job failed: the sweep will find the work again
        log.exception("job %s (%s) was not dispatched; the periodic sweep will retry it", job_id, job.func)


def run_inline(app: Flask, func_path: str, args: tuple[Any, ...]) -> None:
    """Run a job now; its @job wrapper gives it its own app context and database session."""
    module_name, _, attr = func_path.rpartition(".")
    module = __import__(module_name, fromlist=[attr])
    with app.app_context():
        getattr(module, attr)(*args)


def _after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released; the real commit is still to come
    jobs = session.info.pop(_PENDING, [])
    session.info.pop(_PENDING_IDS, None)
    if jobs and has_app_context():
        app = current_app._get_current_object()
        for job in jobs:
            dispatch(app, job)


def _after_soft_rollback(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:  # a released savepoint keeps the outer transaction's jobs
        session.info.pop(_PENDING, None)
        session.info.pop(_PENDING_IDS, None)


def init_app(app: Flask) -> None:
    """Listen for commits and rollbacks on every session (once per process)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)


def job(func: Callable[..., Any]) -> Callable[..., Any]:
    """Make a function a job: it runs in a fresh app context (the worker builds the app once)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        app = current_app._get_current_object() if has_app_context() else worker_app()
        with app.app_context():
            return func(*args, **kwargs)

    return wrapper


@functools.cache
def worker_app() -> Flask:
    """The app of a worker process, built once from the environment."""
    from app import create_app

    return create_app()

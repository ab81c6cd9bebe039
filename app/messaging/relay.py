"""The outbox relay: hand every pending message to rq exactly once, even with several workers.

Rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL (two relays never handle the
same row at once; SQLite has a single writer anyway). Each row is enqueued under the job id of its
next attempt (`outbox-<id>`, or `outbox-<id>-r<n>` after n attempts); if rq still holds a live
job with that id (queued, scheduled, started, deferred), the row is left alone.

The worker runs `relay_tick` at every RELAY_INTERVAL boundary: each tick sweeps, then schedules
the tick of the next boundary under an id naming it, so several workers (and every
`flask outbox flush`, which starts the chain) keep ONE chain between them.
(rq 3.0's `rq cron` enqueues with the default pickle serializer — rq/cron.py CronJob.enqueue
builds `Queue(name, connection)` — which our JSONSerializer workers cannot read.)
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import Flask, current_app
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select

from app.core.time import utcnow
from app.extensions import db
from app.jobs.periodic import run_periodic
from app.jobs.queue import get_queue, job, run_inline
from app.messaging.models import MessageStatus, OutboxMessage
from app.messaging.outbox import delivery_job_id

log = logging.getLogger(__name__)

DELIVER = "app.messaging.delivery.deliver_message"
RELAY_INTERVAL = 60  # seconds between sweeps on the worker
_LIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}


@dataclass(frozen=True)
class FlushResult:
    enqueued: int
    already_queued: int


def claim_pending(older_than: timedelta, now: datetime, limit: int) -> list[tuple[int, int]]:
    """(id, attempts) of pending rows untouched for `older_than`, locked for this transaction."""
    query = (
        select(OutboxMessage.id, OutboxMessage.attempts)
        .where(OutboxMessage.status == MessageStatus.PENDING, OutboxMessage.updated_at <= now - older_than)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [(row.id, row.attempts) for row in db.session.execute(query)]


def _live_job(app: Flask, queue, job_id: str) -> bool:
    """True if rq still holds a job with this id that will (or does) run; a dead one is removed."""
    try:
        existing = Job.fetch(job_id, connection=queue.connection, serializer=queue.serializer)
    except NoSuchJobError:
        return False
    if existing.get_status(refresh=False) in _LIVE:
        return True
    existing.delete()  # finished, failed, stopped or cancelled: make room for a fresh job
    return False


def flush(now: datetime | None = None, older_than: timedelta = timedelta(minutes=2), limit: int = 500,
          keep_sweeping: bool = True) -> FlushResult:
    """Enqueue each stale pending message once (inline without Redis); the caller's transaction ends here.

    With Redis it also makes sure the worker's periodic sweep is scheduled (`keep_sweeping`), so
    `flask outbox flush` run once when the worker starts keeps the sweep going.
    """
    app = current_app._get_current_object()
    now = now or utcnow()
    if keep_sweeping:
        try:
            schedule_next_tick(app)
        except Exception:
            log.exception("outbox relay: the periodic sweep could not be scheduled")
    rows = claim_pending(older_than, now, limit)
    queue = get_queue(app, "default")
    enqueued = skipped = 0
    to_run_inline: list[int] = []
    for message_id, attempts in rows:
        if queue is None:
            to_run_inline.append(message_id)
            continue
        job_id = app.config["JOB_ID_PREFIX"] + delivery_job_id(message_id, attempts)
        try:
            if _live_job(app, queue, job_id):
                skipped += 1
                continue
            queue.enqueue(DELIVER, message_id, job_id=job_id)
            enqueued += 1
        except Exception:  # Redis down: the rows stay pending for the next sweep
            log.exception("outbox relay: message %s not enqueued", message_id)
            break
    db.session.rollback()  # release the claims (nothing was written) before any job runs inline
    for message_id in to_run_inline:
        try:
            run_inline(app, DELIVER, (message_id,))
            enqueued += 1
        except Exception:
            log.exception("outbox relay: message %s failed inline", message_id)
    return FlushResult(enqueued, skipped)


def next_tick_at(now: datetime) -> datetime:
    """The next interval boundary: every worker and every `flask outbox flush` picks the same one."""
    slot = int(now.timestamp()) // RELAY_INTERVAL + 1
    return datetime.fromtimestamp(slot * RELAY_INTERVAL, tz=timezone.utc)


def schedule_next_tick(app: Flask, now: datetime | None = None) -> bool:
    """Schedule the next sweep on the worker, unless that boundary's tick is already scheduled."""
    queue = get_queue(app, "default")
    if queue is None:
        return False
    due = next_tick_at(now or utcnow())
    job_id = app.config["JOB_ID_PREFIX"] + f"outbox-relay-{int(due.timestamp())}"
    if _live_job(app, queue, job_id):
        return False
    queue.enqueue_at(due, f"{relay_tick.__module__}.{relay_tick.__qualname__}", job_id=job_id)
    return True


@job
def relay_tick() -> int:
    """The worker's minute tick: deliver what was never enqueued or whose job died, run the other
    periodic jobs (app/jobs/periodic.py), then come back."""
    app = current_app._get_current_object()
    try:
        result = flush(keep_sweeping=False)
        run_periodic()
    finally:
        schedule_next_tick(app)
    return result.enqueued

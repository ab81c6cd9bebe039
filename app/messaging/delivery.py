"""The delivery job: send one outbox message, at most once, retrying transient failures with backoff.

Retries are scheduled by the job itself (`enqueue_in`) under the job id of the next attempt,
`outbox-<id>-r<attempts>`, which is derived from the row: the relay checks the same id, so a
message waiting for its retry is never queued a second time. (rq's own `Retry` would need the
enqueue call in app/jobs/queue.dispatch to pass it, and an rq retry keeps one job id whose
history the relay cannot tell from a dead job.)
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import select

from app.core.time import utcnow
from app.extensions import db
from app.jobs.queue import get_queue, job
from app.messaging.gateway import OPTED_OUT_CODE, SendError, gateway_for
from app.messaging.models import MessageStatus, OutboxMessage
from app.messaging.outbox import delivery_job_id, is_opted_out, opt_out

log = logging.getLogger(__name__)

# Seconds before the 2nd, 3rd... attempt; after the last, the message has failed for good.
RETRY_DELAYS = (30, 120, 600, 1800)


def retry_delays(app: Flask) -> tuple[int, ...]:
    """The backoff schedule (SMS_RETRY_DELAYS in the config overrides it)."""
    return tuple(app.config.get("SMS_RETRY_DELAYS", RETRY_DELAYS))


@job
def deliver_message(message_id: int) -> str:
    """Send a pending message; a message already handled is left alone (the job may run twice)."""
    app = current_app._get_current_object()
    # The row stays locked while Twilio is called: a second job for it waits, then finds it sent.
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()
    )
    if message is None or message.status is not MessageStatus.PENDING:
        db.session.rollback()
        return "skipped"
    if is_opted_out(message.to_number):
        message.status = MessageStatus.NOT_SENT
        message.error = "opted out"
        db.session.commit()
        return message.status.value
    message.attempts += 1
    try:
        result = gateway_for(app).send(message.to_number, message.body)
    except SendError as exc:
        return _failed(app, message, exc)
    except Exception as exc:  # anything unexpected from a gateway: treat as transient
        log.exception("outbox message %s: gateway error", message_id)
        return _failed(app, message, SendError(f"{type(exc).__name__}: {exc}"))
    if result.sent:  # Twilio has it: record the SID before anything else can fail
        message.status = MessageStatus.SENT
        message.provider_sid = result.provider_sid
        message.sent_at = utcnow()
        message.error = None
        message.error_code = None
    else:
        message.status = MessageStatus.NOT_SENT
        message.error = (result.error or "not sent")[:255]
    db.session.commit()
    log.info("outbox message %s: %s", message_id, message.status.value)
    return message.status.value


def _failed(app: Flask, message: OutboxMessage, exc: SendError) -> str:
    """Record a refusal: permanent ones (or the last attempt) fail the message, others are retried later."""
    message.error = exc.message[:255]
    message.error_code = exc.code
    delays = retry_delays(app)
    if exc.permanent or message.attempts > len(delays):
        message.status = MessageStatus.FAILED
        if not exc.permanent:
            message.error = f"too many attempts ({message.attempts}): {exc.message}"[:255]
        if exc.code == OPTED_OUT_CODE:
            opt_out(message.to_number, "carrier")
        db.session.commit()
        log.warning("outbox message %s failed: %s", message.id, message.error)
        return "failed"
    message_id, attempts = message.id, message.attempts
    db.session.commit()
    schedule_retry(app, message_id, attempts, delays[attempts - 1])
    return "retrying"


def schedule_retry(app: Flask, message_id: int, attempts: int, delay: int) -> None:
    """Enqueue the next attempt after `delay` seconds; without Redis the periodic sweep retries it."""
    queue = get_queue(app, "default")
    if queue is None:
        return
    job_id = app.config["JOB_ID_PREFIX"] + delivery_job_id(message_id, attempts)
    func = f"{deliver_message.__module__}.{deliver_message.__qualname__}"
    try:
        if delay <= 0:
            queue.enqueue(func, message_id, job_id=job_id)
        else:
            queue.enqueue_in(timedelta(seconds=delay), func, message_id, job_id=job_id)
    except Exception:  # Redis gone: the row is still pending, the sweep will find it
        log.exception("outbox message %s: retry not scheduled; the sweep will retry it", message_id)

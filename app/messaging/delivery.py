"""The delivery job: send one outbox message, at most once."""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from app.core.time import utcnow
from app.extensions import db
from app.jobs.queue import job
from app.messaging.gateway import gateway_for
from app.messaging.models import MessageStatus, OutboxMessage

log = logging.getLogger(__name__)


@job
def deliver_message(message_id: int) -> str:
    """Send a pending message; a message already handled is left alone (the job may run twice)."""
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update(skip_locked=True)
    )
    if message is None or message.status is not MessageStatus.PENDING:
        db.session.rollback()
        return "skipped"
    message.attempts += 1
    try:
        result = gateway_for(current_app._get_current_object()).send(message.to_number, message.body)
    except Exception as exc:  # a provider error: keep it pending for the retry, record why
        message.error = f"{type(exc).__name__}: {exc}"[:255]
        db.session.commit()
        raise
    if result.sent:
        message.status = MessageStatus.SENT
        message.provider_sid = result.provider_sid
        message.sent_at = utcnow()
        message.error = None
    else:
        message.status = MessageStatus.NOT_SENT
        message.error = (result.error or "not sent")[:255]
    db.session.commit()
    log.info("outbox message %s: %s", message_id, message.status.value)
    return message.status.value

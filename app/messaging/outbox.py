"""Write notifications to the outbox in the caller's transaction; deliver them after commit."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.core.time import utcnow
from app.extensions import db
from app.jobs.queue import enqueue_after_commit
from app.messaging.models import MessageStatus, OutboxMessage
from app.messaging.segments import segment_count


def queue_sms(*, to: str, body: str, language: str, kind: str, ticket_id: int | None = None) -> OutboxMessage:
    """Add one SMS to the outbox; its delivery job is enqueued only once the caller commits."""
    from app.messaging.delivery import deliver_message

    message = OutboxMessage(
        ticket_id=ticket_id,
        kind=kind,
        to_number=to,
        body=body,
        language=language,
        segments=segment_count(body),
        status=MessageStatus.PENDING,
    )
    db.session.add(message)
    db.session.flush()  # the job needs the row's id
    enqueue_after_commit(db.session, deliver_message, message.id, job_id=f"outbox-{message.id}")
    return message


def stale_pending(older_than: timedelta = timedelta(minutes=2), now: datetime | None = None) -> list[int]:
    """Ids of messages still pending after `older_than`: their job was never enqueued or died."""
    cutoff = (now or utcnow()) - older_than
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == MessageStatus.PENDING, OutboxMessage.created_at <= cutoff)
            .order_by(OutboxMessage.id)
        )
    )

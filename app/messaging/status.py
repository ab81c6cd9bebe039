"""Delivery status callbacks: move a message forward, never back, however the callbacks arrive.

Twilio may send a status twice, or "sent" after "delivered": a message's status only moves to a
later stage (queued < sent < delivered/undelivered/failed), so a replay or a late one changes nothing.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.core.time import utcnow
from app.extensions import db
from app.messaging.gateway import OPTED_OUT_CODE
from app.messaging.models import MessageStatus, OutboxMessage
from app.messaging.outbox import opt_out

# Twilio's MessageStatus → ours. accepted/queued/sending are all "the provider has it" to us.
_FROM_TWILIO = {
    "accepted": MessageStatus.SENT, "scheduled": MessageStatus.SENT, "queued": MessageStatus.SENT,
    "sending": MessageStatus.SENT, "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED, "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED, "failed": MessageStatus.FAILED, "canceled": MessageStatus.FAILED,
}
_STAGE = {
    MessageStatus.PENDING: 0, MessageStatus.SENT: 1,
    MessageStatus.DELIVERED: 2, MessageStatus.UNDELIVERED: 2, MessageStatus.FAILED: 2, MessageStatus.NOT_SENT: 2,
}


def _error_code(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def apply_status(sid: str, twilio_status: str, error_code: str | None = None,
                 now: datetime | None = None) -> str:
    """Record one status callback; returns "updated", "ignored" (stale, repeated or unknown status) or "unknown"."""
    status = _FROM_TWILIO.get((twilio_status or "").strip().lower())
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.provider_sid == sid).with_for_update()
    ) if sid else None
    if message is None:
        return "unknown"
    if status is None or _STAGE[status] <= _STAGE[message.status]:
        return "ignored"
    message.status = status
    code = _error_code(error_code)
    if status is MessageStatus.DELIVERED:
        message.delivered_at = now or utcnow()
    elif status in (MessageStatus.UNDELIVERED, MessageStatus.FAILED):
        message.error_code = code
        message.error = f"{twilio_status.strip().lower()}" + (f" (error {code})" if code else "")
        if code == OPTED_OUT_CODE:
            opt_out(message.to_number, "carrier")
    return "updated"

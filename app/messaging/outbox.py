"""Write notifications to the outbox in the caller's transaction; deliver them after commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, insert, select
from sqlalchemy.orm import selectinload

from app.auth.models import Role, User
from app.core.time import utcnow
from app.extensions import db
from app.jobs.queue import enqueue_after_commit
from app.messaging.models import MessageStatus, OutboxMessage, PhoneOptOut
from app.messaging.segments import segment_count


def delivery_job_id(message_id: int, attempts: int = 0) -> str:
    """The rq job id of a message's next delivery attempt: derived from the row, so it is never queued twice."""
    return f"outbox-{message_id}" if attempts == 0 else f"outbox-{message_id}-r{attempts}"


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
        attempts=0,
    )
    db.session.add(message)
    db.session.flush()  # the job needs the row's id
    enqueue_after_commit(db.session, deliver_message, message.id, job_id=delivery_job_id(message.id))
    return message


@dataclass(frozen=True)
class Sms:
    """One SMS as queue_sms takes it, for queueing many at once."""

    to: str
    body: str
    language: str
    kind: str
    ticket_id: int | None = None


def queue_many_sms(texts: list[Sms]) -> None:
    """queue_sms for a batch (the SLA sweep's round): the outbox rows in one INSERT … RETURNING id, and
    each row's delivery job, under the same job id, enqueued once the caller commits."""
    if not texts:
        return
    from app.messaging.delivery import deliver_message

    table = OutboxMessage.__table__
    ids = db.session.scalars(
        insert(table).returning(table.c.id),
        [{"ticket_id": t.ticket_id, "kind": t.kind, "to_number": t.to, "body": t.body, "language": t.language,
          "segments": segment_count(t.body), "status": MessageStatus.PENDING, "attempts": 0} for t in texts],
    ).all()
    for message_id in ids:
        enqueue_after_commit(db.session, deliver_message, message_id, job_id=delivery_job_id(message_id))


def stale_pending(older_than: timedelta = timedelta(minutes=2), now: datetime | None = None,
                  limit: int | None = None) -> list[int]:
    """Ids of messages still pending, untouched for `older_than`: their job was never enqueued or died."""
    cutoff = (now or utcnow()) - older_than
    query = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == MessageStatus.PENDING, OutboxMessage.updated_at <= cutoff)
        .order_by(OutboxMessage.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


# --- opt-outs -----------------------------------------------------------------------------------

def is_opted_out(number: str) -> bool:
    """True if the number asked (or its carrier told us) to receive nothing more."""
    return bool(db.session.scalar(
        select(PhoneOptOut.opted_out).where(PhoneOptOut.number == number)))


def opt_out(number: str, source: str) -> PhoneOptOut:
    """Mark a number opted out (source "keyword" or "carrier"); marking it again changes nothing else."""
    row = db.session.scalar(select(PhoneOptOut).where(PhoneOptOut.number == number))
    if row is None:
        row = PhoneOptOut(number=number, opted_out=True, source=source)
        db.session.add(row)
    elif not row.opted_out:
        row.opted_out = True
        row.source = source
    return row


# --- what staff see -----------------------------------------------------------------------------

FILTERABLE = tuple(MessageStatus)


@dataclass(frozen=True)
class OutboxRow:
    message: OutboxMessage
    to_display: str
    ticket_reference: str | None


def mask_number(number: str) -> str:
    """Only the last four digits: enough to match a resident's call, not to harvest numbers."""
    digits = number[-4:] if len(number) >= 4 else number
    return "•••• " + digits


def visible_messages(user: User, status: MessageStatus | None = None, limit: int = 200) -> list[OutboxRow]:
    """Recent messages `user` may see, newest first: about tickets they may see (agents and admins: all)."""
    from app.tickets.models import Ticket
    from app.tickets.visibility import visible_to

    query = select(OutboxMessage).outerjoin(Ticket, OutboxMessage.ticket_id == Ticket.id)
    if user.role not in (Role.AGENT, Role.ADMIN):  # messages about no ticket (staff texts) are the desk's
        query = query.where(and_(OutboxMessage.ticket_id.is_not(None), visible_to(user)))
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    query = query.options(selectinload(OutboxMessage.ticket)).order_by(
        OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit)
    show_number = user.role is Role.ADMIN
    return [
        OutboxRow(m, m.to_number if show_number else mask_number(m.to_number),
                  m.ticket.reference if m.ticket is not None else None)
        for m in db.session.scalars(query)
    ]


def problems_for_ticket(ticket_id: int) -> list[OutboxMessage]:
    """Messages about a ticket that did not reach the resident: shown to staff on the ticket page."""
    return list(db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.ticket_id == ticket_id,
               OutboxMessage.status.in_([MessageStatus.FAILED, MessageStatus.UNDELIVERED, MessageStatus.NOT_SENT]))
        .order_by(OutboxMessage.id)
    ))

"""OutboxMessage: a notification written with the change that causes it, delivered after commit."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Timestamped, enum_column
from app.core.types import UTCDateTime
from app.extensions import db


class MessageStatus(enum.StrEnum):
    PENDING = "pending"  # written, not yet handed to a provider
    SENT = "sent"  # accepted by the provider
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"  # permanently failed; shown to staff
    NOT_SENT = "not_sent"  # no provider configured (the demo): recorded, not sent


class OutboxMessage(Timestamped, db.Model):
    """One SMS waiting for, or past, delivery."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_number: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    segments: Mapped[int] = mapped_column(Integer)
    status: Mapped[MessageStatus] = mapped_column(enum_column(MessageStatus), default=MessageStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    error: Mapped[str | None] = mapped_column(String(255))
    error_code: Mapped[int | None] = mapped_column(Integer)  # the provider's, e.g. Twilio 21610 (opted out)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    ticket: Mapped["Ticket | None"] = relationship()  # noqa: F821


class PhoneOptOut(Timestamped, db.Model):
    """A number that asked for no more messages (STOP / 退订, or the carrier's 21610)."""

    __tablename__ = "phone_opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(20))  # "keyword" or "carrier"


class InboundMessage(Timestamped, db.Model):
    """Every provider webhook handled, keyed by its SID: a retried webhook is answered from here, never twice."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("kind", "provider_sid", name="kind_sid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "sms", "voice", "voice-gather", "status"...
    provider_sid: Mapped[str] = mapped_column(String(64))
    from_number: Mapped[str | None] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="zh_Hans")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    reply: Mapped[str] = mapped_column(Text, default="")  # the TwiML answered, answered again on a retry


class SmsConversation(Timestamped, db.Model):
    """A short exchange with an unknown number: we asked for the account number or address."""

    __tablename__ = "sms_conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), index=True)
    state: Mapped[str] = mapped_column(String(30))  # "awaiting_address", "done", "expired"
    language: Mapped[str] = mapped_column(String(8), default="zh_Hans")
    complaint_text: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))

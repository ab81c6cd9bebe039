"""OutboxMessage: a notification written with the change that causes it, delivered after commit."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
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
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    ticket: Mapped["Ticket | None"] = relationship()  # noqa: F821

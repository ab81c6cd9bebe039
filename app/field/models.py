"""Photos a technician took on site, attached to a ticket."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.time import utcnow
from app.core.types import UTCDateTime
from app.extensions import db


class TicketPhoto(db.Model):
    """One re-encoded photo. The file lives under UPLOAD_FOLDER by a random, server-chosen name;
    it is served only to staff who may see the ticket. Append-only, like the ticket's events."""

    __tablename__ = "ticket_photos"
    __table_args__ = (
        CheckConstraint("width > 0 AND height > 0 AND byte_size > 0", name="positive_sizes"),
        CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'image/webp')", name="image_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    byte_size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    ticket: Mapped["Ticket"] = relationship()  # noqa: F821
    uploaded_by: Mapped["User | None"] = relationship()  # noqa: F821

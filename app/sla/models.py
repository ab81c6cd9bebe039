"""SLA policies: category × priority → respond, on-site and resolve targets."""
from __future__ import annotations

import enum

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import enum_column
from app.core.time import utcnow
from app.core.types import UTCDateTime
from app.extensions import db
from app.tickets.models import Category, Priority


class Calendar(enum.StrEnum):
    CONTINUOUS = "continuous"  # round the clock: heating faults in season
    BUSINESS = "business"  # working hours on working days: billing and service questions


class SlaPolicy(db.Model):
    """The promised times for one category at one priority, in minutes of its calendar."""

    __tablename__ = "sla_policies"
    __table_args__ = (
        UniqueConstraint("category_id", "priority", name="category_priority"),
        CheckConstraint("respond_minutes > 0 AND resolve_minutes > 0", name="positive_targets"),
        CheckConstraint("on_site_minutes IS NULL OR on_site_minutes > 0", name="positive_on_site"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    priority: Mapped[Priority] = mapped_column(enum_column(Priority))
    respond_minutes: Mapped[int] = mapped_column(Integer)
    on_site_minutes: Mapped[int | None] = mapped_column(Integer)  # None: no visit is promised
    resolve_minutes: Mapped[int] = mapped_column(Integer)
    calendar: Mapped[Calendar] = mapped_column(enum_column(Calendar))

    category: Mapped[Category] = relationship()


class SlaEscalation(db.Model):
    """One escalation sent: a level reached on one clock of one ticket. Unique, so it never fires twice."""

    __tablename__ = "sla_escalations"
    __table_args__ = (UniqueConstraint("ticket_id", "clock", "level", name="once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    clock: Mapped[str] = mapped_column(String(12))  # respond, on_site, resolve
    level: Mapped[str] = mapped_column(String(20))  # warning, breach, duty_manager
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

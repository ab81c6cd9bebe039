"""SLA policies: category × priority → respond, on-site and resolve targets."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.core.models import enum_column
from app.core.time import utcnow
from app.core.types import UTCDateTime
from app.extensions import db
from app.tickets.models import Category, Priority, Ticket


class Calendar(enum.StrEnum):
    CONTINUOUS = "continuous"  # round the clock: heating faults in season
    BUSINESS = "business"  # working hours on working days: billing and service questions
    HEATING_SEASON = "heating_season"  # round the clock in the heating season, working hours outside it


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


CALLBACK = "callback"  # the "clock" of a supervisor's overdue call-back; its level is the call-back's due time


class SlaEscalation(db.Model):
    """One escalation sent: a level reached on one clock of one ticket. Unique, so it never fires twice."""

    __tablename__ = "sla_escalations"
    __table_args__ = (UniqueConstraint("ticket_id", "clock", "level", name="once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    clock: Mapped[str] = mapped_column(String(12))  # respond, on_site, resolve; callback
    level: Mapped[str] = mapped_column(String(20))  # warning, breach, duty_manager; a call-back: 20261120T060000Z
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SlaPause(db.Model):
    """One stretch of time the clocks stood still (waiting for the resident). Kept, so that due times
    recomputed later (a change of category or priority) still leave the waiting time out."""

    __tablename__ = "sla_pauses"
    __table_args__ = (CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: still paused

    # ticket.sla_pauses: read within a transition, where autoflush is off, so a pause begun in the same
    # transaction is seen too (a query would miss it)
    ticket: Mapped[Ticket] = relationship(backref=backref("sla_pauses", order_by="SlaPause.started_at"))


class HeatingSeason(db.Model):
    """One year's heating season (供暖季), set by the city each year: heating faults run 24×7 inside it."""

    __tablename__ = "heating_seasons"
    __table_args__ = (CheckConstraint("ends_on > starts_on", name="ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_on: Mapped[date] = mapped_column(Date, unique=True)  # first day of heating
    ends_on: Mapped[date] = mapped_column(Date)  # last day of heating


class DayKind(enum.StrEnum):
    HOLIDAY = "holiday"  # a public holiday: no working hours
    WORKDAY = "workday"  # a weekend day made a working day (调休)


class CalendarDay(db.Model):
    """A public holiday, or a weekend day worked in its place, for the business calendar."""

    __tablename__ = "calendar_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[DayKind] = mapped_column(enum_column(DayKind))
    name: Mapped[str] = mapped_column(String(60), default="")

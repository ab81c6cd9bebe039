"""Resolution: one row each time a ticket is resolved, i.e. each survey a resident was sent."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, SmallInteger, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.core.types import UTCDateTime
from app.extensions import db
from app.tickets.models import Ticket

# What the satisfaction and reopen reports read besides resolved_at: on PostgreSQL the index carries
# them, so a season-long report is an index-only scan (SQLite ignores INCLUDE: a plain index there).
REPORTED = ("technician_id", "team_id", "district_id", "category_id", "score", "reopened_at")


class Resolution(db.Model):
    """One resolution of a ticket, the score its survey got and the reopen that followed.

    The ticket keeps only its latest score and clears resolved_at when reopened; the reports count
    every resolution once, under the technician, team, district and category it had when resolved.
    Kept by `app.satisfaction.resolutions` from the lifecycle's resolve, rate and reopen."""

    __tablename__ = "resolutions"
    __table_args__ = (
        UniqueConstraint("ticket_id", "resolved_at"),  # also the index for a ticket's resolutions
        CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="score_range"),
        CheckConstraint("(score IS NULL) = (rated_at IS NULL)", name="rated_has_score"),
        CheckConstraint("rated_at IS NULL OR rated_at >= resolved_at", name="rated_after_resolution"),
        CheckConstraint("reopened_at IS NULL OR reopened_at >= resolved_at", name="reopened_after_resolution"),
        Index("ix_resolutions_resolved_at", "resolved_at", postgresql_include=list(REPORTED)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # As they were at resolution: a ticket transferred or reclassified later still counts here.
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the assignee
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    # The survey's answer, None while unanswered (or never answered).
    score: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The first reopen after this resolution (a score of 1–2, or a reopen), None if none.
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # ticket.resolutions: read within a transition, where autoflush is off, so a resolution added in
    # the same transaction is seen too (a query would miss it).
    ticket: Mapped[Ticket] = relationship(backref=backref("resolutions", order_by="Resolution.resolved_at"))


NONE = 0  # a day row's key column for "no technician / team / district" (key columns cannot be NULL)
DAY_KEYS = ("day", "technician_id", "team_id", "district_id", "category_id")
DAY_COUNTS = ("resolved", "scored", "satisfied", "score_total", "reopened")


class ResolutionDay(db.Model):
    """The resolutions of one company day, counted per technician, team, district and category: what
    the satisfaction and reopen reports add up. A season is ~90,000 of these rows instead of ~400,000
    resolutions. Kept from the resolutions at each flush, in the same transaction
    (app.satisfaction.resolution_counts), so the two always agree."""

    __tablename__ = "resolution_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)  # of resolved_at, in the company's zone
    technician_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # NONE: nobody
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resolved: Mapped[int] = mapped_column(Integer, default=0)  # surveys sent
    scored: Mapped[int] = mapped_column(Integer, default=0)  # answered
    satisfied: Mapped[int] = mapped_column(Integer, default=0)  # answered 4–5
    score_total: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)  # followed by a reopen

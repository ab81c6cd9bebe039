"""The resolutions counted per company month, technician, team, district and category.

The satisfaction and reopen reports add up these rows for the whole months of a period and the day
rows (resolution_days) for the days outside them: a heating season is then ~20,000 rows instead of
~85,000 day rows. Kept by app.analytics.rollups from every change of a resolution, in the same
transaction, with the same counts as its day row (app.satisfaction.resolutions.day_counts).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Mapping

from sqlalchemy import Date, Integer
from sqlalchemy.orm import Mapped, mapped_column

from app.analytics.rollups import Rollup, register
from app.core.time import company_zone
from app.extensions import db
from app.satisfaction.models import NONE, Resolution
from app.satisfaction.resolutions import counts_of

MONTH_KEYS = ("month", "technician_id", "team_id", "district_id", "category_id")


class ResolutionMonth(db.Model):
    """The resolutions of one company month by one technician, team, district and category (NONE:
    nobody): surveys sent, answered, satisfied, the scores' sum, and how many were reopened."""

    __tablename__ = "resolution_months"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month of resolved_at, company zone
    technician_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    scored: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    score_total: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)


WATCHED = ("resolved_at", "technician_id", "team_id", "district_id", "category_id", "score", "reopened_at")


def month_key(resolution: Mapping[str, Any]) -> dict[str, Any]:
    """The resolution's row: its company month and who and where resolved it."""
    resolved_at: datetime = resolution["resolved_at"]
    if resolved_at.tzinfo is None:  # SQLite hands back naive UTC
        resolved_at = resolved_at.replace(tzinfo=timezone.utc)
    return {"month": resolved_at.astimezone(company_zone()).date().replace(day=1),
            **{name: resolution[name] or NONE for name in MONTH_KEYS[1:]}}


def contribution(resolution: Mapping[str, Any]) -> list[tuple[dict[str, Any], dict[str, int]]]:
    """The resolution's share of resolution_months (the rollup's contribution function)."""
    if resolution["resolved_at"] is None:
        return []
    return [(month_key(resolution), counts_of(resolution["score"], resolution["reopened_at"]))]


RESOLUTION_MONTHS = register(Rollup(Resolution, ResolutionMonth.__table__, WATCHED, contribution))

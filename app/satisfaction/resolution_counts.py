"""The resolutions counted per company day and per company month, by technician, team, district and
category: what the satisfaction and reopen reports add up.

A report reads the month rows for the whole months of its period and the day rows (resolution_days)
for the days outside them: a heating season is then ~20,000 rows instead of ~400,000 resolutions.
Both are rollups (app.analytics.rollups) of the `resolutions` rows, kept from every change of one
(resolved, scored, reopened) in the same transaction, with the same counts.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from sqlalchemy import Date, Integer
from sqlalchemy.orm import Mapped, mapped_column

from app.analytics.rollups import Rollup, register
from app.core.time import to_local
from app.extensions import db
from app.satisfaction.models import NONE, Resolution, ResolutionDay
from app.satisfaction.resolutions import SATISFIED_FROM

MONTH_KEYS = ("month", "technician_id", "team_id", "district_id", "category_id")
PLACE = MONTH_KEYS[1:]  # who and where resolved it, as at resolution


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


WATCHED = ("resolved_at", *PLACE, "score", "reopened_at")


def day_key(resolution: Mapping[str, Any]) -> dict[str, Any]:
    """The resolution's row of resolution_days: its company day and who and where resolved it."""
    return {"day": to_local(resolution["resolved_at"]).date(),
            **{name: resolution[name] or NONE for name in PLACE}}


def counts_of(resolution: Mapping[str, Any]) -> dict[str, int]:
    """What one resolution adds to the counts of its day and month."""
    score = resolution["score"]
    return {"resolved": 1, "scored": int(score is not None),
            "satisfied": int(score is not None and score >= SATISFIED_FROM), "score_total": score or 0,
            "reopened": int(resolution["reopened_at"] is not None)}


def day_contribution(resolution: Mapping[str, Any]) -> list[tuple[dict[str, Any], dict[str, int]]]:
    """The resolution's share of resolution_days (a rollup's contribution function)."""
    if resolution["resolved_at"] is None:
        return []
    return [(day_key(resolution), counts_of(resolution))]


def month_contribution(resolution: Mapping[str, Any]) -> list[tuple[dict[str, Any], dict[str, int]]]:
    """The resolution's share of resolution_months: its day row's, under the first day of the month."""
    return [({"month": key["day"].replace(day=1), **{name: key[name] for name in PLACE}}, counts)
            for key, counts in day_contribution(resolution)]


RESOLUTION_DAYS = register(Rollup(Resolution, ResolutionDay.__table__, WATCHED, day_contribution))
RESOLUTION_MONTHS = register(Rollup(Resolution, ResolutionMonth.__table__, WATCHED, month_contribution))

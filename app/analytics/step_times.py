"""Step times counted per company month, team, district, category and step, in histogram buckets.

The times report's median and 90th percentile over a season come from these counts
(app.analytics.histogram): a whole month of a period is its rows here, the days outside whole
months are counted live from the tickets, in the same buckets, so the answer is the same however
a period falls on the months. A ticket counts in the month it was received (created_at in the
company's zone), under its current team, district and category, once per step it has a time for;
the rows change with the ticket, in the same transaction (app.analytics.rollups).

Each ticket counts twice: under its team and district, for reports narrowed to a team or district
or seen by a supervisor, and in the city's rows (team and district ALL), so that a report of the
whole city adds up a fifth as many rows (a season: ~20,000 instead of ~94,000).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import Date, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.analytics.histogram import bucket_of
from app.analytics.rollups import Rollup, register
from app.core.time import to_local
from app.extensions import db
from app.satisfaction.models import NONE  # a key column's "no team / district / category"
from app.tickets.models import Ticket

ALL = -1  # the team and district of the city's rows: every ticket, whatever its team and district
STEPS = ("respond", "on_site", "resolve")  # each stored in Ticket.<step>_seconds
KEYS = ("month", "team_id", "district_id", "category_id", "step", "bucket")


class StepTimeMonth(db.Model):
    """How many tickets received in one company month took a step within one bucket's seconds."""

    __tablename__ = "step_time_months"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the month's first day, company zone
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    step: Mapped[str] = mapped_column(String(8), primary_key=True)
    bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    tickets: Mapped[int] = mapped_column(Integer, default=0)


def month_of(moment: datetime) -> date:
    """The first day of the company month a moment falls in."""
    return to_local(moment).date().replace(day=1)


WATCHED = ("created_at", "team_id", "district_id", "category_id", *(f"{step}_seconds" for step in STEPS))


def contribution(ticket: Mapping[str, Any]) -> list[tuple[dict[str, Any], dict[str, int]]]:
    """The rows one ticket counts in (the rollup's contribution function): per step with a time,
    its team's and district's row and the city's. Nothing before the ticket is written."""
    if ticket["created_at"] is None:
        return []
    month = month_of(ticket["created_at"])
    category_id = ticket["category_id"] or NONE
    rows = []
    for step in STEPS:
        seconds = ticket[f"{step}_seconds"]
        if seconds is None:
            continue
        bucket = bucket_of(seconds)
        for team_id, district_id in ((ticket["team_id"] or NONE, ticket["district_id"] or NONE), (ALL, ALL)):
            rows.append(({"month": month, "team_id": team_id, "district_id": district_id, "category_id": category_id,
                          "step": step, "bucket": bucket}, {"tickets": 1}))
    return rows


STEP_TIME_MONTHS = register(Rollup(Ticket, StepTimeMonth.__table__, WATCHED, contribution))


def whole_months(first_day: date, last_day: date) -> tuple[list[date], list[tuple[date, date]]]:
    """The months lying wholly within the days (their first days), and the days outside them as at
    most two ranges of (first, last) day: what the month rows answer and what is counted live."""
    first_month = first_day if first_day.day == 1 else _next_month(first_day)
    months = []
    month = first_month
    while _next_month(month) - timedelta(days=1) <= last_day:
        months.append(month)
        month = _next_month(month)
    if not months:
        return [], [(first_day, last_day)]
    rest = []
    if first_day < months[0]:
        rest.append((first_day, months[0] - timedelta(days=1)))
    after = _next_month(months[-1])
    if after <= last_day:
        rest.append((after, last_day))
    return months, rest


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)

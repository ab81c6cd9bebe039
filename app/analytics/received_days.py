"""Tickets received per company day, team, district and category, with their clocks met and missed.

The SLA compliance report adds these up: a heating season is ~14,000 day rows instead of ~400,000
tickets (an index-only scan of those cost ~165 ms). A ticket counts on the day it was received, in
the company's zone, under the team, district and category it has now, with each clock's stored
outcome (`<clock>_met`: True met, False missed, None in neither). The rows are kept by
app.analytics.rollups in the same transaction as every change of a ticket, whoever makes it.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from sqlalchemy import Date, Integer
from sqlalchemy.orm import Mapped, mapped_column

from app.analytics.rollups import Rollup, register
from app.core.time import to_local
from app.extensions import db
from app.satisfaction.models import NONE
from app.tickets.models import Ticket

CLOCKS = ("respond", "on_site", "resolve")
DAY_KEYS = ("day", "team_id", "district_id", "category_id")
DAY_COUNTS = ("tickets", *(f"{clock}_{outcome}" for clock in CLOCKS for outcome in ("met", "missed")))


class ReceivedDay(db.Model):
    """The tickets received on one company day by one team in one district in one category (NONE: no
    team or district), and how many of them met and missed each clock. A row whose tickets moved away
    (transferred, reclassified) stays with zero counts."""

    __tablename__ = "received_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)  # of created_at, in the company's zone
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tickets: Mapped[int] = mapped_column(Integer, default=0)
    respond_met: Mapped[int] = mapped_column(Integer, default=0)
    respond_missed: Mapped[int] = mapped_column(Integer, default=0)
    on_site_met: Mapped[int] = mapped_column(Integer, default=0)
    on_site_missed: Mapped[int] = mapped_column(Integer, default=0)
    resolve_met: Mapped[int] = mapped_column(Integer, default=0)
    resolve_missed: Mapped[int] = mapped_column(Integer, default=0)


WATCHED = ("created_at", "team_id", "district_id", "category_id", *(f"{clock}_met" for clock in CLOCKS))


def day_key(ticket: Mapping[str, Any]) -> dict[str, Any]:
    """The ticket's row: its company day of receipt, team, district and category."""
    return {"day": to_local(ticket["created_at"]).date(),
            "team_id": ticket["team_id"] or NONE, "district_id": ticket["district_id"] or NONE,
            "category_id": ticket["category_id"] or NONE}


def day_counts(ticket: Mapping[str, Any]) -> dict[str, int]:
    """What one ticket adds to its row: itself, and each clock's stored outcome (None in neither)."""
    counts = {"tickets": 1}
    for clock in CLOCKS:
        outcome = ticket[f"{clock}_met"]
        counts[f"{clock}_met"] = int(outcome is True)
        counts[f"{clock}_missed"] = int(outcome is False)
    return counts


def contribution(ticket: Mapping[str, Any]) -> list[tuple[dict[str, Any], dict[str, int]]]:
    """The ticket's share of received_days (the rollup's contribution function)."""
    if ticket["created_at"] is None:  # not yet written: its default is set by the flush
        return []
    return [(day_key(ticket), day_counts(ticket))]


RECEIVED_DAYS = register(Rollup(Ticket, ReceivedDay.__table__, WATCHED, contribution))

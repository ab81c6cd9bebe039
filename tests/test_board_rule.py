"""The SLA standing rule: breached, at risk, on time or paused, decided from a ticket's stored marks
(its warning point and due time) and a given now. The same rule decides the live board's lists."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app.reports.board import SlaState, sla_standing

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
MIN = timedelta(minutes=1)


def standing(warn=None, breach=None, paused=False, clock="respond"):
    """The standing at NOW of marks given as offsets from NOW (negative: already passed)."""
    at = lambda offset: NOW + offset if offset is not None else None  # noqa: E731
    return sla_standing(at(warn), at(breach), NOW - 10 * MIN if paused else None, NOW, clock)


def test_a_ticket_without_marks_is_on_time():
    result = standing()
    assert result.state is SlaState.ON_TIME and result.due is None


def test_before_the_warning_point_the_ticket_is_on_time_and_shows_its_due_time():
    result = standing(warn=MIN, breach=10 * MIN, clock="on_site")
    assert result.state is SlaState.ON_TIME
    assert (result.clock, result.due) == ("on_site", NOW + 10 * MIN)


def test_from_the_warning_point_the_ticket_is_at_risk():
    assert standing(warn=0 * MIN, breach=10 * MIN).state is SlaState.AT_RISK
    assert standing(warn=-5 * MIN, breach=10 * MIN).state is SlaState.AT_RISK


def test_at_the_due_time_itself_the_ticket_is_breached():
    result = standing(warn=-6 * MIN, breach=0 * MIN, clock="respond")
    assert result.state is SlaState.BREACHED
    assert (result.clock, result.due) == ("respond", NOW)


def test_a_due_time_long_passed_is_breached():
    assert standing(warn=-5 * 60 * MIN, breach=-4 * 60 * MIN).state is SlaState.BREACHED


def test_paused_clocks_are_neither_breached_nor_at_risk():
    result = standing(warn=-60 * MIN, breach=-30 * MIN, paused=True)
    assert result.state is SlaState.PAUSED and result.due is None


def test_worse_standings_rank_first():
    ranks = [standing(warn=-MIN, breach=-MIN).rank, standing(warn=-MIN, breach=MIN).rank,
             standing(warn=MIN, breach=2 * MIN).rank, standing(paused=True).rank]
    assert ranks == sorted(ranks) and len(set(ranks)) == 4

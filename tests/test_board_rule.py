"""The board's SLA rule: breached, at risk, on time or paused, decided from the clocks and a given now."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app.reports.board import Clock, SlaState, sla_standing

START = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def clocks(respond=None, on_site=None, resolve=None, responded=None, arrived=None, resolved=None):
    """Due times as offsets from START, met times likewise."""
    at = lambda offset: START + offset if offset is not None else None  # noqa: E731
    return (Clock("respond", at(respond), at(responded)), Clock("on_site", at(on_site), at(arrived)),
            Clock("resolve", at(resolve), at(resolved)))


def state_at(offset, *, paused=None, **due):
    return sla_standing(clocks(**due), START, START + paused if paused is not None else None, START + offset)


def test_a_ticket_without_promised_times_is_on_time():
    standing = state_at(100 * HOUR)
    assert standing.state is SlaState.ON_TIME and standing.due is None


def test_a_passed_due_time_whose_clock_is_not_met_is_breached():
    standing = state_at(31 * MIN, respond=30 * MIN, on_site=2 * HOUR, resolve=24 * HOUR)
    assert standing.state is SlaState.BREACHED
    assert (standing.clock, standing.due) == ("respond", START + 30 * MIN)


def test_at_the_due_time_itself_the_clock_is_at_risk_not_yet_breached():
    assert state_at(30 * MIN, respond=30 * MIN).state is SlaState.AT_RISK


def test_a_met_clock_is_never_breached_even_when_its_due_time_has_passed():
    standing = state_at(3 * HOUR, respond=30 * MIN, responded=10 * MIN, resolve=24 * HOUR)
    assert standing.state is SlaState.ON_TIME and standing.clock == "resolve"


def test_a_clock_met_late_no_longer_counts_as_breached():
    assert state_at(3 * HOUR, respond=30 * MIN, responded=HOUR, resolve=24 * HOUR).state is SlaState.ON_TIME


def test_paused_clocks_are_neither_breached_nor_at_risk():
    standing = state_at(5 * HOUR, paused=20 * MIN, respond=30 * MIN, resolve=24 * HOUR)
    assert standing.state is SlaState.PAUSED


def test_within_thirty_minutes_of_the_next_due_time_is_at_risk():
    # a 24 h clock: 20 % would be 4.8 h, but 30 min left is at risk whatever the share
    assert state_at(24 * HOUR - 30 * MIN, resolve=24 * HOUR).state is SlaState.AT_RISK


def test_thirty_one_minutes_left_on_a_short_clock_is_on_time():
    # a 2 h clock: 20 % is 24 min, and 31 min is more than 30 min
    assert state_at(2 * HOUR - 31 * MIN, on_site=2 * HOUR).state is SlaState.ON_TIME


def test_within_twenty_percent_of_the_allowed_time_is_at_risk():
    # a 10 h clock: 2 h left is exactly 20 %
    assert state_at(8 * HOUR, resolve=10 * HOUR).state is SlaState.AT_RISK
    assert state_at(8 * HOUR - MIN, resolve=10 * HOUR).state is SlaState.ON_TIME


def test_the_next_unmet_due_time_decides():
    standing = state_at(110 * MIN, respond=30 * MIN, responded=5 * MIN, on_site=2 * HOUR, resolve=24 * HOUR)
    assert standing.state is SlaState.AT_RISK
    assert (standing.clock, standing.due) == ("on_site", START + 2 * HOUR)


def test_breached_wins_over_a_later_clock_with_time_to_spare():
    standing = state_at(3 * HOUR, respond=30 * MIN, responded=5 * MIN, on_site=2 * HOUR, resolve=24 * HOUR)
    assert standing.state is SlaState.BREACHED and standing.clock == "on_site"


def test_worse_standings_rank_first():
    order = [SlaState.BREACHED, SlaState.AT_RISK, SlaState.ON_TIME, SlaState.PAUSED]
    ranks = [state_at(o, **d).rank for o, d in [
        (HOUR, {"respond": 30 * MIN}), (10 * MIN, {"respond": 30 * MIN}),
        (0 * MIN, {"resolve": 24 * HOUR}), (HOUR, {"respond": 30 * MIN, "paused": 10 * MIN}),
    ]]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(order)

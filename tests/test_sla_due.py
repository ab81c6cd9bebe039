"""Due-time arithmetic: continuous clocks, working hours, weekends, holidays, and pauses."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from app.sla.due import WorkingHours, add_minutes, minutes_between
from app.sla.models import Calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS = WorkingHours(zone=SHANGHAI)  # 08:30–17:30, Monday to Friday
C, B = Calendar.CONTINUOUS, Calendar.BUSINESS


def local(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def test_a_continuous_clock_runs_through_the_night():
    assert add_minutes(local(2026, 11, 20, 23, 30), 120, C, HOURS) == local(2026, 11, 21, 1, 30)


def test_due_times_come_back_in_utc():
    due = add_minutes(local(2026, 11, 20, 10), 30, C, HOURS)
    assert due.tzinfo == timezone.utc and due == datetime(2026, 11, 20, 2, 30, tzinfo=timezone.utc)


def test_a_business_clock_within_one_working_day():
    assert add_minutes(local(2026, 11, 18, 9), 120, B, HOURS) == local(2026, 11, 18, 11)


def test_a_business_clock_carries_over_to_the_next_morning():
    assert add_minutes(local(2026, 11, 18, 17), 60, B, HOURS) == local(2026, 11, 19, 9)


def test_a_complaint_at_night_starts_counting_at_opening_time():
    assert add_minutes(local(2026, 11, 18, 22), 30, B, HOURS) == local(2026, 11, 19, 9)


def test_a_business_clock_skips_the_weekend():
    friday_afternoon = local(2026, 11, 20, 17)
    assert add_minutes(friday_afternoon, 60, B, HOURS) == local(2026, 11, 23, 9)


def test_one_working_day_from_friday_noon_is_monday_noon():
    assert add_minutes(local(2026, 11, 20, 12), 9 * 60, B, HOURS) == local(2026, 11, 23, 12)


def test_a_business_clock_skips_public_holidays():
    hours = WorkingHours(zone=SHANGHAI, holidays=frozenset({date(2027, 1, 1)}))  # a Friday
    assert add_minutes(local(2026, 12, 31, 17), 60, B, hours) == local(2027, 1, 4, 9)


def test_a_weekend_made_a_working_day_counts():
    hours = WorkingHours(zone=SHANGHAI, extra_workdays=frozenset({date(2026, 11, 21)}))  # a Saturday
    assert add_minutes(local(2026, 11, 20, 17), 60, B, hours) == local(2026, 11, 21, 9)


def test_zero_minutes_is_now():
    start = local(2026, 11, 21, 3)
    assert add_minutes(start, 0, B, HOURS) == start


def test_naive_times_and_negative_minutes_are_refused():
    with pytest.raises(ValueError):
        add_minutes(datetime(2026, 11, 20, 9), 10, C, HOURS)
    with pytest.raises(ValueError):
        add_minutes(local(2026, 11, 20, 9), -1, C, HOURS)


def test_minutes_between_counts_only_working_time():
    assert minutes_between(local(2026, 11, 20, 17), local(2026, 11, 23, 9), B, HOURS) == 60
    assert minutes_between(local(2026, 11, 20, 17), local(2026, 11, 23, 9), C, HOURS) == 64 * 60


def test_minutes_between_is_zero_when_the_end_is_earlier():
    assert minutes_between(local(2026, 11, 20, 12), local(2026, 11, 20, 11), B, HOURS) == 0


def test_a_calendar_without_working_days_is_a_configuration_error():
    never = WorkingHours(zone=SHANGHAI, opens=datetime.min.time(), closes=datetime.min.time())
    with pytest.raises(ValueError, match="no working time"):
        add_minutes(local(2026, 11, 20, 12), 10, B, never)


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(SHANGHAI)
)


@settings(max_examples=200, deadline=None)
@given(start=moments, minutes=st.integers(min_value=0, max_value=20 * 9 * 60), calendar=st.sampled_from([B, C]))
def test_adding_then_measuring_gives_back_the_minutes(start, minutes, calendar):
    due = add_minutes(start, minutes, calendar, HOURS)
    assert due >= start
    assert minutes_between(start, due, calendar, HOURS) == minutes


@settings(max_examples=200, deadline=None)
@given(start=moments, minutes=st.integers(min_value=1, max_value=10 * 9 * 60))
def test_a_business_due_time_falls_inside_working_hours(start, minutes):
    due = add_minutes(start, minutes, B, HOURS).astimezone(SHANGHAI)
    assert HOURS.is_working_day(due.date())
    assert HOURS.opens < due.time() <= HOURS.closes


@settings(max_examples=100, deadline=None)
@given(start=moments, first=st.integers(0, 3000), second=st.integers(0, 3000), calendar=st.sampled_from([B, C]))
def test_adding_in_two_steps_counts_the_same_working_time_as_adding_at_once(start, first, second, calendar):
    in_two_steps = add_minutes(add_minutes(start, first, calendar, HOURS), second, calendar, HOURS)
    assert minutes_between(start, in_two_steps, calendar, HOURS) == first + second
    assert in_two_steps >= add_minutes(start, first + second, calendar, HOURS)

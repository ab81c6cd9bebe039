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
C, B, S = Calendar.CONTINUOUS, Calendar.BUSINESS, Calendar.HEATING_SEASON


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
@given(start=moments, minutes=st.integers(min_value=0, max_value=20 * 9 * 60), calendar=st.sampled_from([B, C, S]))
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
@given(start=moments, first=st.integers(0, 3000), second=st.integers(0, 3000), calendar=st.sampled_from([B, C, S]))
def test_adding_in_two_steps_counts_the_same_working_time_as_adding_at_once(start, first, second, calendar):
    in_two_steps = add_minutes(add_minutes(start, first, calendar, HOURS), second, calendar, HOURS)
    assert minutes_between(start, in_two_steps, calendar, HOURS) == first + second
    assert in_two_steps >= add_minutes(start, first + second, calendar, HOURS)


# --- the heating-season calendar: round the clock while the heat is on, working hours otherwise ---

def test_a_heating_fault_in_the_season_runs_through_the_night():
    assert add_minutes(local(2026, 11, 20, 23, 30), 120, S, HOURS) == local(2026, 11, 21, 1, 30)


def test_a_heating_fault_out_of_season_waits_for_working_hours():
    assert add_minutes(local(2026, 7, 3, 22), 30, S, HOURS) == local(2026, 7, 6, 9)  # Friday night → Monday


def test_the_season_starts_at_midnight_of_its_first_day():
    # 14 October 2026 (Wednesday) 17:00 is out of season: 30 working minutes to 17:30, then from midnight
    assert add_minutes(local(2026, 10, 14, 17), 60, S, HOURS) == local(2026, 10, 15, 0, 30)


def test_the_season_ends_at_midnight_after_its_last_day():
    # 15 April 2027 (Thursday) 23:00: one hour in season, the rest from Friday's opening
    assert add_minutes(local(2027, 4, 15, 23), 90, S, HOURS) == local(2027, 4, 16, 9)


def test_a_season_set_by_the_city_replaces_the_usual_dates_for_its_winter():
    early = WorkingHours(zone=SHANGHAI, seasons=((date(2026, 10, 1), date(2027, 4, 30)),))
    assert early.in_heating_season(date(2026, 10, 5)) and early.in_heating_season(date(2027, 4, 25))
    assert not HOURS.in_heating_season(date(2026, 10, 5))
    assert early.in_heating_season(date(2027, 10, 20))  # the next winter keeps the usual dates


def test_the_usual_season_dates_come_from_the_working_hours():
    late = WorkingHours(zone=SHANGHAI, usual_season=((11, 1), (3, 31)))
    assert not late.in_heating_season(date(2026, 10, 20)) and late.in_heating_season(date(2027, 3, 31))


def test_holidays_do_not_stop_a_heating_clock_in_season():
    hours = WorkingHours(zone=SHANGHAI, holidays=frozenset({date(2027, 1, 1)}))
    assert add_minutes(local(2026, 12, 31, 23), 120, S, hours) == local(2027, 1, 1, 1)


days = st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31))


@settings(max_examples=150, deadline=None)
@given(start=moments, minutes=st.integers(min_value=0, max_value=20 * 9 * 60),
       calendar=st.sampled_from([B, C, S]), holidays=st.frozensets(days, max_size=30),
       workdays=st.frozensets(days, max_size=10))
def test_measuring_gives_back_the_minutes_with_any_holidays(start, minutes, calendar, holidays, workdays):
    hours = WorkingHours(zone=SHANGHAI, holidays=holidays, extra_workdays=workdays)
    due = add_minutes(start, minutes, calendar, hours)
    assert minutes_between(start, due, calendar, hours) == minutes


@settings(max_examples=150, deadline=None)
@given(start=moments, minutes=st.integers(min_value=1, max_value=10 * 9 * 60))
def test_a_heating_clock_is_never_later_than_business_nor_earlier_than_round_the_clock(start, minutes):
    seasonal = add_minutes(start, minutes, S, HOURS)
    assert add_minutes(start, minutes, C, HOURS) <= seasonal <= add_minutes(start, minutes, B, HOURS)


@settings(max_examples=150, deadline=None)
@given(start=moments, minutes=st.integers(min_value=1, max_value=5 * 24 * 60))
def test_in_the_depth_of_winter_a_heating_clock_is_round_the_clock(start, minutes):
    winter_start = start.replace(year=2026, month=12, day=min(start.day, 28))
    assert add_minutes(winter_start, minutes, S, HOURS) == add_minutes(winter_start, minutes, C, HOURS)

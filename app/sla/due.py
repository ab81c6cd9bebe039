"""Pure due-time arithmetic over a calendar. No database, no app: easy to test exhaustively."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from app.sla.models import Calendar

_MAX_DAYS = 3660  # ten years of walking is a configuration error, not a due time


def winter_of(day: date) -> int:
    """The winter a day belongs to, named by the year it starts in: July to June."""
    return day.year if day.month >= 7 else day.year - 1


@dataclass(frozen=True)
class WorkingHours:
    """When business-calendar clocks run: opening hours on working days, in the company's zone.

    `holidays` are days off that would otherwise be working days; `extra_workdays` are weekend
    days made working days (China moves weekends around public holidays: 调休).
    """

    zone: ZoneInfo
    opens: time = time(8, 30)
    closes: time = time(17, 30)
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)
    # Heating seasons the city set, as (first day, last day); a year without one uses the usual dates.
    seasons: tuple[tuple[date, date], ...] = ()
    usual_season: tuple[tuple[int, int], tuple[int, int]] = ((10, 15), (4, 15))  # (month, day) start and end

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day.weekday() < 5 or day in self.extra_workdays

    def in_heating_season(self, day: date) -> bool:
        """Whether the heat is on that day: the season set for that winter, or the usual dates."""
        winter = winter_of(day)
        explicit = [(first, last) for first, last in self.seasons if first.year == winter]
        if not explicit:
            (start_month, start_day), (end_month, end_day) = self.usual_season
            explicit = [(date(winter, start_month, start_day), date(winter + 1, end_month, end_day))]
        return any(first <= day <= last for first, last in explicit)

    def _window(self, day: date, calendar: Calendar = Calendar.BUSINESS) -> tuple[datetime, datetime] | None:
        """The stretch of `day` in which the calendar's clocks run (local times), or None."""
        if calendar is Calendar.HEATING_SEASON and self.in_heating_season(day):
            return datetime.combine(day, time.min, self.zone), datetime.combine(day + timedelta(days=1), time.min,
                                                                                 self.zone)
        if not self.is_working_day(day):
            return None
        start = datetime.combine(day, self.opens, self.zone)
        end = datetime.combine(day, self.closes, self.zone)
        return (start, end) if start < end else None


def add_minutes(start: datetime, minutes: int, calendar: Calendar, hours: WorkingHours) -> datetime:
    """The moment `minutes` of the calendar's running time after `start` (aware, returned in UTC)."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    if calendar is Calendar.CONTINUOUS or minutes == 0:
        return (start + timedelta(minutes=minutes)).astimezone(timezone.utc)

    remaining = timedelta(minutes=minutes)
    cursor = start.astimezone(hours.zone)
    day = cursor.date()
    for _ in range(_MAX_DAYS):
        window = hours._window(day, calendar)
        if window:
            begin = max(cursor, window[0])
            if begin < window[1]:
                available = window[1] - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(timezone.utc)
                remaining -= available
        day += timedelta(days=1)
        cursor = datetime.combine(day, time.min, hours.zone)
    raise ValueError("no working time found within ten years: check the working-hours calendar")


def minutes_between(start: datetime, end: datetime, calendar: Calendar, hours: WorkingHours) -> int:
    """Whole minutes of the calendar's running time from `start` to `end` (0 if end is earlier)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    if end <= start:
        return 0
    if calendar is Calendar.CONTINUOUS:
        return int((end - start).total_seconds() // 60)

    total = timedelta()
    cursor = start.astimezone(hours.zone)
    stop = end.astimezone(hours.zone)
    day = cursor.date()
    while day <= stop.date():
        window = hours._window(day, calendar)
        if window:
            begin, finish = max(cursor, window[0]), min(stop, window[1])
            if begin < finish:
                total += finish - begin
        day += timedelta(days=1)
        cursor = datetime.combine(day, time.min, hours.zone)
    return int(total.total_seconds() // 60)

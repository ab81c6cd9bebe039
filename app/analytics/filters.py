"""The report filters: a period of whole days in the company's zone, and team, district and category.

Days are the company's calendar days (Asia/Shanghai): "1 to 30 November" means from 1 November
00:00 to 1 December 00:00 Baotou time, turned into UTC once here so every query compares stored
UTC moments against two bounds and can use the (created_at, id) and resolved_at indexes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping, Sequence
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import Role, User
from app.core.errors import ValidationFailed
from app.customers.models import District
from app.extensions import db
from app.routing.models import Team, team_districts
from app.tickets.models import Category

DEFAULT_DAYS = 30  # the last 30 days, today included
MAX_DAYS = 400  # a heating season and a bit: longer periods are a data export, not a report
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
# The categories that mean "the flat is too cold": the default of the per-substation report.
HEATING_CATEGORIES = ("no_heat", "low_temperature")


@dataclass(frozen=True)
class Period:
    """Whole company days from `first_day` to `last_day`, both included, and their UTC bounds."""

    first_day: date
    last_day: date
    start: datetime  # aware UTC, included
    end: datetime  # aware UTC, excluded: the next day's midnight in the company zone

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def period_of(first_day: date, last_day: date, zone: ZoneInfo) -> Period:
    """The period between two company days, with its bounds in UTC."""
    start = datetime.combine(first_day, time(0), tzinfo=zone).astimezone(timezone.utc)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc)
    return Period(first_day, last_day, start, end)


def month_starts(period: Period, zone: ZoneInfo) -> list[tuple[str, datetime]]:
    """Each calendar month the period touches, as ("YYYY-MM", UTC moment its part of the period starts)."""
    months = []
    day = period.first_day
    while day <= period.last_day:
        moment = datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)
        months.append((f"{day.year:04d}-{day.month:02d}", max(moment, period.start)))
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return months


@dataclass(frozen=True)
class FilterOptions:
    """What the user may choose from (an administrator everything, a supervisor their team's), and
    every team and district by id, to name the rows of a report whatever the user may choose."""

    teams: Sequence[Team]
    districts: Sequence[District]
    categories: Sequence[Category]
    all_teams: Sequence[Team] = ()
    all_districts: Sequence[District] = ()


@dataclass(frozen=True)
class ReportFilters:
    """The period and narrowing filters of a report; None means "any"."""

    period: Period
    team_id: int | None = None
    district_id: int | None = None
    category_id: int | None = None
    all_categories: bool = False  # per-substation report: every category instead of heating only
    heating_category_ids: tuple[int, ...] = field(default=())


def filter_options(user: User) -> FilterOptions:
    """The teams, districts and categories this user's reports may be narrowed to (small tables:
    three queries, and one more for a supervisor's districts)."""
    categories = db.session.scalars(select(Category).order_by(Category.sort_order, Category.id)).all()
    all_teams = db.session.scalars(select(Team).order_by(Team.id)).all()
    all_districts = db.session.scalars(select(District).order_by(District.id)).all()
    if user.role is Role.ADMIN:
        teams, districts = all_teams, all_districts
    elif user.team_id is None:
        teams, districts = [], []
    else:
        served = set(db.session.scalars(
            select(team_districts.c.district_id).where(team_districts.c.team_id == user.team_id)))
        teams = [t for t in all_teams if t.id == user.team_id]
        districts = [d for d in all_districts if d.id in served]
    return FilterOptions(teams=teams, districts=districts, categories=categories,
                         all_teams=all_teams, all_districts=all_districts)


def parse_date(raw: str) -> date | None:
    """A date typed or picked as YYYY-MM-DD, or None if it is not a real date in range."""
    raw = raw.strip()
    if len(raw) != 10:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        return None
    return value if EARLIEST <= value <= LATEST else None


def parse_filters(args: Mapping[str, str], options: FilterOptions, today: date, zone: ZoneInfo) -> ReportFilters:
    """The filters in a query string; raises ValidationFailed naming each field that is wrong.

    An empty start or end takes its default (the last 30 days ending today); a team, district or
    category must be one of `options`, so a supervisor cannot ask for another team's numbers."""
    errors: dict[str, object] = {}
    bad_date = _l("Enter a date as year-month-day, for example %(example)s.", example=today.isoformat())
    raw_start, raw_end = (args.get("start") or "").strip(), (args.get("end") or "").strip()
    last_day = parse_date(raw_end) if raw_end else today
    if last_day is None:
        errors["end"] = bad_date
    first_day = parse_date(raw_start) if raw_start else (
        last_day - timedelta(days=DEFAULT_DAYS - 1) if last_day else None)
    if first_day is None and raw_start:
        errors["start"] = bad_date
    if first_day and last_day:
        if first_day > last_day:
            errors["start"] = _l("The first day must not be after the last day.")
        elif (last_day - first_day).days + 1 > MAX_DAYS:
            errors["end"] = _l("Choose a period of at most %(n)d days.", n=MAX_DAYS)

    def pick(name: str, choices: Sequence) -> int | None:
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        if raw.isdigit() and len(raw) < 10 and int(raw) in {c.id for c in choices}:
            return int(raw)
        errors[name] = _l("Please choose from the list.")
        return None

    team_id = pick("team", options.teams)
    district_id = pick("district", options.districts)
    category_id = pick("category", options.categories)
    scope = (args.get("categories") or "heating").strip()
    if scope not in ("heating", "all"):
        errors["categories"] = _l("Please choose from the list.")
    if errors:
        raise ValidationFailed(errors)
    heating = tuple(c.id for c in options.categories if c.code in HEATING_CATEGORIES)
    return ReportFilters(period=period_of(first_day, last_day, zone), team_id=team_id, district_id=district_id,
                         category_id=category_id, all_categories=scope == "all", heating_category_ids=heating)

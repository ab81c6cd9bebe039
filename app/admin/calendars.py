"""The SLA calendars: heating seasons per year, and public holidays with their weekend working days (调休).

The city sets the heating season each year and the State Council publishes the holidays each
winter, so administrators keep both here. Due times are computed from these tables when a ticket
is made; a change applies to tickets made afterwards, and due times already given stay as they are.

A weekend working day (调休上班) can only be a Saturday or Sunday: on a weekday it would change
nothing and is surely a typing mistake. A holiday on a weekend is accepted without a warning: the
official notices give each holiday as a run of days (国庆节 1–7 October) that includes weekend days,
and entering the run as published is exactly right.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from flask_babel import LazyString, format_date, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.admin import csv_import
from app.admin.validation import Errors, flush_or_refuse
from app.core.text import has_control_characters
from app.extensions import db
from app.sla.due import winter_of
from app.sla.models import CalendarDay, DayKind, HeatingSeason

MAX_SEASON_DAYS = 250  # Baotou heats about 183 days; a longer season is a typing mistake
FIRST_YEAR, LAST_YEAR = 2000, 2099
NAME_LIMIT = 60
MAX_LINES = 1000  # a year has about 40 entries
MAX_BYTES = 256 * 1024

DATE_EXAMPLE = _l("Please enter a date such as 2026-10-01.")
SEASON_START_TAKEN = _l("A heating season already starts on this day.")
DAY_TAKEN = _l("This day is already in the calendar.")
# The due-time maths gives each day to a winter (app.sla.due.winter_of): a season must lie within
# one winter to be found.
WINTER_RULE = _l("A heating season starts between July and December and ends by 30 June of the next year.")

# What people write in the kind column, English and Chinese (calendar apps mark days 休 and 班).
KIND_WORDS = {
    DayKind.HOLIDAY: ("holiday", "public holiday", "day off", "休", "假", "放假", "假日", "节假日",
                      "法定节假日", "休息日"),
    DayKind.WORKDAY: ("workday", "working day", "work", "班", "上班", "补班", "调休上班", "工作日"),
}
_HEADER_WORDS = {"date", "day", "日期"}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{4})(\d{2})(\d{2})")
# The accounts import's "not text" message names accounts; this one is about calendar days.
NOT_TEXT = _l("This is not a CSV text file. Upload the days as CSV (UTF-8 or GB18030), one day a line: "
              "date,kind,name.")


def parse_day(text: str | None) -> date | None:
    """A date as people type it: 2026-10-01, 2026/10/1, 2026.10.1, 2026年10月1日 or 20261001."""
    folded = unicodedata.normalize("NFKC", text or "").strip()
    match = _DATE.fullmatch(folded)
    if match is None:
        return None
    year, month, day = (int(g) for g in (match.groups()[:3] if match.group(1) else match.groups()[3:]))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _date(errors: Errors, name: str, value: str | None) -> date | None:
    if not (value or "").strip():
        errors.add(name, _l("Please fill in this field."))
        return None
    parsed = parse_day(value)
    if parsed is None:
        errors.add(name, DATE_EXAMPLE)
    return parsed


def weekday_name(day: date, *, short: bool = True) -> str:
    """The day of the week in the reader's language: 周六 / Sat (星期六 / Saturday when not short)."""
    return format_date(day, "EEE" if short else "EEEE")


# --- heating seasons --------------------------------------------------------------------------

@dataclass
class SeasonInput:
    starts_on: str = ""
    ends_on: str = ""


def all_seasons() -> list[HeatingSeason]:
    """Newest first: the season that matters next is at the top."""
    return list(db.session.scalars(select(HeatingSeason).order_by(HeatingSeason.starts_on.desc())))


def season_days(season: HeatingSeason) -> int:
    """How many days of heating, the first and the last included."""
    return (season.ends_on - season.starts_on).days + 1


def create_season(data: SeasonInput) -> HeatingSeason:
    """A new year's heating season; it must not overlap another."""
    season = HeatingSeason()
    _apply_season(season, data)
    db.session.add(season)
    flush_or_refuse("starts_on", SEASON_START_TAKEN)
    return season


def update_season(season: HeatingSeason, data: SeasonInput) -> None:
    """New dates, for instance when the city starts heating early in a cold autumn."""
    _apply_season(season, data)
    flush_or_refuse("starts_on", SEASON_START_TAKEN)


def delete_season(season: HeatingSeason) -> None:
    """Remove a season entered by mistake; tickets made in it keep their due times."""
    db.session.delete(season)
    db.session.flush()


def _apply_season(season: HeatingSeason, data: SeasonInput) -> None:
    errors = Errors()
    starts_on = _date(errors, "starts_on", data.starts_on)
    ends_on = _date(errors, "ends_on", data.ends_on)
    if starts_on and ends_on:
        if ends_on <= starts_on:
            errors.add("ends_on", _l("The last day of heating must come after the first."))
        elif (ends_on - starts_on).days + 1 > MAX_SEASON_DAYS:
            errors.add("ends_on", _l("A heating season lasts at most %(n)d days; this one would last %(days)d.",
                                     n=MAX_SEASON_DAYS, days=(ends_on - starts_on).days + 1))
        elif winter_of(starts_on) != starts_on.year:
            errors.add("starts_on", WINTER_RULE)
        elif winter_of(ends_on) != starts_on.year:
            errors.add("ends_on", WINTER_RULE)
        else:
            other = _overlapping(starts_on, ends_on, season.id)
            if other is not None:
                # The message goes to the date that falls inside the other season.
                at = "ends_on" if other.starts_on <= ends_on <= other.ends_on and starts_on < other.starts_on \
                    else "starts_on"
                errors.add(at, _l("This overlaps the heating season %(start)s to %(end)s.",
                                  start=other.starts_on.isoformat(), end=other.ends_on.isoformat()))
    errors.raise_if_any()
    season.starts_on, season.ends_on = starts_on, ends_on


def _overlapping(starts_on: date, ends_on: date, season_id: int | None) -> HeatingSeason | None:
    """Another season sharing at least one day (both ends are heating days)."""
    query = select(HeatingSeason).where(HeatingSeason.starts_on <= ends_on, HeatingSeason.ends_on >= starts_on)
    if season_id is not None:
        query = query.where(HeatingSeason.id != season_id)
    return db.session.scalar(query.order_by(HeatingSeason.starts_on).limit(1))


# --- holidays and weekend working days --------------------------------------------------------

@dataclass
class DayInput:
    day: str = ""
    kind: str = ""
    name: str = ""


def days_of_year(year: int) -> list[CalendarDay]:
    return list(db.session.scalars(
        select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)))


def years_to_show(today: date) -> list[int]:
    """Every year with entries, and this year and next (next year's holidays come out in autumn)."""
    days = db.session.execute(select(CalendarDay.day)).scalars()
    return sorted({d.year for d in days} | {today.year, today.year + 1})


def add_day(data: DayInput) -> CalendarDay:
    """One holiday or weekend working day; a day is in the calendar once, as one kind."""
    errors = Errors()
    day, kind, name = _check_day(errors, data.day, data.kind, data.name)
    if day is not None and "day" not in errors:
        existing = db.session.scalar(select(CalendarDay).where(CalendarDay.day == day))
        if existing is not None:
            errors.add("day", already_listed(existing))
    errors.raise_if_any()
    record = CalendarDay(day=day, kind=kind, name=name)
    db.session.add(record)
    flush_or_refuse("day", DAY_TAKEN)
    return record


def remove_day(record: CalendarDay) -> None:
    db.session.delete(record)
    db.session.flush()


def already_listed(existing: CalendarDay) -> LazyString:
    if existing.kind is DayKind.HOLIDAY:
        return _l("This day is already a holiday (%(name)s): remove it first to change it.", name=existing.name)
    return _l("This day is already a weekend working day (%(name)s): remove it first to change it.",
              name=existing.name)


def _check_day(errors: Errors, day_text: str | None, kind_text: str | None,
               name_text: str | None) -> tuple[date | None, DayKind | None, str]:
    day = _date(errors, "day", day_text)
    kind = kind_of(kind_text)
    if kind is None:
        errors.add("kind", _l("Please choose holiday or weekend working day."))
    name = errors.text("name", name_text, limit=NAME_LIMIT)
    if day is not None and kind is DayKind.WORKDAY and day.weekday() < 5:
        errors.add("day", _l("A weekend working day must be a Saturday or Sunday; %(day)s is a %(weekday)s.",
                             day=day.isoformat(), weekday=weekday_name(day, short=False)))
    return day, kind, name


def kind_of(text: str | None) -> DayKind | None:
    """The kind from its value or a word people use for it (holiday, 休, 放假; workday, 班, 补班)."""
    folded = " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())
    for kind, words in KIND_WORDS.items():
        if folded == kind.value or folded in words:
            return kind
    return None


# --- many days at once ------------------------------------------------------------------------

class ImportRefused(csv_import.ImportRefused):
    """The text as a whole cannot be used; nothing was written."""


@dataclass
class LineProblem:
    line: int
    text: str
    reasons: list[LazyString | str]

    @property
    def message(self) -> str:
        return " ".join(str(r) for r in self.reasons)


@dataclass
class DayImportReport:
    added: int = 0
    unchanged: int = 0
    problems: list[LineProblem] = field(default_factory=list)
    encoding: str = "UTF-8"

    @property
    def skipped(self) -> int:
        return len(self.problems)


def decode_upload(data: bytes) -> tuple[str, str]:
    """An uploaded file's text and encoding (UTF-8 with or without BOM, else GB18030), as the accounts
    import reads it."""
    try:
        return csv_import.decode(data, MAX_BYTES, not_text=NOT_TEXT)
    except csv_import.FileTooLarge:
        raise ImportRefused(_l("The file is larger than %(n)d KB: a calendar needs far less.",
                               n=MAX_BYTES // 1024)) from None
    except csv_import.ImportRefused as error:
        raise ImportRefused(error.message) from None


def import_days(text: str, encoding: str = "UTF-8") -> DayImportReport:
    """Add the days of pasted lines or a CSV file, `date,kind,name` a line. A bad line is reported with
    its number and skipped; the good lines are added. A line already in the calendar as written
    changes nothing, so the same list can be entered twice."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if sum(1 for line in lines if line.strip()) > MAX_LINES:
        raise ImportRefused(_l("More than %(n)d lines: split them into smaller parts.", n=MAX_LINES))
    if not any(line.strip() for line in lines):
        raise ImportRefused(_l("There is nothing to add: write one day a line, for example "
                               "2026-10-01,holiday,国庆节."))
    report = DayImportReport(encoding=encoding)
    existing = {d.day: d for d in db.session.scalars(select(CalendarDay))}
    first_line: dict[date, int] = {}
    seen_data = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        cells = _cells(line)
        if not seen_data and cells and cells[0].strip().casefold() in _HEADER_WORDS:
            continue  # a header line
        seen_data = True
        reasons, record = _check_line(cells, existing, first_line, number)
        if reasons:
            report.problems.append(LineProblem(number, _shown(line), reasons))
            continue
        if record is None:
            report.unchanged += 1
            continue
        first_line[record.day] = number
        existing[record.day] = record
        db.session.add(record)
        report.added += 1
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise ImportRefused(_l("Someone changed the calendar while these days were added. Nothing was added: "
                               "please try again.")) from error
    return report


def _cells(line: str) -> list[str]:
    """The cells of one line: tab-separated when pasted from a spreadsheet, else comma-separated
    (a Chinese full-width comma counts as a comma)."""
    if "\t" in line:
        return line.split("\t")
    try:
        return next(csv.reader([line.replace("，", ",")]), [])
    except csv.Error:
        return [line]


def _shown(line: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in line.strip())[:80]


def _check_line(cells: list[str], existing: dict[date, CalendarDay], first_line: dict[date, int],
                number: int) -> tuple[list, CalendarDay | None]:
    """The reasons a line is refused, else the day to add (None: it is in the calendar already)."""
    if any(has_control_characters(c) for c in cells):
        return [_l("The line contains characters that are not allowed.")], None
    if len(cells) < 3:
        return [_l("Write the date, the kind and the name, separated by commas, for example "
                   "2026-10-01,holiday,国庆节.")], None
    if len(cells) > 3 and any(c.strip() for c in cells[3:]):
        return [_l("Only three columns: date, kind and name.")], None
    errors = Errors()  # the first message per column; clearer ones than a form's for what is missing
    if not cells[0].strip():
        errors.add("day", _l("The date is missing."))
    if kind_of(cells[1]) is None:
        errors.add("kind", _l("Unknown kind “%(kind)s”: write holiday (休) or workday (班).", kind=_shown(cells[1])[:20]))
    if not cells[2].strip():
        errors.add("name", _l("The name is missing, for example 国庆节."))
    day, kind, name = _check_day(errors, cells[0], cells[1], cells[2])
    reasons = list(errors.by_field.values())
    if day is not None and not reasons:
        if day in first_line:
            reasons.append(_l("This day is already on line %(line)d.", line=first_line[day]))
        elif day in existing:
            known = existing[day]
            if known.kind is kind and known.name == name:
                return [], None
            reasons.append(already_listed(known))
    if reasons:
        return reasons, None
    return [], CalendarDay(day=day, kind=kind, name=name)


def check_year(value: str | None, default: int) -> int:
    """The year asked for in the address, or `default` for anything that is not a sensible year."""
    if value and value.isdigit() and len(value) == 4 and FIRST_YEAR <= int(value) <= LAST_YEAR:
        return int(value)
    return default

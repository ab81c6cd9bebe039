"""The report queries: aggregates in SQL, returned as small dataclasses keyed by id.

Every function reads tickets the user may see (`app.tickets.visibility.visible_to`) narrowed by
the filters, or the rollup rows of those tickets (the same rule on the team and district kept
there). Ticket rows never come to Python.

Grouping: each query groups by the finest combination it needs (team × district × category, say)
and the small result, at most a few thousand rows, is summed here into each grouping the page
shows. One scan of the period's rows then feeds every table of a report, on both databases.

Which tickets a report counts:
- SLA compliance, response times and complaints per substation: tickets *received* in the period
  (created_at), under the team, district and category each ticket has now. SLA compliance adds up
  their company days (`received_days`): a season is ~14,000 day rows instead of ~400,000 tickets.
  Response times add up the step times counted in buckets per company month (`step_time_months`)
  for the period's whole months, and count the days outside them from the tickets, in the same
  buckets (app.analytics.histogram: percentiles within 2 %). Both tables are kept with the tickets
  in the same transaction by app.analytics.rollups. On PostgreSQL the covering
  ix_tickets_reports_created (created_at INCLUDE every column these reports filter, group or count
  by, the stored step times included) makes the days counted live and the per-substation report
  index-only scans; the accounts per substation are a stored count (app.analytics.account_counts).
- Satisfaction and reopens: *resolutions* in the period (one each time a ticket was resolved, i.e.
  each survey sent), with the technician, team, district and category as at resolution, added up
  from their company months and days (`resolution_months` for whole months, `resolution_days` for
  the days outside them; app.satisfaction.resolution_counts): a season is ~20,000 rows instead of
  ~400,000 resolutions.
  Visibility is the same rule on the team and district kept there. Satisfaction counts every answer
  once, a low score that reopened the ticket included; the reopen rate is the share of those
  resolutions followed by a reopen. On PostgreSQL GROUPING SETS over the finest groups return only
  the groups the page shows (SQLite, which lacks them, sums the finest groups here, as above).

SLA outcomes are the stored `*_met` columns, written once when a clock ends: a report never
recomputes them from today's policies. None (no promise, or not ended yet) is left out.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Callable, Hashable, Iterable, Literal, Mapping, Sequence, TypeVar

from sqlalchemy import (BindParameter, ColumnElement, Select, false, func, literal, literal_column, or_, select,
                        text, true, tuple_, union_all)

from app.auth.models import Role, User
from app.core.time import company_zone
from app.customers.models import Substation
from app.extensions import db
from app.analytics.account_counts import SubstationAccounts
from app.analytics.filters import Period, ReportFilters, month_starts, period_of
from app.analytics.histogram import bucket_of, bucket_sql, percentiles
from app.analytics.received_days import ReceivedDay
from app.analytics.step_times import ALL, StepTimeMonth, whole_months
from app.routing.models import team_districts
from app.satisfaction.models import NONE, ResolutionDay
from app.satisfaction.resolution_counts import ResolutionMonth
from app.tickets.models import Ticket
from app.tickets.visibility import SEE_EVERY_TICKET, visible_by_place, visible_to

CLOCKS = ("respond", "on_site", "resolve")
Grouping = Literal["auto", "sets", "python"]

Key = int | str | None
C = TypeVar("C")


class _Summable:
    """Counts that add up field by field, so finer groups sum into coarser ones."""

    def __add__(self: C, other: C) -> C:
        return type(self)(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))  # type: ignore


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _filtered(user: User, filters: ReportFilters) -> list[ColumnElement[bool]]:
    """What every report keeps: the tickets this user may see, narrowed by team, district, category."""
    return [visible_to(user), *_narrowed(filters, Ticket.team_id, Ticket.district_id, Ticket.category_id)]


def _narrowed(filters: ReportFilters, team_id, district_id, category_id) -> list[ColumnElement[bool]]:
    """The filters' team, district and category, as conditions on these columns (of tickets or resolutions)."""
    chosen = ((team_id, filters.team_id), (district_id, filters.district_id), (category_id, filters.category_id))
    return [column == value for column, value in chosen if value is not None]


def _rows(query: Select):
    """A Core query's rows, run on the session's connection: the thousands of small rows of a
    histogram skip the ORM's result processing, which would cost more than the query."""
    return db.session.connection().execute(query)


def _received(filters: ReportFilters) -> list[ColumnElement[bool]]:
    return [Ticket.created_at >= filters.period.start, Ticket.created_at < filters.period.end]


# --- 1. SLA compliance per clock ------------------------------------------------------------------

@dataclass(frozen=True)
class ClockOutcomes(_Summable):
    """How many of one clock's promises were kept and broken."""

    met: int = 0
    missed: int = 0

    @property
    def ended(self) -> int:
        return self.met + self.missed

    @property
    def compliance(self) -> float | None:
        """met / (met + missed), None when no clock ended."""
        return _ratio(self.met, self.ended)


@dataclass(frozen=True)
class SlaCounts(_Summable):
    """Tickets received and the outcome of each of their three clocks."""

    tickets: int = 0
    respond: ClockOutcomes = ClockOutcomes()
    on_site: ClockOutcomes = ClockOutcomes()
    resolve: ClockOutcomes = ClockOutcomes()


@dataclass(frozen=True)
class SlaCompliance:
    total: SlaCounts
    by_team: dict[Key, SlaCounts]
    by_district: dict[Key, SlaCounts]
    by_category: dict[Key, SlaCounts]


def _sla_counts(tickets: int = 0, *outcomes: int) -> SlaCounts:
    """SlaCounts from the summed columns of received_days, in their order (nothing: zero)."""
    n = outcomes or (0,) * 6
    return SlaCounts(tickets, ClockOutcomes(n[0], n[1]), ClockOutcomes(n[2], n[3]), ClockOutcomes(n[4], n[5]))


def sla_compliance(user: User, filters: ReportFilters, grouping: Grouping = "auto") -> SlaCompliance:
    """Met and missed per clock for tickets received in the period, by team, district and category.

    Added up from the tickets' company days (`received_days`, kept with the tickets in the same
    transaction): a period is whole company days, so its day rows hold exactly its tickets, under
    the team, district and category each has now. Visibility is the tickets' rule on the same team
    and district (NONE, for none, is nobody's team and in no district, as NULL is on a ticket). Rows
    left empty by a ticket that moved away are left out, as the ticket query would not list them."""
    day = ReceivedDay
    keys = [_day_key(day.team_id, "team"), _day_key(day.district_id, "district"),
            _day_key(day.category_id, "category")]
    counts = [func.sum(day.tickets), *(func.sum(getattr(day, f"{clock}_{outcome}"))
                                       for clock in CLOCKS for outcome in ("met", "missed"))]
    conditions = [visible_by_place(user, day.team_id, day.district_id),
                  day.day >= filters.period.first_day, day.day <= filters.period.last_day, day.tickets > 0,
                  *_narrowed(filters, day.team_id, day.district_id, day.category_id)]
    total, groups = _grouped([_finest(keys, counts, conditions)], _sla_counts, grouping)
    return SlaCompliance(total=total, by_team=groups["team"], by_district=groups["district"],
                         by_category=groups["category"])


# --- 2. Median and 90th percentile times ---------------------------------------------------------

@dataclass(frozen=True)
class Durations:
    """How long one step took, in seconds from the ticket's creation: how many did it, median, p90."""

    count: int = 0
    median: float | None = None
    p90: float | None = None


@dataclass(frozen=True)
class StepTimes:
    respond: Durations = Durations()
    on_site: Durations = Durations()
    resolve: Durations = Durations()


@dataclass(frozen=True)
class ResponseTimes:
    total: StepTimes
    by_category: dict[Key, StepTimes]


# Each step's time from intake in whole seconds, stored when the step first happened (wall-clock
# time, waiting for the resident included; the resolve time is the first resolution's, a reopen
# does not change it): app.sla.service.record_step_time.
STEP_SECONDS = {"respond": Ticket.respond_seconds, "on_site": Ticket.on_site_seconds,
                "resolve": Ticket.resolve_seconds}

Histograms = dict[tuple[Key, str], Counter]  # (category, step) → bucket → tickets


def response_times(user: User, filters: ReportFilters) -> ResponseTimes:
    """Median and 90th-percentile times to respond, arrive and resolve, overall and by category,
    for tickets received in the period, to within histogram.PRECISION.

    The step times are counted in buckets (app.analytics.histogram): the period's whole company
    months from their rows in step_time_months, the days outside them from the tickets, in the same
    buckets. A season is then some twenty thousand rows and a few weeks of tickets, where exact
    percentiles would sort every value of the season. Categories with tickets in the period but no
    step yet are listed too, with no times."""
    months, rest = whole_months(filters.period.first_day, filters.period.last_day)
    histograms: Histograms = defaultdict(Counter)
    if months:
        _add_month_rows(histograms, user, filters, months)
    zone = company_zone()
    for first, last in rest:
        _add_live_buckets(histograms, user, filters, period_of(first, last, zone))
    everything: Histograms = defaultdict(Counter)
    for (_category, step), counts in histograms.items():
        everything[None, step].update(counts)
    categories = {category for category, _step in histograms} | set(_received_categories(user, filters))
    return ResponseTimes(total=_step_times(everything, None),
                         by_category={category: _step_times(histograms, category) for category in categories})


def _step_times(histograms: Histograms, category: Key) -> StepTimes:
    def durations(counts: Counter | None) -> Durations:
        if not counts:
            return Durations()
        median, p90 = percentiles(counts, (0.5, 0.9))
        return Durations(sum(counts.values()), median, p90)

    return StepTimes(*(durations(histograms.get((category, step))) for step in STEP_SECONDS))


def _add_month_rows(histograms: Histograms, user: User, filters: ReportFilters, months: list[date]) -> None:
    """The whole months' counts: the city's rows when the user sees every ticket and no team or
    district is chosen, else the rows of the teams and districts the user sees, narrowed."""
    rows = StepTimeMonth
    if user.role in SEE_EVERY_TICKET and filters.team_id is None and filters.district_id is None:
        where = [rows.team_id == ALL, rows.district_id == ALL]
    else:
        where = [rows.team_id != ALL, visible_by_place(user, rows.team_id, rows.district_id)]
    query = (select(func.nullif(rows.category_id, NONE), rows.step, rows.bucket, func.sum(rows.tickets))
             .where(rows.month.in_(months), *where,
                    *_narrowed(filters, rows.team_id, rows.district_id, rows.category_id))
             .group_by(rows.category_id, rows.step, rows.bucket))
    for category_id, step, bucket, tickets in _rows(query):
        histograms[category_id, step][bucket] += int(tickets)


TIMES_WORK_MEM = "32MB"


def _add_live_buckets(histograms: Histograms, user: User, filters: ReportFilters, days: Period) -> None:
    """The step times of the tickets received on some days, counted into the same buckets: by
    PostgreSQL in one scan of the covering index (a grouping set per step), or here on SQLite."""
    received = [*_filtered(user, filters), Ticket.created_at >= days.start, Ticket.created_at < days.end]
    if db.session.get_bind().dialect.name != "postgresql":
        for category_id, *durations in db.session.execute(select(Ticket.category_id, *STEP_SECONDS.values())
                                                          .where(*received)):
            for step, seconds in zip(STEP_SECONDS, durations):
                if seconds is not None:
                    histograms[category_id, step][bucket_of(seconds)] += 1
        return
    # enough memory to hash all three sets (with the default 4 MB PostgreSQL sorts a month for two of
    # them); only for this transaction, which is a report's, read-only.
    db.session.execute(text(f"SET LOCAL work_mem = '{TIMES_WORK_MEM}'"))
    counted = select(Ticket.category_id, *(bucket_sql(seconds).label(step) for step, seconds in STEP_SECONDS.items())
                     ).where(*received).subquery()
    keys = [counted.c[step] for step in STEP_SECONDS]
    # grouping(): one bit per step, the first highest, 0 for the step a set groups by
    steps = {(1 << len(keys)) - 1 - (1 << (len(keys) - 1 - i)): step for i, step in enumerate(STEP_SECONDS)}
    query = (select(counted.c.category_id, func.grouping(*keys), func.coalesce(*keys), func.count())
             .group_by(func.grouping_sets(*(tuple_(counted.c.category_id, key) for key in keys))))
    for category_id, grouping, bucket, tickets in _rows(query):
        if bucket is not None:  # the tickets without this step
            histograms[category_id, steps[grouping]][bucket] += tickets


def _received_categories(user: User, filters: ReportFilters) -> list[Key]:
    """The categories of the tickets received in the period (the report lists them all), from the
    day rows of received tickets."""
    days = ReceivedDay
    return list(db.session.scalars(
        select(func.nullif(days.category_id, NONE))
        .where(days.day >= filters.period.first_day, days.day <= filters.period.last_day, days.tickets > 0,
               visible_by_place(user, days.team_id, days.district_id),
               *_narrowed(filters, days.team_id, days.district_id, days.category_id))
        .group_by(days.category_id)))


# --- 3. Satisfaction ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scores(_Summable):
    """Surveys sent (one per resolution), how many residents answered, how many gave 4–5, and the sum."""

    resolved: int = 0
    scored: int = 0
    satisfied: int = 0
    score_total: int = 0

    @property
    def csat(self) -> float | None:
        """Share of scores 4–5 among the answers."""
        return _ratio(self.satisfied, self.scored)

    @property
    def average(self) -> float | None:
        return _ratio(self.score_total, self.scored)

    @property
    def response_rate(self) -> float | None:
        """Answered / sent: how many residents answered the survey."""
        return _ratio(self.scored, self.resolved)


@dataclass(frozen=True)
class Satisfaction:
    total: Scores
    by_technician: dict[Key, Scores]
    by_team: dict[Key, Scores]
    by_district: dict[Key, Scores]
    by_category: dict[Key, Scores]
    by_month: dict[str, Scores]  # "YYYY-MM" of resolution (company zone), every month of the period in order


def _resolution_rows(user: User, filters: ReportFilters, rows, first: date, last: date) -> list[ColumnElement[bool]]:
    """The rows of resolution_days or resolution_months (`rows`) from the day or month `first` to
    `last` that the user may see, narrowed by the filters; all as at resolution."""
    when = rows.day if rows is ResolutionDay else rows.month
    return [visible_by_place(user, rows.team_id, rows.district_id), when >= first, when <= last,
            *_narrowed(filters, rows.team_id, rows.district_id, rows.category_id)]


def _resolution_parts(user: User, filters: ReportFilters, keys: Callable, counts: Callable,
                      first_day: date, last_day: date) -> list[Select]:
    """The finest groups of the resolutions of some days (`_finest`): from the month rows for the
    whole months among them, from the day rows for the days outside. A period is whole company days,
    so these rows hold exactly its resolutions. `keys` and `counts` give the columns of a table."""
    months, rest = whole_months(first_day, last_day)
    parts = []
    if months:
        parts.append(_finest(keys(ResolutionMonth), counts(ResolutionMonth),
                             _resolution_rows(user, filters, ResolutionMonth, months[0], months[-1])))
    for first, last in rest:
        parts.append(_finest(keys(ResolutionDay), counts(ResolutionDay),
                             _resolution_rows(user, filters, ResolutionDay, first, last)))
    return parts


def _day_key(column, name: str):
    """A day row's key column as the report shows it: None for nobody (stored as NONE)."""
    return func.nullif(column, NONE).label(name)


def _finest(keys: Sequence[ColumnElement], counts: Sequence[ColumnElement],
            conditions: Sequence[ColumnElement[bool]]) -> Select:
    """The counts of the rows grouped by every key at once (keys labelled by dimension, counts count_0…).

    Grouped by position, leaving out a key that is a constant (the month of a part of the period)."""
    positions = [literal_column(str(i + 1)) for i, key in enumerate(keys) if not isinstance(key.element, BindParameter)]
    return (select(*keys, *(count.label(f"count_{i}") for i, count in enumerate(counts))).where(*conditions)
            .group_by(*positions))


def _grouped(parts: Sequence[Select], make: Callable[..., C], grouping: Grouping) -> tuple[C, dict[str, dict[Key, C]]]:
    """The counts over all the rows and per value of each key alone, from the finest groups (`_finest`,
    several parts with the same columns are added up: a few thousand groups for a season).

    On PostgreSQL GROUPING SETS sum the finest groups into those the page shows, so only those (a
    couple of hundred) come back; GROUPING SETS over the rows themselves would feed every row to
    each set, several times slower. SQLite has no GROUPING SETS: there the finest groups are fetched
    and summed here. `grouping` forces one way (tests compare them)."""
    if grouping == "auto":
        grouping = "sets" if db.session.get_bind().dialect.name == "postgresql" else "python"
    finest = union_all(*parts) if len(parts) > 1 else parts[0]
    names = [column.key for column in parts[0].selected_columns if not column.key.startswith("count_")]
    n = len(names)
    total, groups = make(), {name: {} for name in names}
    if grouping == "sets":
        fine = finest.subquery()
        keys = [fine.c[name] for name in names]
        counts = [func.sum(column) for column in list(fine.c)[n:]]
        query = (select(*keys, func.grouping(*keys), *counts)
                 .group_by(func.grouping_sets(*(tuple_(key) for key in keys), tuple_())))
        for row in db.session.execute(query):
            values = make(*(int(v or 0) for v in row[n + 1:]))
            not_grouped = row[n]  # one bit per key, the first key highest: 1 = not grouped by it
            by = [i for i in range(n) if not not_grouped >> (n - 1 - i) & 1]
            if by:
                groups[names[by[0]]][row[by[0]]] = values
            else:
                total = values
        return total, groups
    for row in db.session.execute(finest):
        values = make(*(int(v or 0) for v in row[n:]))
        total = total + values
        for name, value in zip(names, row[:n]):
            groups[name][value] = groups[name].get(value, make()) + values
    return total, groups


def satisfaction(user: User, filters: ReportFilters, grouping: Grouping = "auto") -> Satisfaction:
    """CSAT, average score and response rate of the surveys sent in the period, overall and per
    technician (the assignee), team, district, category and month of resolution.

    One survey per resolution in the period (counted by company day in `resolution_days`): a ticket
    resolved twice counts twice, its low first score included, and each answer is counted once."""
    months = month_starts(filters.period, company_zone())

    def keys(rows):
        return [_day_key(rows.technician_id, "technician"), _day_key(rows.team_id, "team"),
                _day_key(rows.district_id, "district"), _day_key(rows.category_id, "category")]

    def counts(rows):
        return [func.sum(rows.resolved), func.sum(rows.scored), func.sum(rows.satisfied), func.sum(rows.score_total)]

    # The parts of each month of the period, the month a constant.
    parts = []
    for i, (label, start) in enumerate(months):
        first = max(start.astimezone(company_zone()).date(), filters.period.first_day)
        last = (months[i + 1][1].astimezone(company_zone()).date() - timedelta(days=1) if i + 1 < len(months)
                else filters.period.last_day)
        parts += _resolution_parts(user, filters, lambda rows: [*keys(rows), literal(label).label("month")], counts,
                                   first, last)
    total, groups = _grouped(parts, Scores, grouping)
    return Satisfaction(
        total=total, by_technician=groups["technician"], by_team=groups["team"], by_district=groups["district"],
        by_category=groups["category"],
        by_month={label: groups["month"].get(label, Scores()) for label, _ in months},
    )


# --- 4. Reopens -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reopens(_Summable):
    resolved: int = 0
    reopened: int = 0

    @property
    def rate(self) -> float | None:
        return _ratio(self.reopened, self.resolved)


@dataclass(frozen=True)
class ReopenRates:
    total: Reopens
    by_team: dict[Key, Reopens]
    by_district: dict[Key, Reopens]
    by_category: dict[Key, Reopens]


def reopen_rates(user: User, filters: ReportFilters, grouping: Grouping = "auto") -> ReopenRates:
    """Share of the period's resolutions that were followed by a reopen (a score of 1–2, or a reopen
    by the resident or staff, at any time since), overall and by team, district and category.

    Counted per resolution (by company day in `resolution_days`): a ticket reopened and resolved
    again in the period counts two resolutions, the first of them reopened."""
    def keys(rows):
        return [_day_key(rows.team_id, "team"), _day_key(rows.district_id, "district"),
                _day_key(rows.category_id, "category")]

    parts = _resolution_parts(user, filters, keys, lambda rows: [func.sum(rows.resolved), func.sum(rows.reopened)],
                              filters.period.first_day, filters.period.last_day)
    total, groups = _grouped(parts, Reopens, grouping)
    return ReopenRates(total=total, by_team=groups["team"], by_district=groups["district"],
                       by_category=groups["category"])


# --- 5. Complaints per 1,000 accounts per substation ------------------------------------------------

@dataclass(frozen=True)
class SubstationComplaints:
    substation_id: int
    code: str
    name: str
    district_id: int
    accounts: int  # customer accounts in the substation's buildings
    tickets: int  # tickets received in the period at the substation

    @property
    def per_thousand(self) -> float | None:
        """Complaints per 1,000 accounts; None for a substation with no accounts on record."""
        return self.tickets / self.accounts * 1000 if self.accounts else None


def complaints_per_thousand(user: User, filters: ReportFilters) -> list[SubstationComplaints]:
    """Tickets received in the period per 1,000 customer accounts, per substation, worst first.

    Heating categories only (no heat, low temperature) unless the filters ask for every category
    or name one. Substations listed: those of the chosen district (or the chosen team's districts,
    or the supervisor's team's), also with no complaints, and any other with a complaint the user
    may see."""
    ticket_conditions = [*_filtered(user, filters), *_received(filters), Ticket.substation_id.is_not(None)]
    if filters.category_id is None and not filters.all_categories:
        ticket_conditions.append(Ticket.category_id.in_(filters.heating_category_ids))
    tickets = (select(Ticket.substation_id.label("substation_id"), func.count().label("n"))
               .where(*ticket_conditions).group_by(Ticket.substation_id).subquery())
    # The accounts are counted when they change (app.analytics.account_counts), not per request.
    accounts = SubstationAccounts
    in_scope = _substation_scope(user, filters)
    query = (select(Substation.id, Substation.code, Substation.name, Substation.district_id,
                    func.coalesce(accounts.accounts, 0), func.coalesce(tickets.c.n, 0))
             .outerjoin(accounts, accounts.substation_id == Substation.id)
             .outerjoin(tickets, tickets.c.substation_id == Substation.id)
             .where(or_(in_scope, tickets.c.n.is_not(None))))
    rows = [SubstationComplaints(sid, code, name, district_id, int(n_accounts), int(n_tickets))
            for sid, code, name, district_id, n_accounts, n_tickets in db.session.execute(query)]
    rows.sort(key=lambda r: (r.per_thousand is None, -(r.per_thousand or 0), -r.tickets, r.code))
    return rows


def _substation_scope(user: User, filters: ReportFilters) -> ColumnElement[bool]:
    """The substations listed even without complaints: the chosen district's, else the chosen (or
    the supervisor's) team's districts', else (administrator) all."""
    if filters.district_id is not None:
        return Substation.district_id == filters.district_id
    team_id = filters.team_id if filters.team_id is not None else (
        None if user.role is Role.ADMIN else user.team_id)
    if team_id is None:
        return true() if user.role is Role.ADMIN else false()
    districts = select(team_districts.c.district_id).where(team_districts.c.team_id == team_id)
    return Substation.district_id.in_(districts)


# --- names ----------------------------------------------------------------------------------------

def technician_names(ids: Iterable[Hashable]) -> Mapping[int, str]:
    """Full names of the users with these ids (the technicians of a satisfaction report)."""
    wanted = [i for i in ids if isinstance(i, int)]
    if not wanted:
        return {}
    return {user.id: user.full_name for user in db.session.scalars(select(User).where(User.id.in_(wanted)))}


"""The report queries: aggregates in SQL, returned as small dataclasses keyed by id.

Every function reads tickets the user may see (`app.tickets.visibility.visible_to`) narrowed by
the filters, and costs one query (the SQLite percentile path excepted, which has to fetch the
period's durations). Ticket rows never come to Python otherwise.

Grouping: each query groups by the finest combination it needs (team × district × category, say)
and the small result, at most a few thousand rows, is summed here into each grouping the page
shows. One scan of the period's tickets then feeds every table of a report, on both databases.

Which tickets a report counts:
- SLA compliance, response times and complaints per substation: tickets *received* in the period
  (created_at), found through ix_tickets_created_id / ix_tickets_team_created /
  ix_tickets_district_created.
- Satisfaction: tickets *resolved* in the period (resolved_at, ix_tickets_resolved_at) that are
  resolved, closed or reopened: those were sent a survey.
- Reopens: tickets resolved in the period, and tickets reopened in the period that are being
  worked again (a reopen clears resolved_at until the ticket is resolved again).

SLA outcomes are the stored `*_met` columns, written once when a clock ends: a report never
recomputes them from today's policies. None (no promise, or not ended yet) is left out.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from typing import Callable, Hashable, Iterable, Literal, Mapping, TypeVar

from sqlalchemy import ColumnElement, case, exists, false, func, literal, literal_column, or_, select, true, union_all

from app.auth.models import Role, User
from app.core.time import company_zone
from app.customers.models import Building, CustomerAccount, Substation
from app.extensions import db
from app.analytics.filters import ReportFilters, month_starts
from app.analytics.percentiles import percentile_cont
from app.routing.models import team_districts
from app.tickets.models import OPEN_STATUSES, Status, Ticket, TicketEvent
from app.tickets.visibility import visible_to

CLOCKS = ("respond", "on_site", "resolve")
SURVEYED = (Status.RESOLVED, Status.CLOSED, Status.REOPENED)
SATISFIED_FROM = 4  # scores 4 and 5 count as satisfied (CSAT)

Key = int | str | None
C = TypeVar("C")


class _Summable:
    """Counts that add up field by field, so finer groups sum into coarser ones."""

    def __add__(self: C, other: C) -> C:
        return type(self)(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))  # type: ignore


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _rollup(cube: Iterable[tuple[tuple, C]], position: int, zero: Callable[[], C]) -> dict[Key, C]:
    """Sum the cube's counts by one of its key columns."""
    totals: dict[Key, C] = defaultdict(zero)
    for key, counts in cube:
        totals[key[position]] = totals[key[position]] + counts
    return dict(totals)


def _total(cube: Iterable[tuple[tuple, C]], zero: Callable[[], C]) -> C:
    result = zero()
    for _, counts in cube:
        result = result + counts
    return result


def _filtered(user: User, filters: ReportFilters) -> list[ColumnElement[bool]]:
    """What every report keeps: the tickets this user may see, narrowed by team, district, category."""
    conditions: list[ColumnElement[bool]] = [visible_to(user)]
    if filters.team_id is not None:
        conditions.append(Ticket.team_id == filters.team_id)
    if filters.district_id is not None:
        conditions.append(Ticket.district_id == filters.district_id)
    if filters.category_id is not None:
        conditions.append(Ticket.category_id == filters.category_id)
    return conditions


def _received(filters: ReportFilters) -> list[ColumnElement[bool]]:
    return [Ticket.created_at >= filters.period.start, Ticket.created_at < filters.period.end]


def _count_if(condition: ColumnElement[bool]):
    return func.sum(case((condition, 1), else_=0))


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


def sla_compliance(user: User, filters: ReportFilters) -> SlaCompliance:
    """Met and missed per clock for tickets received in the period, by team, district and category."""
    outcomes = []
    for clock in CLOCKS:
        column = getattr(Ticket, f"{clock}_met")
        outcomes += [_count_if(column.is_(True)), _count_if(column.is_(False))]
    query = (select(Ticket.team_id, Ticket.district_id, Ticket.category_id, func.count(), *outcomes)
             .where(*_filtered(user, filters), *_received(filters))
             .group_by(Ticket.team_id, Ticket.district_id, Ticket.category_id))
    cube = []
    for team_id, district_id, category_id, tickets, *n in db.session.execute(query):
        n = [int(v or 0) for v in n]
        cube.append(((team_id, district_id, category_id),
                     SlaCounts(int(tickets), ClockOutcomes(n[0], n[1]), ClockOutcomes(n[2], n[3]),
                               ClockOutcomes(n[4], n[5]))))
    return SlaCompliance(total=_total(cube, SlaCounts), by_team=_rollup(cube, 0, SlaCounts),
                         by_district=_rollup(cube, 1, SlaCounts), by_category=_rollup(cube, 2, SlaCounts))


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


# Each step's end; its time is end − created_at (wall-clock time, waiting for the resident included).
STEP_ENDS = {"respond": Ticket.responded_at, "on_site": Ticket.on_site_at, "resolve": Ticket.resolved_at}


def response_times(user: User, filters: ReportFilters,
                   method: Literal["auto", "sql", "python"] = "auto") -> ResponseTimes:
    """Median and 90th-percentile times to respond, arrive and resolve, overall and by category,
    for tickets received in the period.

    PostgreSQL computes them with percentile_cont in SQL; SQLite has no percentile function, so
    there the period's durations are fetched and the same definition applied in Python. `method`
    forces one path (tests compare them)."""
    if method == "auto":
        method = "sql" if db.session.get_bind().dialect.name == "postgresql" else "python"
    if method == "sql":
        return _times_in_sql(user, filters)
    return _times_in_python(user, filters)


def _times_in_sql(user: User, filters: ReportFilters) -> ResponseTimes:
    columns = []
    for end in STEP_ENDS.values():
        # date_part gives float seconds (EXTRACT gives numeric, much slower to sort); one sort per
        # step gives both percentiles.
        seconds = func.date_part("epoch", end - Ticket.created_at)
        columns += [func.count(end), func.percentile_cont(literal_column("ARRAY[0.5, 0.9]")).within_group(seconds)]
    query = (select(Ticket.category_id, func.grouping(Ticket.category_id), *columns)
             .where(*_filtered(user, filters), *_received(filters))
             .group_by(func.rollup(Ticket.category_id)))
    total, by_category = StepTimes(), {}
    for category_id, is_total, *values in db.session.execute(query):
        steps = StepTimes(*(Durations(int(values[i]), *_pair(values[i + 1])) for i in range(0, 6, 2)))
        if is_total:
            total = steps
        else:
            by_category[category_id] = steps
    return ResponseTimes(total=total, by_category=by_category)


def _pair(values) -> tuple[float | None, float | None]:
    """The (median, p90) of percentile_cont over an array; NULLs when the step never ended."""
    if values is None:
        return None, None
    return tuple(None if v is None else float(v) for v in values)  # type: ignore[return-value]


def _times_in_python(user: User, filters: ReportFilters) -> ResponseTimes:
    query = (select(Ticket.category_id, Ticket.created_at, *STEP_ENDS.values())
             .where(*_filtered(user, filters), *_received(filters)))
    spans: dict[Key, list[list[float]]] = defaultdict(lambda: [[] for _ in STEP_ENDS])
    everything: list[list[float]] = [[] for _ in STEP_ENDS]
    for category_id, created_at, *ends in db.session.execute(query):
        of_category = spans[category_id]  # listed even when no step has ended yet, as in SQL
        for i, end in enumerate(ends):
            if end is not None:
                seconds = (end - created_at).total_seconds()
                of_category[i].append(seconds)
                everything[i].append(seconds)

    def times(lists: list[list[float]]) -> StepTimes:
        return StepTimes(*(Durations(len(v), percentile_cont(v, 0.5), percentile_cont(v, 0.9)) for v in lists))

    return ResponseTimes(total=times(everything), by_category={k: times(v) for k, v in spans.items()})


# --- 3. Satisfaction ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scores(_Summable):
    """Resolved tickets (each sent a survey), how many residents scored, how many gave 4–5, and the sum."""

    resolved: int = 0
    scored: int = 0
    satisfied: int = 0
    score_total: int = 0

    @property
    def csat(self) -> float | None:
        """Share of scores 4–5 among scored tickets."""
        return _ratio(self.satisfied, self.scored)

    @property
    def average(self) -> float | None:
        return _ratio(self.score_total, self.scored)

    @property
    def response_rate(self) -> float | None:
        """Scored / resolved: how many residents answered the survey."""
        return _ratio(self.scored, self.resolved)


@dataclass(frozen=True)
class Satisfaction:
    total: Scores
    by_technician: dict[Key, Scores]
    by_team: dict[Key, Scores]
    by_district: dict[Key, Scores]
    by_category: dict[Key, Scores]
    by_month: dict[str, Scores]  # "YYYY-MM" of resolution (company zone), every month of the period in order


def _resolved(filters: ReportFilters) -> list[ColumnElement[bool]]:
    return [Ticket.resolved_at >= filters.period.start, Ticket.resolved_at < filters.period.end]


def satisfaction(user: User, filters: ReportFilters) -> Satisfaction:
    """CSAT, average score and response rate for tickets resolved in the period, overall and per
    technician (the assignee), team, district, category and month of resolution."""
    months = month_starts(filters.period, company_zone())
    if len(months) == 1:
        month = literal(months[0][0])
    else:  # resolved_at is inside the period, so the first month boundary it is before names its month
        month = case(*((Ticket.resolved_at < start, label) for (label, _), (_, start) in zip(months, months[1:])),
                     else_=months[-1][0])
    rows = (select(Ticket.assignee_id, Ticket.team_id, Ticket.district_id, Ticket.category_id,
                   month.label("month"), Ticket.satisfaction_score.label("score"))
            .where(*_filtered(user, filters), *_resolved(filters), Ticket.status.in_(SURVEYED))
            .subquery())
    keys = (rows.c.assignee_id, rows.c.team_id, rows.c.district_id, rows.c.category_id, rows.c.month)
    query = select(*keys, func.count(), func.count(rows.c.score), _count_if(rows.c.score >= SATISFIED_FROM),
                   func.coalesce(func.sum(rows.c.score), 0)).group_by(*keys)
    cube = [(tuple(row[:5]), Scores(*(int(v or 0) for v in row[5:]))) for row in db.session.execute(query)]
    by_month = _rollup(cube, 4, Scores)
    return Satisfaction(
        total=_total(cube, Scores), by_technician=_rollup(cube, 0, Scores), by_team=_rollup(cube, 1, Scores),
        by_district=_rollup(cube, 2, Scores), by_category=_rollup(cube, 3, Scores),
        by_month={label: by_month.get(label, Scores()) for label, _ in months},
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


def _reopened_in_period(filters: ReportFilters) -> ColumnElement[bool]:
    return exists().where(TicketEvent.ticket_id == Ticket.id, TicketEvent.to_status == Status.REOPENED,
                          TicketEvent.created_at >= filters.period.start, TicketEvent.created_at < filters.period.end)


def reopen_rates(user: User, filters: ReportFilters) -> ReopenRates:
    """Share of tickets resolved in the period that were reopened (by a low score or by staff),
    overall and by team, district and category: one aggregate query over the events.

    Resolved in the period: resolved_at in the period, or, for a ticket reopened since (a reopen
    clears resolved_at) and still being worked, its reopen in the period. The two sets are
    disjoint (resolved_at set or not) and read through different indexes, so they are unioned
    rather than OR-ed: the second is a few open tickets, checked one by one against their events.

    On PostgreSQL at a million tickets this wants a partial index on the reopen events,
    ticket_events (ticket_id) WHERE to_status = 'reopened' (a few per cent of the events):
    without it the reopen events are found by reading the whole events table."""
    keys = (Ticket.id, Ticket.team_id, Ticket.district_id, Ticket.category_id)
    resolved = select(*keys).where(*_filtered(user, filters), *_resolved(filters), Ticket.status != Status.CANCELLED)
    reopened_since = select(*keys).where(*_filtered(user, filters), Ticket.resolved_at.is_(None),
                                         Ticket.status.in_(OPEN_STATUSES), _reopened_in_period(filters))
    population = union_all(resolved, reopened_since).subquery()
    # IN rather than a correlated EXISTS: PostgreSQL reads the reopen events once into a hash
    # instead of probing the events of every resolved ticket.
    was_reopened = population.c.id.in_(select(TicketEvent.ticket_id).where(TicketEvent.to_status == Status.REOPENED))
    groups = (population.c.team_id, population.c.district_id, population.c.category_id)
    query = select(*groups, func.count(), _count_if(was_reopened)).group_by(*groups)
    cube = [((team_id, district_id, category_id), Reopens(int(resolved), int(reopened or 0)))
            for team_id, district_id, category_id, resolved, reopened in db.session.execute(query)]
    return ReopenRates(total=_total(cube, Reopens), by_team=_rollup(cube, 0, Reopens),
                       by_district=_rollup(cube, 1, Reopens), by_category=_rollup(cube, 2, Reopens))


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
    # Counted per building first (the building_id index, read in order), then summed per substation.
    per_building = (select(CustomerAccount.building_id.label("building_id"), func.count().label("n"))
                    .group_by(CustomerAccount.building_id).subquery())
    accounts = (select(Building.substation_id.label("substation_id"), func.sum(per_building.c.n).label("n"))
                .join(per_building, per_building.c.building_id == Building.id)
                .group_by(Building.substation_id).subquery())
    in_scope = _substation_scope(user, filters)
    query = (select(Substation.id, Substation.code, Substation.name, Substation.district_id,
                    func.coalesce(accounts.c.n, 0), func.coalesce(tickets.c.n, 0))
             .outerjoin(accounts, accounts.c.substation_id == Substation.id)
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


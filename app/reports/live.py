"""The live board: open tickets by district and status, the at-risk and breached lists, and today's
intake by channel and hour, for a supervisor's team or (for an administrator) any part of the city.

Built to stay fast with a million tickets, a hundred thousand of them open. Every part is one
query, or two for a list, whatever the number of tickets:
- counts: GROUP BY district and status over the open tickets (ix_tickets_status, or the team's
  ix_tickets_team_status);
- the lists: a range of the stored SLA marks (ix_tickets_sla_breach, ix_tickets_sla_warn), most
  urgent first, LIMIT; category, district and technician joined in; the total counted only when
  the list is longer than what is shown;
- intake: today's range of ix_tickets_created_id, grouped by channel and hour in SQL.

The lists use the one definition of the standing rule (`app.reports.board.sla_standing`):
breached when open, not paused and `sla_breach_at <= now`; at risk when `sla_warn_at <= now <
sla_breach_at`. Reports read; nothing here writes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import ColumnElement, Integer, and_, cast, extract, func, or_, select
from sqlalchemy.orm import joinedload

from app.auth.models import Role, User
from app.core.time import company_zone
from app.customers.models import District
from app.extensions import db
from app.reports.board import marked_clock
from app.routing.models import Team, team_districts
from app.tickets.models import OPEN_STATUSES, Channel, Status, Ticket
from app.tickets.visibility import visible_to

LIST_LIMIT = 50  # per list: the most urgent are shown, all are counted
STATUS_COLUMNS: tuple[Status, ...] = tuple(s for s in Status if s in OPEN_STATUSES)  # in lifecycle order
CHANNELS: tuple[Channel, ...] = tuple(Channel)
HOURS = range(24)


# --- what the board covers -----------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """Everything `user` may see (app.tickets.visibility), narrowed for an administrator to one team
    (its tickets and the untriaged ones in its districts, as on its team board) or one district."""

    user: User
    team: Team | None = None
    district: District | None = None

    def where(self) -> list[ColumnElement[bool]]:
        """The WHERE clauses every part of the board shares."""
        clauses: list[ColumnElement[bool]] = [visible_to(self.user)]
        if self.team is not None:
            districts = select(team_districts.c.district_id).where(team_districts.c.team_id == self.team.id)
            clauses.append(or_(Ticket.team_id == self.team.id,
                               and_(Ticket.team_id.is_(None), Ticket.district_id.in_(districts))))
        if self.district is not None:
            clauses.append(Ticket.district_id == self.district.id)
        return clauses


def may_filter(user: User) -> bool:
    """Only administrators choose what the board covers; a supervisor always sees their own team."""
    return user.role is Role.ADMIN


def live_scope(user: User, team_id: int | None = None, district_id: int | None = None) -> Scope:
    """The board's scope: the filters an administrator asked for (unknown ids are ignored)."""
    if not may_filter(user):
        return Scope(user)
    team = db.session.get(Team, team_id) if team_id else None
    district = db.session.get(District, district_id) if district_id else None
    return Scope(user, team, district)


def filter_choices() -> tuple[list[Team], list[District]]:
    """The teams and districts an administrator may narrow the board to."""
    return (list(db.session.scalars(select(Team).order_by(Team.id))),
            list(db.session.scalars(select(District).order_by(District.id))))


# --- open tickets by district and status ---------------------------------------------------------

@dataclass(frozen=True)
class DistrictCounts:
    """One district's open tickets by status; district None: the address was not placed in one."""

    district: District | None
    counts: dict[Status, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class StatusCounts:
    """The district × status table, districts in a steady order (unplaced last)."""

    rows: list[DistrictCounts]

    def column(self, status: Status) -> int:
        return sum(row.counts.get(status, 0) for row in self.rows)

    @property
    def total(self) -> int:
        return sum(row.total for row in self.rows)


def open_counts(scope: Scope) -> StatusCounts:
    """Count the open tickets by district and status in SQL (one GROUP BY, then the few district names)."""
    grouped = db.session.execute(
        select(Ticket.district_id, Ticket.status, func.count())
        .where(Ticket.status.in_(STATUS_COLUMNS), *scope.where())
        .group_by(Ticket.district_id, Ticket.status)
    ).all()
    by_district: dict[int | None, dict[Status, int]] = {}
    for district_id, status, count in grouped:
        by_district.setdefault(district_id, {})[Status(status)] = count
    ids = [d for d in by_district if d is not None]
    districts = {d.id: d for d in db.session.scalars(select(District).where(District.id.in_(ids)))} if ids else {}
    order = sorted(by_district, key=lambda d: (d is None, d or 0))
    return StatusCounts([DistrictCounts(districts.get(d) if d is not None else None, by_district[d]) for d in order])


# --- the at-risk and breached lists --------------------------------------------------------------

@dataclass(frozen=True)
class Urgent:
    """A ticket on a list, with the clock whose due time is its breach mark."""

    ticket: Ticket
    clock: str | None  # respond / on_site / resolve
    due: datetime

    def left(self, now: datetime) -> timedelta:
        """Time left until the due time; negative once overdue."""
        return self.due - now


@dataclass(frozen=True)
class UrgentList:
    """The first `len(rows)` tickets of a list, most urgent first, and how many the list holds."""

    rows: list[Urgent]
    total: int

    @property
    def more(self) -> int:
        """How many are counted but not shown."""
        return self.total - len(self.rows)


def breached(scope: Scope, now: datetime, limit: int = LIST_LIMIT) -> UrgentList:
    """Open, running tickets whose next due time has come: the longest overdue first."""
    return _urgent(scope, Ticket.sla_breach_at <= now, limit)


def at_risk(scope: Scope, now: datetime, limit: int = LIST_LIMIT) -> UrgentList:
    """Open, running tickets past their warning point but not yet due: the soonest due first."""
    return _urgent(scope, and_(Ticket.sla_warn_at <= now, Ticket.sla_breach_at > now), limit)


def _urgent(scope: Scope, marks: ColumnElement[bool], limit: int) -> UrgentList:
    # "Open and not paused" needs no test of its own: refresh_marks clears the marks of every
    # ticket that is finished or waiting, so the count can be read from the marks' index alone.
    where = [marks, *scope.where()]
    tickets = db.session.scalars(
        select(Ticket).where(*where).order_by(Ticket.sla_breach_at, Ticket.id).limit(limit)
        .options(joinedload(Ticket.category), joinedload(Ticket.district), joinedload(Ticket.assignee))
    ).all()
    total = len(tickets)
    if total >= limit:  # only a full page may have more behind it
        total = db.session.scalar(select(func.count()).select_from(Ticket).where(*where)) or 0
    return UrgentList([Urgent(t, marked_clock(t), t.sla_breach_at) for t in tickets], total)


# --- today's intake ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Intake:
    """Tickets received today (the company's day) by channel and local hour."""

    day: date
    by_channel: dict[Channel, tuple[int, ...]]  # 24 hourly counts per channel

    def hour(self, hour: int) -> int:
        return sum(counts[hour] for counts in self.by_channel.values())

    def channel(self, channel: Channel) -> int:
        return sum(self.by_channel[channel])

    @property
    def total(self) -> int:
        return sum(sum(counts) for counts in self.by_channel.values())


def intake_today(scope: Scope, now: datetime) -> Intake:
    """Count today's tickets per channel and local hour in one GROUP BY over today's range of created_at.

    The database buckets by whole hours since the company's midnight (portable integer arithmetic on
    epoch seconds); each bucket is then named by its local hour, which also holds on a day when a
    zone's clocks change (Asia/Shanghai's never do).
    """
    zone = company_zone()
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    elapsed_hours = (cast(extract("epoch", Ticket.created_at), Integer) - int(start.timestamp())) // 3600
    bucket = elapsed_hours.label("bucket")
    rows = db.session.execute(
        select(Ticket.channel, bucket, func.count())
        .where(Ticket.created_at >= start, Ticket.created_at < end, *scope.where())
        .group_by(Ticket.channel, bucket)
    ).all()
    counts = {channel: [0] * len(HOURS) for channel in CHANNELS}
    for channel, elapsed, count in rows:
        local_hour = (start.astimezone(timezone.utc) + timedelta(hours=int(elapsed))).astimezone(zone).hour
        counts[Channel(channel)][local_hour] += count
    return Intake(day, {channel: tuple(hourly) for channel, hourly in counts.items()})


# --- the whole board -----------------------------------------------------------------------------

@dataclass(frozen=True)
class LiveBoard:
    """Everything the live board shows at `now`."""

    scope: Scope
    now: datetime
    counts: StatusCounts
    breached: UrgentList
    at_risk: UrgentList
    intake: Intake


def live_board(user: User, now: datetime, team_id: int | None = None, district_id: int | None = None,
               limit: int = LIST_LIMIT) -> LiveBoard:
    """The live board as `user` may see it at `now` (an administrator may narrow it to a team or district)."""
    scope = live_scope(user, team_id, district_id)
    return LiveBoard(scope=scope, now=now, counts=open_counts(scope), breached=breached(scope, now, limit),
                     at_risk=at_risk(scope, now, limit), intake=intake_today(scope, now))

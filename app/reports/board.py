"""The supervisor's team board: read-only queries, the SLA standing rule, and the two board actions.

Reading: each group (a technician's open tickets, or nobody's) is counted (open, overdue, at risk)
and only its most urgent rows come back, its share of a page-wide row budget (ROW_BUDGET: 20 rows per
technician on an ordinary day, 6 when a city-wide outage puts thirty thousand tickets on 29
technicians). On PostgreSQL one statement counts the groups and walks each group's rows in board order
down ix_tickets_board_order, stopping after its share (rows_by_index); SQLite ranks every ticket with
window functions instead (rows_by_window), which finds the same rows. The supervisor can open one group
to see up to ROWS_OPENED of its rows (the other groups then show their counts only). The call-backs
are counted and the ones due first read; the team's technicians are one more query. So the board
costs the same few queries, and renders about the same couple of hundred rows, for three open
tickets or thirty thousand.

Indexes relied on: tickets(team_id, status) (ix_tickets_team_status) serves both branches of the
filter, "our team's open tickets" and "open tickets with no team" (team_id IS NULL), with the
district test (ix_tickets_district_id) and visibility checked on those rows; the partial
ix_tickets_board_order (open tickets by coalesce(assignee_id, 0), due time, received, id) lists each
group's first rows; users(team_id) (ix_users_team_id) finds the team's technicians; team_districts'
primary key the team's districts.

Writing: the board's two actions go through `app.tickets.actions.perform` (role, optimistic lock,
lifecycle), after the board's own checks. Nothing here commits.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, literal, not_, or_, select, text, true, union_all
from sqlalchemy.orm import joinedload

from app.auth.models import Role, User
from app.core.errors import ValidationFailed
from app.extensions import db
from app.routing.models import Team, team_districts
from app.satisfaction.callbacks import callback_overdue
from app.sla.service import running_clocks
from app.tickets.actions import perform
from app.tickets.lifecycle import ALLOWED_FROM, WORKING
from app.tickets.models import OPEN_STATUSES_SQL, Status, Ticket, TicketEvent
from app.tickets.permissions import may
from app.tickets.visibility import visible_to

# --- the SLA standing rule (pure) -------------------------------------------------------------
# One definition for the team board and the live board: the ticket's stored marks
# (app.sla.service.refresh_marks) decide, so a ticket is at risk here exactly when the live board
# lists it. Marks are empty for tickets that are finished or waiting for the resident.


class SlaState(enum.StrEnum):
    BREACHED = "breached"  # the next running clock's due time has come (sla_breach_at <= now)
    AT_RISK = "at_risk"  # its warning point has come, its due time not yet (sla_warn_at <= now < sla_breach_at)
    ON_TIME = "on_time"  # running, with time to spare (or no promised times at all)
    PAUSED = "paused"  # waiting for the resident: the clocks stand still


# Board order: the worst first; paused tickets cannot get worse while they wait.
_STATE_RANK = {SlaState.BREACHED: 0, SlaState.AT_RISK: 1, SlaState.ON_TIME: 2, SlaState.PAUSED: 3}


@dataclass(frozen=True)
class Standing:
    """Where a ticket stands against its promise: the state and the clock that decides it."""

    state: SlaState
    clock: str | None = None
    due: datetime | None = None

    @property
    def rank(self) -> int:
        return _STATE_RANK[self.state]


def sla_standing(warn_at: datetime | None, breach_at: datetime | None, paused_at: datetime | None,
                 now: datetime, clock: str | None = None) -> Standing:
    """Breached, at risk, on time or paused, from the stored marks and a given now.

    Paused wins (nothing runs while the resident is awaited); then breached once the due time
    `breach_at` has come; at risk from the warning point `warn_at` until then. `clock` names the
    clock whose due time `breach_at` is, for the page.
    """
    if paused_at is not None:
        return Standing(SlaState.PAUSED)
    if breach_at is None:
        return Standing(SlaState.ON_TIME)
    if breach_at <= now:
        return Standing(SlaState.BREACHED, clock, breach_at)
    if warn_at is not None and warn_at <= now:
        return Standing(SlaState.AT_RISK, clock, breach_at)
    return Standing(SlaState.ON_TIME, clock, breach_at)


def marked_clock(ticket: Ticket) -> str | None:
    """The running clock (respond, on_site, resolve) whose due time is the ticket's breach mark."""
    if ticket.sla_breach_at is None:
        return None
    return next((clock for clock in running_clocks(ticket)
                 if getattr(ticket, f"{clock}_due_at") == ticket.sla_breach_at), None)


def standing_of(ticket: Ticket, now: datetime) -> Standing:
    """The ticket's standing now, from its marks."""
    return sla_standing(ticket.sla_warn_at, ticket.sla_breach_at, ticket.sla_paused_at, now, marked_clock(ticket))


# --- the board (read) ---------------------------------------------------------------------------

UNASSIGNED = "unassigned"
ROWS_SHOWN = 20  # most rows a group lists: a technician's whole day, usually
ROWS_MIN = 5  # fewest rows a group lists, however many groups share the budget
ROW_BUDGET = 200  # about how many rows the page lists in all (each row carries a dispatch form)
ROWS_OPENED = 100  # rows listed for the one group the supervisor opened
CALLBACKS_SHOWN = 20  # the call-backs due first; the rest are counted


def rows_per_group(groups: int) -> int:
    """Each group's share of the page's row budget, between ROWS_MIN and ROWS_SHOWN."""
    return max(ROWS_MIN, min(ROWS_SHOWN, ROW_BUDGET // max(groups, 1)))


def group_key(technician_id: int | None) -> str:
    return UNASSIGNED if technician_id is None else f"tech-{technician_id}"


def parse_group_key(text: str | None) -> str | None:
    """A group key from a URL ("unassigned" or "tech-<id>"), or None for anything else."""
    if text == UNASSIGNED:
        return text
    if text and text.startswith("tech-") and text[5:].isascii() and text[5:].isdigit() and len(text) < 16:
        return text
    return None


@dataclass(frozen=True)
class Row:
    """A ticket on the board with its standing, worked out once per page."""

    ticket: Ticket
    standing: Standing


@dataclass
class Group:
    """One technician's open tickets (their load), or the tickets nobody works yet."""

    key: str  # "unassigned" or "tech-<user id>"
    technician: User | None
    rows: list[Row] = field(default_factory=list)
    counts: "Counts | None" = None  # counted in SQL when only the most urgent rows were read
    limit: int = ROWS_SHOWN  # how many rows the page lists
    opened: bool = False  # the supervisor asked to see more of this group

    @property
    def load(self) -> int:
        return self.counts.open if self.counts else len(self.rows)

    @property
    def shown(self) -> list[Row]:
        """The rows the page lists: the most urgent first, at most `limit`."""
        return self.rows[:self.limit]

    @property
    def breached(self) -> int:
        if self.counts:
            return self.counts.breached
        return sum(1 for r in self.rows if r.standing.state is SlaState.BREACHED)

    @property
    def at_risk(self) -> int:
        if self.counts:
            return self.counts.at_risk
        return sum(1 for r in self.rows if r.standing.state is SlaState.AT_RISK)


@dataclass(frozen=True)
class Counts:
    """A technician's open tickets on the board (call-backs apart), counted by the database."""

    open: int
    breached: int
    at_risk: int


@dataclass
class Board:
    """Everything the supervisor's page shows, already grouped and ordered."""

    team: Team | None
    technicians: list[User]  # who the team's tickets may be (re)assigned to
    groups: list[Group]
    callbacks: list[Ticket]  # reopened by the resident, the ones due first: the supervisor calls back
    now: datetime
    callback_count: int | None = None  # all call-backs owed, when only the first ones were read
    opened: str | None = None  # the key of the group opened to see more of it

    @property
    def callbacks_owed(self) -> int:
        return len(self.callbacks) if self.callback_count is None else self.callback_count

    @property
    def open_count(self) -> int:
        return sum(g.load for g in self.groups) + self.callbacks_owed

    @property
    def breached(self) -> int:
        return sum(g.breached for g in self.groups)

    @property
    def at_risk(self) -> int:
        return sum(g.at_risk for g in self.groups)

    @property
    def unassigned(self) -> int:
        return sum(g.load for g in self.groups if g.technician is None)

    def callback_overdue(self, ticket: Ticket) -> bool:
        """The call-back is late by the board's clock: the moment the sweep escalates it."""
        return ticket.callback_due_at is not None and callback_overdue(ticket.callback_due_at, self.now)


def board_teams(user: User) -> list[Team]:
    """The teams whose board this user may open: every team for an admin, else their own."""
    if user.role is Role.ADMIN:
        return list(db.session.scalars(select(Team).order_by(Team.id)))
    if user.role is Role.SUPERVISOR and user.team_id is not None:
        team = db.session.get(Team, user.team_id)
        return [team] if team else []
    return []


def board_team(user: User, requested: str | None, teams: list[Team]) -> Team | None:
    """The team to show: a supervisor's own; for an admin the one asked for, else the first team."""
    if user.role is Role.ADMIN and requested and requested.isascii() and requested.isdigit():
        for team in teams:
            if team.id == int(requested):
                return team
    return teams[0] if teams else None


def awaits_callback(ticket: Ticket) -> bool:
    """Reopened by the resident (a score of 1–2, or "not fixed": the call-back's due time is set):
    the supervisor owes the resident a call."""
    score = ticket.satisfaction_score
    return ticket.status is Status.REOPENED and (
        ticket.callback_due_at is not None or (score is not None and score <= 2))


def may_dispatch(ticket: Ticket, user: User) -> bool:
    """The board offers the ticket's dispatch form: its state allows assigning it and the user's role
    may (available_actions' answer for "assign", without weighing every other action on every row)."""
    return ticket.status in ALLOWED_FROM["assign"] and may(user, "assign", ticket)


def team_technicians(team_id: int | None) -> list[User]:
    """The team's active technicians: whom its tickets may go to."""
    if team_id is None:
        return []
    return list(db.session.scalars(
        select(User).where(User.team_id == team_id, User.role == Role.TECHNICIAN, User.active.is_(True))
        .order_by(User.id)))


# The open statuses as literals, as ix_tickets_board_order spells them: so the planner can prove the
# query's rows are in that partial index even when it plans once for any parameters.
_OPEN = text(f"tickets.{OPEN_STATUSES_SQL}")


def _on_board(user: User, team: Team):
    """The team's open tickets and the untriaged ones in its districts that `user` may see."""
    districts = select(team_districts.c.district_id).where(team_districts.c.team_id == team.id)
    return (
        _OPEN,
        or_(Ticket.team_id == team.id, and_(Ticket.team_id.is_(None), Ticket.district_id.in_(districts))),
        visible_to(user),
    )


# awaits_callback, in SQL
_CALLBACK = and_(Ticket.status == Status.REOPENED,
                 or_(Ticket.callback_due_at.is_not(None), func.coalesce(Ticket.satisfaction_score, 5) <= 2))


def _breached(now: datetime):
    return and_(Ticket.sla_paused_at.is_(None), Ticket.sla_breach_at <= now)


def _at_risk(now: datetime):
    return and_(Ticket.sla_paused_at.is_(None), Ticket.sla_warn_at <= now, Ticket.sla_breach_at > now)


def _rank(now: datetime):
    """`sla_standing`'s rank, in SQL: paused last, then overdue, at risk, on time."""
    return case((Ticket.sla_paused_at.is_not(None), 3), (Ticket.sla_breach_at <= now, 0),
                (Ticket.sla_warn_at <= now, 1), else_=2)


_JOINED = (joinedload(Ticket.category), joinedload(Ticket.district), joinedload(Ticket.assignee))


Found = tuple[list[int], dict[int | None, Counts]]  # the ids of the rows to list, and every group's counts


def ranked_rows(user: User, team: Team, now: datetime, per_group: int,
                opened: str | None = None) -> tuple[list[Ticket], dict[int | None, Counts]]:
    """Each technician's `per_group` most urgent open tickets, call-backs apart, and every group's
    counts. With a group opened, ROWS_OPENED of its tickets and none of the others' (their counts
    still come). PostgreSQL walks the board's index (rows_by_index); SQLite, which has no LATERAL,
    ranks every ticket (rows_by_window). Both find the same rows."""
    read = rows_by_index if db.session.get_bind().dialect.name == "postgresql" else rows_by_window
    ids, counts = read(user, team, now, per_group, opened)
    # ids first: joined back to tickets, the planner misjudges the few rows found and scans them all
    tickets = list(db.session.scalars(
        select(Ticket).where(Ticket.id.in_(ids)).options(*_JOINED).order_by(Ticket.id))) if ids else []
    return tickets, counts


def _limit(group, per_group: int, opened: str | None):
    """How many rows a group lists: its share, or ROWS_OPENED for the opened group and none for the others."""
    if opened is None:
        return literal(per_group)
    return case((group == (0 if opened == UNASSIGNED else int(opened[5:])), ROWS_OPENED), else_=0)


def rows_by_window(user: User, team: Team, now: datetime, per_group: int, opened: str | None = None) -> Found:
    """One scan of the board's tickets: window functions rank each group and count it."""
    group = Ticket.assignee_id
    ranked = (
        select(Ticket.id, Ticket.assignee_id,
               func.row_number().over(partition_by=group, order_by=(
                   _rank(now), Ticket.sla_breach_at.is_(None), Ticket.sla_breach_at, Ticket.created_at,
                   Ticket.id)).label("place"),
               func.count().over(partition_by=group).label("open"),
               func.count(case((_breached(now), 1))).over(partition_by=group).label("breached"),
               func.count(case((_at_risk(now), 1))).over(partition_by=group).label("at_risk"),
               _limit(func.coalesce(group, 0), per_group, opened).label("listed"))
        .where(*_on_board(user, team), not_(_CALLBACK))
        .subquery()
    )
    listed = ranked.c.place <= ranked.c.listed
    found = db.session.execute(  # each group's first row comes even when none is listed: it has the counts
        select(ranked.c.id, ranked.c.assignee_id, ranked.c.open, ranked.c.breached, ranked.c.at_risk,
               listed.label("listed"))
        .where(or_(listed, ranked.c.place == 1))).all()
    return ([row.id for row in found if row.listed],
            {row.assignee_id: Counts(row.open, row.breached, row.at_risk) for row in found})


def rows_by_index(user: User, team: Team, now: datetime, per_group: int, opened: str | None = None) -> Found:
    """Each group counted (GROUP BY), then each group's most urgent rows read by walking
    ix_tickets_board_order from the top (LATERAL … LIMIT): a few rows per group, however many it has.

    The board's order (`_rank`, then the due time) is not an index order, since the rank depends on
    now; so each group is read as four walks, each in index order and limited, whose union holds the
    group's first rows: overdue (due time passed), at risk (due later, warning passed), on time (due
    later, no warning yet), and the rest (paused, or no due time: few) sorted as the window sorts."""
    scope = (*_on_board(user, team), not_(_CALLBACK))
    group = func.coalesce(Ticket.assignee_id, 0)  # as the index has it: 0 for nobody's tickets
    counts = (
        select(group.label("grp"), func.count().label("open"),
               func.count(case((_breached(now), 1))).label("breached"),
               func.count(case((_at_risk(now), 1))).label("at_risk"),
               _limit(group, per_group, opened).label("listed"))
        .where(*scope).group_by(group)
        .cte("counts")
    )
    running, due, warn = Ticket.sla_paused_at.is_(None), Ticket.sla_breach_at, Ticket.sla_warn_at
    by_due = (due, Ticket.created_at, Ticket.id)

    def walk(rank, *where, order=by_due):
        return (select(Ticket.id, rank.label("rank"), due.label("due"), Ticket.created_at)
                .where(*scope, group == counts.c.grp, *where).order_by(*order).limit(counts.c.listed)
                .correlate(counts))

    walks = union_all(
        walk(literal(0), running, due <= now),
        walk(literal(1), running, due > now, warn <= now),
        walk(literal(2), running, due > now, or_(warn.is_(None), warn > now)),
        walk(_rank(now), or_(due.is_(None), not_(running)), order=(_rank(now), due.is_(None), *by_due)),
    ).subquery("walks")
    first = (select(walks.c.id)
             .order_by(walks.c.rank, walks.c.due.is_(None), walks.c.due, walks.c.created_at, walks.c.id)
             .limit(counts.c.listed).lateral("first"))
    found = db.session.execute(
        select(counts.c.grp, counts.c.open, counts.c.breached, counts.c.at_risk, first.c.id)
        .select_from(counts.outerjoin(first, true()))).all()
    return ([row.id for row in found if row.id is not None],
            {row.grp or None: Counts(row.open, row.breached, row.at_risk) for row in found})


def owed_callbacks(user: User, team: Team, keep: str | None = None) -> tuple[list[Ticket], int]:
    """The CALLBACKS_SHOWN call-backs due first (and `keep`, a reference whose form just failed),
    and how many are owed in all."""
    scope = (*_on_board(user, team), _CALLBACK)
    total = db.session.scalar(select(func.count()).select_from(Ticket).where(*scope)) or 0
    first = (select(Ticket.id).where(*scope)
             .order_by(Ticket.callback_due_at.is_(None), Ticket.callback_due_at, Ticket.updated_at, Ticket.id)
             .limit(CALLBACKS_SHOWN))
    wanted = Ticket.id.in_(first) if keep is None else or_(Ticket.id.in_(first), Ticket.reference == keep)
    return list(db.session.scalars(select(Ticket).where(*scope, wanted).options(*_JOINED))), total


def build_board(user: User, team: Team | None, now: datetime, opened: str | None = None,
                keep: str | None = None) -> Board:
    """The board of `team` as `user` may see it at `now`: groups ordered worst first, counted in full.

    `opened` (a group key) lists more of that group; `keep` (a reference) is a call-back listed even
    beyond the first ones, because the supervisor's form on it just failed."""
    if team is None:
        return Board(team=None, technicians=[], groups=[], callbacks=[], now=now)
    technicians = team_technicians(team.id)
    per_group = rows_per_group(len(technicians) + 1)
    tickets, counts = ranked_rows(user, team, now, per_group, opened)
    callbacks, callback_count = owed_callbacks(user, team, keep)
    board = arrange([*tickets, *callbacks], technicians, team, now)
    board.callback_count, board.opened = callback_count, opened
    for group in board.groups:
        group.counts = counts.get(None if group.technician is None else group.technician.id, Counts(0, 0, 0))
        group.opened = group.key == opened
        group.limit = ROWS_OPENED if group.opened else 0 if opened else per_group
    return board


def arrange(tickets: Iterable[Ticket], technicians: list[User], team: Team | None, now: datetime) -> Board:
    """Group tickets by technician (nobody's in one group), worst standing first everywhere."""
    groups: dict[str, Group] = {UNASSIGNED: Group(UNASSIGNED, None)}
    for technician in technicians:
        groups[group_key(technician.id)] = Group(group_key(technician.id), technician)
    callbacks: list[Ticket] = []
    for ticket in tickets:
        if awaits_callback(ticket):
            callbacks.append(ticket)
            continue
        key = group_key(ticket.assignee.id if ticket.assignee is not None else None)
        if ticket.assignee is not None:
            # someone no longer active in the team still has tickets: show them, to move them on
            groups.setdefault(key, Group(key, ticket.assignee))
        groups[key].rows.append(Row(ticket, standing_of(ticket, now)))
    for group in groups.values():
        group.rows.sort(key=_row_order)
    ordered = sorted(groups.values(), key=_group_order)
    callbacks.sort(key=lambda t: (t.callback_due_at or _LATEST, t.updated_at or t.created_at))  # due first
    return Board(team=team, technicians=technicians, groups=ordered, callbacks=callbacks, now=now)


_LATEST = datetime.max.replace(tzinfo=timezone.utc)


def _row_order(row: Row) -> tuple:
    """Worst standing first; within it the earliest due time, then the oldest ticket."""
    return (row.standing.rank, row.standing.due or _LATEST, row.ticket.created_at, row.ticket.id)


def _group_order(group: Group) -> tuple:
    """The group holding the most urgent ticket first; otherwise a steady order (nobody's, then
    technicians as listed); idle technicians last, to show who is free."""
    who = (0, 0) if group.technician is None else (1, group.technician.id)
    if not group.rows:
        return (len(_STATE_RANK), _LATEST, *who)
    worst = group.rows[0].standing
    urgent = worst.state in (SlaState.BREACHED, SlaState.AT_RISK)
    return (worst.rank, (worst.due or _LATEST) if urgent else _LATEST, *who)


# --- the board's actions (write, never commit) -----------------------------------------------

NOT_IN_TEAM = _l("That technician is not in this ticket's team.")
ALREADY_THEIRS = _l("The ticket is already with that technician.")


def _team_of(ticket: Ticket) -> int | None:
    """The team a ticket belongs to, or for an untriaged one the team serving its district."""
    if ticket.team_id is not None:
        return ticket.team_id
    if ticket.district_id is None:
        return None
    return db.session.scalar(
        select(team_districts.c.team_id).where(team_districts.c.district_id == ticket.district_id))


def reassign(ticket: Ticket, user: User, assignee: str | None, version: str | None) -> TicketEvent:
    """Dispatch the ticket to a technician of its team in one step (role and version checked)."""
    chosen = int(assignee) if assignee and assignee.isascii() and assignee.isdigit() and len(assignee) < 10 else None
    technicians = team_technicians(_team_of(ticket))
    if chosen is not None and db.session.get(User, chosen) is not None \
            and chosen not in {t.id for t in technicians}:
        raise ValidationFailed({"assignee": NOT_IN_TEAM})
    if chosen is not None and chosen == ticket.assignee_id and ticket.status in WORKING:
        raise ValidationFailed({"assignee": ALREADY_THEIRS})
    return perform(ticket, user, "assign", {"assignee": str(chosen or ""), "version": version or ""})


def close_after_callback(ticket: Ticket, user: User, reason: str | None, version: str | None) -> TicketEvent:
    """Close a reopened ticket after the supervisor's call, recording why the resident stays unhappy."""
    return perform(ticket, user, "close_after_callback", {"reason": reason or "", "version": version or ""})

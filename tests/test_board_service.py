"""The board service, without HTTP: what a supervisor's board holds, in which order, for whom."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from app.auth.models import User
from app.core.errors import Conflict, ValidationFailed
from app.extensions import db
from app.reports import board as service
from app.reports.board import SlaState, UNASSIGNED
from app.routing.models import Team
from app.tickets.actions import available_actions
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Closure, Status, Ticket
from tests.conftest import NOW

CALM = {"category": "radiator_noise"}  # normal priority: two hours to respond, so on time when fresh


@pytest.fixture
def user(ctx, network):
    """The network's users by username."""
    return lambda username: db.session.get(User, network[username])


@pytest.fixture
def team(ctx, network):
    return db.session.get(Team, network["team"])


@pytest.fixture
def team_q(ctx, network):
    return db.session.get(Team, network["team_q"])


@pytest.fixture
def ticket_of(make_ticket, user):
    """Factory: a ticket received `ago` before NOW and dispatched to `username` (of the Kundulun team)."""

    def make(username: str, ago: timedelta = timedelta(0), **overrides) -> Ticket:
        ticket = make_ticket(at=NOW - ago, **overrides)
        if ticket.assignee_id != user(username).id:
            lifecycle.assign(ticket, user(username), Actor.system(), now=NOW - ago)
            db.session.commit()
        return ticket

    return make


@pytest.fixture
def qingshan_ticket(make_ticket, network):
    """A ticket of the Qingshan team (技术员 sun)."""
    return make_ticket(district_id=network["qingshan"], building="富强小区1号楼", unit="", flat="")


@pytest.fixture
def triage_ticket(make_ticket):
    """A Kundulun complaint whose building was not found: no team yet, waiting for triage."""
    ticket = make_ticket(building="不存在的小区9号楼", **CALM)
    assert ticket.team_id is None
    return ticket


@pytest.fixture
def reopened(ticket_of, user):
    """Resolved by wang, then rated 1 by the resident: reopened for the supervisor's call-back."""
    ticket = ticket_of("wang", timedelta(hours=3))
    lifecycle.resolve(ticket, Actor.staff(user("wang")), "air_bled", now=NOW - timedelta(hours=1))
    lifecycle.rate(ticket, 1, "还是不热", now=NOW - timedelta(minutes=30))
    db.session.commit()
    return ticket


def board_of(username: str, user, team=None):
    who = user(username)
    chosen = team or service.board_team(who, None, service.board_teams(who))
    return service.build_board(who, chosen, NOW)


def group(board, key):
    return next(g for g in board.groups if g.key == key)


def references(rows):
    return [row.ticket.reference for row in rows]


# --- grouping and load -------------------------------------------------------------------------

def test_open_tickets_are_grouped_by_technician_with_each_ones_load(ticket_of, user, network):
    wang_1, wang_2 = ticket_of("wang", **CALM), ticket_of("wang", **CALM)
    li_1 = ticket_of("li", **CALM)
    board = board_of("zhao", user)
    wang, li = group(board, f"tech-{network['wang']}"), group(board, f"tech-{network['li']}")
    assert sorted(references(wang.rows)) == sorted([wang_1.reference, wang_2.reference])
    assert references(li.rows) == [li_1.reference]
    assert (wang.load, li.load, group(board, UNASSIGNED).load) == (2, 1, 0)


def test_an_idle_technician_still_has_a_group_to_show_who_is_free(ticket_of, user, network):
    ticket_of("wang", **CALM)
    board = board_of("zhao", user)
    assert group(board, f"tech-{network['li']}").load == 0
    assert board.groups[-1].key == f"tech-{network['li']}"


def test_breached_then_at_risk_tickets_come_first_in_a_group(ticket_of, user, network):
    calm = ticket_of("wang", **CALM)
    at_risk = ticket_of("wang", timedelta(minutes=25))  # no heat: past the warning at 80 % of 30 min to respond
    breached = ticket_of("wang", timedelta(hours=4))
    rows = group(board_of("zhao", user), f"tech-{network['wang']}").rows
    assert references(rows) == [breached.reference, at_risk.reference, calm.reference]
    assert [row.standing.state for row in rows] == [SlaState.BREACHED, SlaState.AT_RISK, SlaState.ON_TIME]


def test_a_ticket_is_on_time_until_the_warning_point_of_its_next_clock(ticket_of, user, network):
    fresh = ticket_of("wang", timedelta(minutes=23))  # no heat: the warning comes at 24 of 30 minutes
    row = group(board_of("zhao", user), f"tech-{network['wang']}").rows[0]
    assert row.ticket.reference == fresh.reference
    assert (row.standing.state, row.standing.clock) == (SlaState.ON_TIME, "respond")
    assert row.standing.due == fresh.respond_due_at == fresh.sla_breach_at


def test_once_a_clock_is_met_the_next_running_clock_decides(ticket_of, user, network):
    ticket = ticket_of("wang", timedelta(minutes=40))  # would be breached on the 30-minute respond clock
    lifecycle.acknowledge(ticket, Actor.staff(user("wang")), now=NOW - timedelta(minutes=35))
    db.session.commit()
    standing = group(board_of("zhao", user), f"tech-{network['wang']}").rows[0].standing
    assert (standing.state, standing.clock, standing.due) == (SlaState.ON_TIME, "on_site", ticket.on_site_due_at)


def test_the_most_overdue_ticket_comes_first_among_breached_ones(ticket_of, user, network):
    late = ticket_of("wang", timedelta(hours=4))
    later = ticket_of("wang", timedelta(hours=6))
    rows = group(board_of("zhao", user), f"tech-{network['wang']}").rows
    assert references(rows) == [later.reference, late.reference]


def test_the_group_holding_a_breached_ticket_comes_first(ticket_of, user, network):
    ticket_of("wang", **CALM)
    breached = ticket_of("li", timedelta(hours=4))
    board = board_of("zhao", user)
    assert board.groups[0].key == f"tech-{network['li']}"
    assert board.groups[0].rows[0].ticket.reference == breached.reference
    assert (board.breached, board.at_risk) == (1, 0)


def test_a_ticket_waiting_for_the_resident_is_paused_and_comes_last(ticket_of, user, network):
    waiting = ticket_of("wang", timedelta(hours=4))
    lifecycle.wait_for_resident(waiting, Actor.staff(user("wang")), "家中无人", now=NOW - timedelta(hours=3, minutes=50))
    db.session.commit()
    calm = ticket_of("wang", **CALM)
    rows = group(board_of("zhao", user), f"tech-{network['wang']}").rows
    assert references(rows) == [calm.reference, waiting.reference]
    assert rows[1].standing.state is SlaState.PAUSED


def test_tickets_nobody_works_yet_share_one_group(qingshan_ticket, triage_ticket, user, network):
    lifecycle.transfer(qingshan_ticket, db.session.get(Team, network["team"]), Actor.staff(user("admin")),
                       "楼栋归属昆都仑区")
    db.session.commit()
    waiting = group(board_of("zhao", user), UNASSIGNED)
    assert sorted(references(waiting.rows)) == sorted([qingshan_ticket.reference, triage_ticket.reference])


def test_another_teams_tickets_are_not_on_the_board(qingshan_ticket, ticket_of, user):
    mine = ticket_of("wang", **CALM)
    board = board_of("zhao", user)
    shown = [row.ticket.reference for g in board.groups for row in g.rows]
    assert shown == [mine.reference]


def test_only_the_most_urgent_rows_are_read_but_every_ticket_is_counted(ticket_of, user, network, monkeypatch):
    monkeypatch.setattr(service, "rows_per_group", lambda groups: 2)
    calm = ticket_of("wang", **CALM)
    at_risk, breached = ticket_of("wang", timedelta(minutes=25)), ticket_of("wang", timedelta(hours=4))
    wang = group(board_of("zhao", user), f"tech-{network['wang']}")
    assert references(wang.rows) == [breached.reference, at_risk.reference]
    assert calm.reference not in references(wang.rows)
    assert (wang.load, wang.breached, wang.at_risk) == (3, 1, 1)


@pytest.mark.parametrize(("groups", "rows"), [(1, 20), (4, 20), (10, 20), (11, 18), (30, 6), (60, 5), (0, 20)])
def test_each_group_lists_its_share_of_the_row_budget_between_five_and_twenty(groups, rows):
    assert service.rows_per_group(groups) == rows


def test_an_opened_group_lists_more_rows_and_the_others_only_their_counts(ticket_of, user, network, monkeypatch):
    monkeypatch.setattr(service, "rows_per_group", lambda groups: 1)
    monkeypatch.setattr(service, "ROWS_OPENED", 2)
    for _ in range(3):
        ticket_of("wang", **CALM), ticket_of("li", **CALM)
    board = service.build_board(user("zhao"), user("zhao").team, NOW, opened=f"tech-{network['wang']}")
    wang, li = group(board, f"tech-{network['wang']}"), group(board, f"tech-{network['li']}")
    assert (wang.opened, len(wang.shown), wang.load) == (True, 2, 3)
    assert (li.opened, len(li.shown), li.load) == (False, 0, 3)
    assert board.opened == f"tech-{network['wang']}"


@pytest.mark.parametrize("text", ["unassigned", "tech-12"])
def test_a_group_key_from_the_url_is_taken_as_it_is(text):
    assert service.parse_group_key(text) == text


@pytest.mark.parametrize("text", [None, "", "tech-", "tech-x", "tech-²", "tech-1 OR 1=1", "tech-" + "9" * 20, "li"])
def test_anything_else_opens_no_group(text):
    assert service.parse_group_key(text) is None


def test_a_ticket_reopened_by_staff_stays_in_the_technicians_load(ticket_of, user, network):
    ticket = ticket_of("wang", timedelta(hours=3))
    lifecycle.resolve(ticket, Actor.staff(user("wang")), "air_bled", now=NOW - timedelta(hours=1))
    lifecycle.reopen(ticket, Actor.staff(user("zhao")), "复查仍不达标", now=NOW - timedelta(minutes=30))
    db.session.commit()
    board = board_of("zhao", user)
    assert board.callbacks == [] and group(board, f"tech-{network['wang']}").load == 1


def test_finished_tickets_are_not_on_the_board(ticket_of, user):
    done = ticket_of("wang", timedelta(hours=5))
    lifecycle.resolve(done, Actor.staff(user("wang")), "air_bled", now=NOW - timedelta(hours=1))
    cancelled = ticket_of("li", timedelta(hours=5))
    lifecycle.cancel(cancelled, Actor.staff(user("zhao")), "重复报修")
    db.session.commit()
    assert board_of("zhao", user).open_count == 0


def test_a_ticket_reopened_by_a_low_score_waits_for_the_call_back_outside_the_load(reopened, user, network):
    board = board_of("zhao", user)
    assert [t.reference for t in board.callbacks] == [reopened.reference]
    assert group(board, f"tech-{network['wang']}").load == 0
    assert board.callbacks[0].satisfaction_score == 1


def test_a_call_back_is_overdue_on_the_board_from_its_due_time_on(reopened, user):
    board, due = board_of("zhao", user), reopened.callback_due_at
    late = lambda at: replace(board, now=at).callback_overdue(reopened)  # noqa: E731
    assert (late(due - timedelta(seconds=1)), late(due), late(due + timedelta(hours=1))) == (False, True, True)


# --- two ways of reading the same rows -------------------------------------------------------------

@pytest.fixture
def busy_board(ticket_of, triage_ticket, qingshan_ticket, make_ticket, reopened, user):
    """Wang and li each with more tickets than a group lists, in every standing and with equal due
    times; untriaged and new tickets nobody works yet; another team's ticket; a call-back."""
    for username in ("wang", "li"):
        for ago in (timedelta(hours=4), timedelta(hours=6), timedelta(hours=6), timedelta(minutes=25),
                    timedelta(minutes=26), timedelta(0), timedelta(minutes=5)):
            ticket_of(username, ago)
        ticket_of(username, **CALM), ticket_of(username, **CALM)
        waiting = ticket_of(username, timedelta(hours=2))
        lifecycle.wait_for_resident(waiting, Actor.staff(user(username)), "家中无人", now=NOW - timedelta(hours=1))
    make_ticket(at=NOW - timedelta(hours=3), building="不存在的小区8号楼")
    make_ticket(at=NOW - timedelta(hours=3), building="不存在的小区8号楼")
    db.session.commit()


@pytest.mark.parametrize("opened", [None, UNASSIGNED, "wang", "li"])
@pytest.mark.parametrize("per_group", [1, 2, 4, 6, 20])
def test_walking_the_index_finds_the_rows_and_counts_the_window_finds(busy_board, user, team, network, per_group,
                                                                      opened):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("LATERAL is PostgreSQL's; SQLite always ranks with window functions")
    key = f"tech-{network[opened]}" if opened in ("wang", "li") else opened
    zhao = user("zhao")
    by_window = service.rows_by_window(zhao, team, NOW, per_group, key)
    by_index = service.rows_by_index(zhao, team, NOW, per_group, key)
    assert sorted(by_index[0]) == sorted(by_window[0]) and len(by_index[0]) == len(set(by_index[0]))
    assert by_index[1] == by_window[1]
    assert by_window[1][network["wang"]].open == 10 > per_group or per_group == 20  # more than a group lists


@pytest.mark.parametrize("username", ["zhao", "admin", "wang"])
def test_the_dispatch_form_is_offered_exactly_when_assigning_is_an_available_action(busy_board, user, username):
    who, tickets = user(username), db.session.scalars(select(Ticket)).all()
    offered = {t.id for t in tickets if service.may_dispatch(t, who)}
    assert offered == {t.id for t in tickets if "assign" in available_actions(t, who)}
    assert (0 < len(offered) < len(tickets)) == (username != "wang")


# --- who sees which board -------------------------------------------------------------------------

def test_a_supervisor_always_gets_their_own_teams_board(user, team, team_q):
    qian = user("qian")
    teams = service.board_teams(qian)
    assert teams == [team_q]
    assert service.board_team(qian, str(team.id), teams) == team_q


def test_the_supervisor_of_another_team_does_not_see_the_teams_tickets(ticket_of, user, team):
    ticket_of("wang", timedelta(hours=4))
    assert board_of("qian", user).open_count == 0
    assert service.build_board(user("qian"), team, NOW).open_count == 0  # even when asked for it


def test_an_admin_may_open_every_teams_board_and_starts_on_the_first(user, team, team_q):
    admin = user("admin")
    teams = service.board_teams(admin)
    assert teams == [team, team_q]
    assert service.board_team(admin, None, teams) == team
    assert service.board_team(admin, str(team_q.id), teams) == team_q
    assert service.board_team(admin, "nonsense", teams) == team
    assert service.board_team(admin, "²", teams) == team  # a digit to str.isdigit, not to int()


def test_an_admin_sees_any_teams_tickets(ticket_of, qingshan_ticket, user, team, team_q):
    mine = ticket_of("wang", **CALM)
    on_team = [r.ticket.reference for g in service.build_board(user("admin"), team, NOW).groups for r in g.rows]
    on_team_q = [r.ticket.reference for g in service.build_board(user("admin"), team_q, NOW).groups for r in g.rows]
    assert (on_team, on_team_q) == ([mine.reference], [qingshan_ticket.reference])


def test_a_technician_has_no_board(user):
    assert service.board_teams(user("wang")) == []
    assert service.build_board(user("wang"), None, NOW).groups == []


# --- a few queries, however many tickets ------------------------------------------------------

def queries_to_build(username: str, user) -> int:
    db.session.expunge_all()  # nothing cached: every lazy load would have to ask the database
    who = user(username)
    team = service.board_team(who, None, service.board_teams(who))
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        board = service.build_board(who, team, NOW)
        for g in board.groups:  # touch what the page shows
            for row in g.rows:
                _ = (row.ticket.category.name, row.ticket.district.name, row.ticket.assignee)
        for ticket in board.callbacks:
            _ = (ticket.category.name, ticket.assignee)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_the_board_costs_the_same_few_queries_for_many_tickets(ticket_of, user, reopened):
    ticket_of("li", **CALM)
    few = queries_to_build("zhao", user)
    for n, category in enumerate(["leak", "low_temperature", "no_heat", "radiator_noise"] * 2):
        ticket_of("wang" if n % 2 else "li", timedelta(hours=n), category=category)
    assert queries_to_build("zhao", user) == few <= 5


# --- reassigning and closing -----------------------------------------------------------------

def version_of(ticket: Ticket) -> str:
    return str(ticket.version)


def test_reassigning_dispatches_to_the_chosen_technician_and_records_it(ticket_of, user, network):
    ticket = ticket_of("wang", **CALM)
    event_ = service.reassign(ticket, user("zhao"), str(network["li"]), version_of(ticket))
    assert ticket.assignee_id == network["li"] and ticket.status is Status.ASSIGNED
    assert event_.data == {"assignee_id": network["li"], "previous_assignee_id": network["wang"]}


@pytest.mark.parametrize("chosen", ["sun", "unknown", "empty", "text", "superscript"])
def test_reassigning_to_anyone_but_a_technician_of_the_team_is_refused(ticket_of, user, network, chosen):
    ticket = ticket_of("wang", **CALM)
    value = {"sun": str(network["sun"]), "unknown": "999999", "empty": "", "text": "li", "superscript": "²"}[chosen]
    with pytest.raises(ValidationFailed) as refused:
        service.reassign(ticket, user("zhao"), value, version_of(ticket))
    assert "assignee" in refused.value.errors
    assert ticket.assignee_id == network["wang"]


def test_an_untriaged_ticket_goes_only_to_the_team_serving_its_district(triage_ticket, user, network):
    with pytest.raises(ValidationFailed):
        service.reassign(triage_ticket, user("zhao"), str(network["sun"]), version_of(triage_ticket))
    service.reassign(triage_ticket, user("zhao"), str(network["li"]), version_of(triage_ticket))
    assert (triage_ticket.team_id, triage_ticket.assignee_id) == (network["team"], network["li"])


def test_reassigning_to_the_technician_already_working_it_is_refused(ticket_of, user, network):
    ticket = ticket_of("wang", **CALM)
    lifecycle.acknowledge(ticket, Actor.staff(user("wang")))
    db.session.commit()
    with pytest.raises(ValidationFailed):
        service.reassign(ticket, user("zhao"), str(network["wang"]), version_of(ticket))
    assert ticket.status is Status.ACKNOWLEDGED  # his progress is not reset


def test_a_reopened_ticket_may_go_back_to_the_same_technician(reopened, user, network):
    service.reassign(reopened, user("zhao"), str(network["wang"]), version_of(reopened))
    assert reopened.status is Status.ASSIGNED and reopened.assignee_id == network["wang"]


def test_dispatching_a_reopened_ticket_again_settles_its_call_back(reopened, user, network):
    assert reopened.callback_due_at is not None
    service.reassign(reopened, user("zhao"), str(network["wang"]), version_of(reopened))
    db.session.commit()
    assert reopened.callback_due_at is None
    board = board_of("zhao", user)
    assert board.callbacks == [] and group(board, f"tech-{network['wang']}").load == 1


def test_reassigning_from_an_out_of_date_board_is_a_conflict(ticket_of, user, network):
    ticket = ticket_of("wang", **CALM)
    seen = version_of(ticket)
    service.reassign(ticket, user("zhao"), str(network["li"]), seen)
    db.session.commit()
    with pytest.raises(Conflict):
        service.reassign(ticket, user("zhao"), str(network["wang"]), seen)


def test_closing_after_the_call_back_records_the_reason(reopened, user):
    service.close_after_callback(reopened, user("zhao"), "已回访，用户表示理解", version_of(reopened))
    assert reopened.status is Status.CLOSED and reopened.closure is Closure.CALLBACK
    assert reopened.events[-1].note == "已回访，用户表示理解"


def test_closing_after_the_call_back_needs_a_reason(reopened, user):
    with pytest.raises(ValidationFailed) as refused:
        service.close_after_callback(reopened, user("zhao"), "  ", version_of(reopened))
    assert "reason" in refused.value.errors
    assert reopened.status is Status.REOPENED

"""The live board service, without HTTP: counts by district and status, the breached and at-risk
lists read from the stored SLA marks, today's intake by channel and local hour, and who sees what.

No heat (emergency, in season, round the clock): respond within 30 minutes, warned at 80 % (24 min).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from app.auth.models import User
from app.extensions import db
from app.reports import board as team_board
from app.reports import live
from app.reports.board import SlaState
from app.routing.models import Team
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Channel, Status
from tests.conftest import NOW

MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
QINGSHAN = {"building": "富强小区1号楼", "unit": "", "flat": ""}


@pytest.fixture
def user(ctx, network):
    """The network's users by username."""
    return lambda username: db.session.get(User, network[username])


@pytest.fixture
def received(make_ticket):
    """Factory: a no-heat ticket received `ago` before NOW (its marks follow from that)."""
    return lambda ago=timedelta(0), **overrides: make_ticket(at=NOW - ago, **overrides)


def board_of(username, user, **filters):
    return live.live_board(user(username), NOW, **filters)


def listed(urgent: live.UrgentList) -> list[str]:
    return [row.ticket.reference for row in urgent.rows]


def count_table(board: live.LiveBoard) -> dict:
    return {(row.district.code if row.district else None): row.counts for row in board.counts.rows}


# --- open tickets by district and status ---------------------------------------------------------

def test_open_tickets_are_counted_by_district_and_status(received, user, network):
    received(), received()
    acknowledged = received()
    lifecycle.acknowledge(acknowledged, Actor.staff(user("wang")), now=NOW)
    received(district_id=network["qingshan"], **QINGSHAN)
    db.session.commit()
    board = board_of("admin", user)
    assert count_table(board) == {"kundulun": {Status.ASSIGNED: 2, Status.ACKNOWLEDGED: 1},
                                  "qingshan": {Status.ASSIGNED: 1}}
    assert (board.counts.column(Status.ASSIGNED), board.counts.total) == (3, 4)


def test_finished_tickets_are_not_counted(received, user):
    done = received(2 * HOUR)
    lifecycle.resolve(done, Actor.staff(user("wang")), "air_bled", now=NOW - HOUR)
    db.session.commit()
    assert board_of("admin", user).counts.total == 0


def test_a_ticket_whose_address_has_no_district_is_counted_apart(received, user):
    received(channel=Channel.SMS, phone="139 0000 0001", district_id=None, building="", unit="", flat="",
             address_optional=True)  # an unknown number that never said where
    rows = board_of("admin", user).counts.rows
    assert [(row.district, row.total) for row in rows] == [(None, 1)]


# --- the breached and at-risk lists ----------------------------------------------------------------

def test_a_ticket_past_its_due_time_is_breached(received, user):
    late = received(4 * HOUR)
    board = board_of("zhao", user)
    assert (listed(board.breached), listed(board.at_risk)) == ([late.reference], [])


def test_a_ticket_past_its_warning_point_but_not_yet_due_is_at_risk(received, user):
    close = received(25 * MIN)
    board = board_of("zhao", user)
    assert (listed(board.breached), listed(board.at_risk)) == ([], [close.reference])


def test_a_ticket_before_its_warning_point_is_on_neither_list(received, user):
    received(23 * MIN)
    board = board_of("zhao", user)
    assert (board.breached.total, board.at_risk.total) == (0, 0)


def test_a_ticket_waiting_for_the_resident_is_paused_and_on_neither_list(received, user):
    waiting = received(4 * HOUR)
    lifecycle.wait_for_resident(waiting, Actor.staff(user("wang")), "家中无人", now=NOW - 4 * HOUR + 10 * MIN)
    db.session.commit()
    board = board_of("zhao", user)
    assert (board.breached.total, board.at_risk.total) == (0, 0)
    assert board.counts.column(Status.WAITING) == 1


def test_a_resolved_ticket_leaves_the_breached_list(received, user):
    late = received(4 * HOUR)
    lifecycle.resolve(late, Actor.staff(user("wang")), "air_bled", now=NOW - MIN)
    db.session.commit()
    assert board_of("zhao", user).breached.total == 0


def test_the_longest_overdue_comes_first_and_the_soonest_due_among_those_at_risk(received, user):
    late, later = received(3 * HOUR), received(5 * HOUR)
    soon, sooner = received(25 * MIN), received(28 * MIN)
    board = board_of("zhao", user)
    assert listed(board.breached) == [later.reference, late.reference]
    assert listed(board.at_risk) == [sooner.reference, soon.reference]


def test_a_list_shows_the_first_few_and_counts_them_all(received, user):
    tickets = [received(hours * HOUR) for hours in (3, 4, 5)]
    urgent = live.live_board(user("zhao"), NOW, limit=2).breached
    assert listed(urgent) == [tickets[2].reference, tickets[1].reference]
    assert (urgent.total, urgent.more) == (3, 1)


def test_a_listed_ticket_names_the_clock_that_is_due_and_how_long_it_is_overdue(received, user):
    ticket = received(4 * HOUR)
    lifecycle.acknowledge(ticket, Actor.staff(user("wang")), now=NOW - 4 * HOUR + 10 * MIN)  # responded in time
    db.session.commit()
    row = board_of("zhao", user).breached.rows[0]
    assert (row.clock, row.due) == ("on_site", ticket.on_site_due_at)
    assert row.left(NOW) == -2 * HOUR  # on site was due two hours after intake


def test_the_team_board_calls_a_ticket_at_risk_or_breached_exactly_when_the_live_board_lists_it(
        received, user, network):
    for minutes in (0, 10, 23, 24, 25, 29, 30, 31, 119, 121, 300):
        received(minutes * MIN)
    zhao = user("zhao")
    board = team_board.build_board(zhao, db.session.get(Team, network["team"]), NOW)
    states = {row.ticket.reference: row.standing.state for group in board.groups for row in group.rows}
    lists = live.live_board(zhao, NOW)
    assert sorted(listed(lists.breached)) == sorted(r for r, s in states.items() if s is SlaState.BREACHED)
    assert sorted(listed(lists.at_risk)) == sorted(r for r, s in states.items() if s is SlaState.AT_RISK)
    assert (lists.breached.total, lists.at_risk.total) == (board.breached, board.at_risk) == (5, 3)


# --- who sees what ---------------------------------------------------------------------------------

@pytest.fixture
def both_districts(received, network):
    """An overdue ticket in each district: Kundulun's team (zhao) and Qingshan's (qian)."""
    return {"kundulun": received(4 * HOUR).reference,
            "qingshan": received(4 * HOUR, district_id=network["qingshan"], **QINGSHAN).reference}


def test_a_supervisor_sees_only_their_teams_tickets(both_districts, user):
    zhao, qian = board_of("zhao", user), board_of("qian", user)
    assert listed(zhao.breached) == [both_districts["kundulun"]]
    assert listed(qian.breached) == [both_districts["qingshan"]]
    assert list(count_table(zhao)) == ["kundulun"]


def test_a_supervisor_cannot_widen_or_move_their_board_with_a_filter(both_districts, user, network):
    board = board_of("zhao", user, team_id=network["team_q"], district_id=network["qingshan"])
    assert listed(board.breached) == [both_districts["kundulun"]]
    assert (board.scope.team, board.scope.district) == (None, None)


def test_an_admin_sees_every_district(both_districts, user):
    assert sorted(listed(board_of("admin", user).breached)) == sorted(both_districts.values())


def test_an_admin_may_narrow_the_board_to_a_team_or_a_district(both_districts, user, network):
    assert listed(board_of("admin", user, team_id=network["team_q"]).breached) == [both_districts["qingshan"]]
    assert listed(board_of("admin", user, district_id=network["kundulun"]).breached) == [both_districts["kundulun"]]


def test_a_team_filter_includes_the_untriaged_tickets_in_its_districts(received, user, network):
    untriaged = received(4 * HOUR, building="不存在的小区9号楼")
    assert untriaged.team_id is None
    assert listed(board_of("admin", user, team_id=network["team"]).breached) == [untriaged.reference]
    assert board_of("admin", user, team_id=network["team_q"]).breached.total == 0


def test_a_supervisor_without_a_team_sees_nothing(received, user):
    received(4 * HOUR)
    zhao = user("zhao")
    zhao.team_id = None
    board = live.live_board(zhao, NOW)
    assert (board.counts.total, board.breached.total, board.intake.total) == (0, 0, 0)


# --- today's intake --------------------------------------------------------------------------------

def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026 given in Baotou's local time (UTC+8), as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone(timedelta(hours=8))).astimezone(timezone.utc)


def test_todays_intake_is_counted_by_channel_and_local_hour(make_ticket, user):
    assert NOW == shanghai(20, 10)
    make_ticket(at=shanghai(20, 0, 10))
    make_ticket(at=shanghai(20, 8, 30), channel=Channel.PHONE)
    make_ticket(at=shanghai(20, 8, 59), channel=Channel.PHONE)
    make_ticket(at=shanghai(20, 9, 59), channel=Channel.SMS)
    intake = board_of("zhao", user).intake
    assert intake.by_channel[Channel.WEB][0] == 1
    assert intake.by_channel[Channel.PHONE][8] == 2
    assert intake.by_channel[Channel.SMS][9] == 1
    assert (intake.hour(8), intake.channel(Channel.PHONE), intake.total) == (2, 2, 4)


def test_a_ticket_received_late_last_night_is_not_todays(make_ticket, user):
    make_ticket(at=shanghai(19, 23, 30))
    intake = board_of("zhao", user).intake
    assert intake.total == 0
    assert intake.day.isoformat() == "2026-11-20"


def test_todays_intake_counts_only_what_the_user_may_see(make_ticket, user, network):
    make_ticket(at=NOW - HOUR, district_id=network["qingshan"], **QINGSHAN)
    assert (board_of("zhao", user).intake.total, board_of("qian", user).intake.total) == (0, 1)


# --- a few queries, however many tickets ----------------------------------------------------------

def queries_to_build(username: str, user) -> int:
    db.session.expunge_all()  # nothing cached: every lazy load would have to ask the database
    who = user(username)
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        board = live.live_board(who, NOW, limit=3)
        for row in [*board.breached.rows, *board.at_risk.rows]:  # touch what the page shows
            _ = (row.ticket.category.name, row.ticket.district.name, row.ticket.assignee)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_the_live_board_costs_the_same_few_queries_for_many_tickets(received, user):
    received(4 * HOUR), received(25 * MIN)
    # counts, their district names, each list, today's intake
    assert queries_to_build("zhao", user) == 5
    for n in range(8):
        received(timedelta(hours=n) + 25 * MIN, category=["leak", "no_heat"][n % 2])
    # the same, and the total of the one list longer than what is shown
    assert queries_to_build("zhao", user) == 6

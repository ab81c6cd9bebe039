"""received_days: the tickets received per company day, team, district and category, with each clock
met and missed, kept in the same transaction as every change of a ticket, and what the SLA report adds up.

Tickets go through intake and the lifecycle (no HTTP); November 2026, Baotou time.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.analytics import queries
from app.analytics.received_days import DAY_COUNTS, DAY_KEYS, WATCHED, ReceivedDay, contribution
from app.auth.models import User
from app.core.time import company_zone
from app.extensions import db
from app.routing.models import Team
from app.satisfaction.models import NONE
from app.sla.escalation import sweep
from app.sla.service import save_marks
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Category, Ticket
from app.tickets.visibility import visible_to
from tests.conftest import migration_module
from tests.test_analytics_queries import local, report_filters


@pytest.fixture
def person(ctx, network):
    return lambda username: db.session.get(User, network[username])


@pytest.fixture
def ticket(make_ticket):
    """A no-heat ticket in Kundulun received at 09:00 on 3 November, dispatched to its team by intake."""
    return make_ticket(at=local(11, 3, 9), sms_consent=False)


@pytest.fixture
def triage_ticket(make_ticket):
    """A ticket in Kundulun that intake left to the agents (no team) at 10:00 on 3 November."""
    return make_ticket(at=local(11, 3, 10), sms_consent=False, triage=True)


def day_rows() -> dict[tuple, dict[str, int]]:
    """The day rows that count something (a row emptied by a ticket that moved away is left out)."""
    return {tuple(getattr(r, k) for k in DAY_KEYS): {c: getattr(r, c) for c in DAY_COUNTS}
            for r in db.session.scalars(select(ReceivedDay).where(ReceivedDay.tickets > 0))}


def counted_by_hand() -> dict[tuple, dict[str, int]]:
    """The day rows as they should be: every ticket as it is now, added under its day and place."""
    expected: dict[tuple, dict[str, int]] = {}
    for row in db.session.execute(select(*(getattr(Ticket, name) for name in WATCHED))):
        for key, counts in contribution(dict(zip(WATCHED, row))):
            sums = expected.setdefault(tuple(key[k] for k in DAY_KEYS), dict.fromkeys(DAY_COUNTS, 0))
            for name, value in counts.items():
                sums[name] += value
    return expected


def row_of(ticket: Ticket) -> tuple:
    return (ticket.created_at.astimezone(company_zone()).date(), ticket.team_id or NONE,
            ticket.district_id or NONE, ticket.category_id)


# --- kept with every change ---------------------------------------------------------------------------

def test_a_new_ticket_counts_once_under_its_day_team_district_and_category(ticket, network):
    assert day_rows() == {(date(2026, 11, 3), network["team"], network["kundulun"], network["category_no_heat"]):
                          {**dict.fromkeys(DAY_COUNTS, 0), "tickets": 1}}


def test_a_ticket_counts_on_its_company_day(make_ticket):
    make_ticket(at=local(11, 3, 23, 59))  # 15:59 UTC
    make_ticket(at=local(11, 4, 0, 1))  # 16:01 UTC, still 3 November in UTC

    assert sorted(key[0] for key in day_rows()) == [date(2026, 11, 3), date(2026, 11, 4)]


def test_a_ticket_in_triage_counts_under_no_team_until_it_is_dispatched(triage_ticket, person, network):
    assert [key[1] for key in day_rows()] == [NONE]

    lifecycle.assign(triage_ticket, person("wang"), Actor.staff(person("agent")), now=local(11, 3, 11))
    db.session.commit()

    assert [key[1] for key in day_rows()] == [network["team"]]


def test_a_transfer_moves_the_ticket_to_the_new_teams_row(ticket, person, network):
    lifecycle.transfer(ticket, db.session.get(Team, network["team_q"]), Actor.staff(person("zhao")), "青山班组负责",
                       now=local(11, 3, 10))
    db.session.commit()

    assert [key[1] for key in day_rows()] == [network["team_q"]]


def test_a_reclassification_moves_the_ticket_to_the_new_categorys_row(ticket, person):
    low = db.session.scalar(select(Category).where(Category.code == "low_temperature"))
    lifecycle.reclassify(ticket, Actor.staff(person("zhao")), low, ticket.priority, "实为室温偏低", now=local(11, 3, 10))
    db.session.commit()

    assert [key[3] for key in day_rows()] == [low.id]


def test_clocks_ended_by_the_lifecycle_count_as_met_or_missed(ticket):
    technician = Actor.staff(ticket.assignee)
    lifecycle.acknowledge(ticket, technician, now=local(11, 3, 9, 20))  # within 30 minutes
    lifecycle.arrive(ticket, technician, now=local(11, 3, 12))  # 3 hours: the 2 hours missed
    lifecycle.resolve(ticket, technician, "air_bled", now=local(11, 3, 13))
    db.session.commit()

    [counts] = day_rows().values()
    assert counts == {"tickets": 1, "respond_met": 1, "respond_missed": 0, "on_site_met": 0, "on_site_missed": 1,
                      "resolve_met": 1, "resolve_missed": 0}


def test_a_breach_found_by_the_sweep_counts_as_missed(ticket):
    db.session.expunge_all()  # the sweep reads its tickets afresh, as in the worker
    sweep(local(11, 3, 9, 31))  # the response was due at 09:30: the bulk path marks it missed
    db.session.commit()

    [counts] = day_rows().values()
    assert (counts["respond_met"], counts["respond_missed"], counts["on_site_missed"]) == (0, 1, 0)
    assert day_rows() == counted_by_hand()


def test_a_late_acknowledgement_after_the_sweeps_breach_leaves_the_clock_counted_once(ticket):
    sweep(local(11, 3, 9, 31))
    db.session.commit()
    lifecycle.acknowledge(ticket, Actor.staff(ticket.assignee), now=local(11, 3, 9, 40))
    db.session.commit()

    [counts] = day_rows().values()
    assert (counts["respond_met"], counts["respond_missed"]) == (0, 1)


def test_the_bulk_path_counts_what_it_writes_and_leaves_the_rest_to_the_flush(ticket, network):
    with db.session.no_autoflush:
        ticket.team_id = network["team_q"]  # written by the flush, later
        ticket.respond_met = False  # written now, by the bulk UPDATE
        save_marks([ticket])
    db.session.commit()

    assert day_rows() == counted_by_hand()
    [(key, counts)] = day_rows().items()
    assert (key[1], counts["tickets"], counts["respond_missed"]) == (network["team_q"], 1, 1)


def test_a_rolled_back_transaction_leaves_the_day_rows_as_they_were(ticket, person, network):
    before = day_rows()
    lifecycle.transfer(ticket, db.session.get(Team, network["team_q"]), Actor.staff(person("zhao")), "青山班组负责",
                       now=local(11, 3, 10))
    db.session.flush()
    assert day_rows() != before  # written with the flush, in the transaction
    db.session.rollback()

    assert day_rows() == before


def test_a_value_the_session_never_loaded_is_read_before_it_is_overwritten(ticket, network):
    db.session.expire(ticket)  # as after a commit: nothing loaded
    ticket.team_id = network["team_q"]  # set without reading the old one
    db.session.commit()

    assert [key[1] for key in day_rows()] == [network["team_q"]]


def test_intake_reads_nothing_back_to_count_its_ticket(complaint, ctx):
    """Intake inserts the ticket and then dispatches it: the columns it was inserted without are known
    to be NULL, so moving it to its team's row costs the upserts alone."""
    from sqlalchemy import event

    from app.intake.service import submit_complaint

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        ticket = submit_complaint(complaint(sms_consent=False), Actor.resident(), now=local(11, 3, 9))
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)

    assert ticket.team_id is not None
    assert [s.split()[0] for s in statements if "received_days" in s] == ["INSERT", "INSERT"]
    assert not [s for s in statements if s.startswith("SELECT tickets.id, tickets.created_at")]


def test_the_day_rows_add_up_to_the_tickets_after_a_mixed_history(ticket, triage_ticket, make_ticket, person,
                                                                   network):
    zhao = Actor.staff(person("zhao"))
    technician = Actor.staff(ticket.assignee)
    lifecycle.acknowledge(ticket, technician, now=local(11, 3, 9, 10))
    lifecycle.arrive(ticket, technician, now=local(11, 3, 12))
    lifecycle.resolve(ticket, technician, "air_bled", now=local(11, 3, 13))
    lifecycle.rate(ticket, 1, "还是不热", now=local(11, 3, 14))  # reopened: the clocks keep their outcomes
    lifecycle.assign(triage_ticket, person("li"), zhao, now=local(11, 3, 11))
    lifecycle.transfer(triage_ticket, db.session.get(Team, network["team_q"]), zhao, "青山班组负责",
                       now=local(11, 3, 12))
    late = make_ticket(at=local(11, 4, 23, 50), sms_consent=False)
    low = db.session.scalar(select(Category).where(Category.code == "low_temperature"))
    lifecycle.reclassify(late, zhao, low, late.priority, now=local(11, 5, 8))
    db.session.commit()
    sweep(local(11, 6, 12))  # every clock still running is missed by now
    db.session.commit()

    assert day_rows() == counted_by_hand()
    assert sum(counts["tickets"] for counts in day_rows().values()) == 3
    assert sum(counts["resolve_missed"] for counts in day_rows().values()) == 2


# --- the migration's backfill ---------------------------------------------------------------------------

def test_the_migration_backfill_gives_the_day_rows_kept_live(ticket, triage_ticket, make_ticket, person, network):
    lifecycle.transfer(ticket, db.session.get(Team, network["team_q"]), Actor.staff(person("zhao")), "青山班组负责",
                       now=local(11, 3, 10))
    make_ticket(at=local(11, 4, 0, 1), district_id=network["qingshan"], building="富强小区1号楼", unit="", flat="")
    db.session.commit()
    sweep(local(11, 5, 12))
    db.session.commit()
    kept = day_rows()

    db.session.execute(ReceivedDay.__table__.delete())
    migration_module("9a1b2c3d4e65").backfill(db.session.connection(), ReceivedDay.__table__, company_zone())

    assert day_rows() == kept
    assert db.session.scalar(select(func.count()).select_from(ReceivedDay)) == len(kept)  # no empty rows
    db.session.rollback()


# --- the SLA report reads them ---------------------------------------------------------------------------

@pytest.fixture
def places(make_ticket, network, person):
    """Received in November: a Kundulun ticket of the Kundulun team, one in Kundulun transferred to the
    Qingshan team, one in Qingshan, one left in triage in Kundulun, one in triage with no district."""
    make_ticket(at=local(11, 5))
    moved = make_ticket(at=local(11, 6))
    lifecycle.transfer(moved, db.session.get(Team, network["team_q"]), Actor.staff(person("zhao")), "青山班组负责",
                       now=local(11, 6, 11))
    make_ticket(at=local(11, 7), district_id=network["qingshan"], building="富强小区1号楼", unit="", flat="")
    make_ticket(at=local(11, 8), triage=True)
    make_ticket(at=local(11, 9), district_id=None, building="", unit="", flat="", address_optional=True,
                phone="139 0000 0000")
    db.session.commit()


@pytest.mark.parametrize("username", ["admin", "agent", "zhao", "qian", "wang", "sun"])
def test_every_role_sees_the_same_tickets_in_the_report_as_on_the_tickets(places, person, username):
    user = person(username)
    filters = report_filters()
    visible = db.session.scalar(select(func.count()).select_from(Ticket).where(
        visible_to(user), Ticket.created_at >= filters.period.start, Ticket.created_at < filters.period.end))

    assert queries.sla_compliance(user, filters).total.tickets == visible


def test_a_team_a_ticket_moved_away_from_is_not_listed(make_ticket, person, network):
    moved = make_ticket(at=local(11, 6))
    lifecycle.transfer(moved, db.session.get(Team, network["team_q"]), Actor.staff(person("zhao")), "青山班组负责",
                       now=local(11, 6, 11))
    db.session.commit()

    assert set(queries.sla_compliance(person("admin"), report_filters()).by_team) == {network["team_q"]}


def test_tickets_without_a_team_or_district_are_grouped_under_none(places, person):
    report = queries.sla_compliance(person("admin"), report_filters())

    assert report.by_team[None].tickets == 2
    assert report.by_district[None].tickets == 1


def test_the_report_is_one_query_over_the_day_rows(places, person):
    from sqlalchemy import event

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    admin, filters = person("admin"), report_filters()
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        queries.sla_compliance(admin, filters)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    assert "FROM received_days" in statements[0] and "FROM tickets" not in statements[0]


def test_grouping_sets_and_the_sums_in_python_agree(places, person, network):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("GROUPING SETS exist on PostgreSQL only; SQLite always sums in Python")
    for username in ("admin", "zhao", "wang"):
        for filters in (report_filters(), report_filters(team_id=network["team_q"]),
                        report_filters(date(2026, 11, 6), date(2026, 11, 7))):
            assert (queries.sla_compliance(person(username), filters, grouping="sets")
                    == queries.sla_compliance(person(username), filters, grouping="python"))

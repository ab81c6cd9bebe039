"""Resolutions: one row each time a ticket is resolved, kept by the lifecycle, counted by the reports.

Tickets go through the real lifecycle (no HTTP); the reports are read for November 2026 (Baotou).
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.analytics import queries
from app.auth.models import User
from app.extensions import db
from app.routing.models import Team
from app.core.time import company_zone
from app.satisfaction.models import DAY_COUNTS, DAY_KEYS, Resolution, ResolutionDay
from app.satisfaction.resolution_counts import MONTH_KEYS, WATCHED, ResolutionMonth, counts_of, day_key
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Category, Status
from tests.conftest import migration_module
from tests.test_analytics_queries import local, report_filters


@pytest.fixture
def person(ctx, network):
    return lambda username: db.session.get(User, network[username])


@pytest.fixture
def ticket(make_ticket, person):
    """A no-heat ticket in Kundulun received at 09:00 on 3 November, assigned to 王建国."""
    t = make_ticket(at=local(11, 3, 9))
    if t.assignee_id != person("wang").id:
        lifecycle.assign(t, person("wang"), Actor.staff(person("zhao")), now=local(11, 3, 9, 5))
    db.session.commit()
    return t


def fix(ticket, technician: User, at) -> None:
    """The technician accepts, arrives and resolves at `at` (uncommitted)."""
    actor = Actor.staff(technician)
    if ticket.status is not Status.ASSIGNED:
        lifecycle.assign(ticket, technician, Actor.staff(technician), now=at - timedelta(hours=2))
    lifecycle.acknowledge(ticket, actor, now=at - timedelta(hours=1))
    lifecycle.arrive(ticket, actor, now=at - timedelta(minutes=30))
    lifecycle.resolve(ticket, actor, "air_bled", now=at)


def rows(ticket) -> list[Resolution]:
    return list(db.session.scalars(select(Resolution).where(Resolution.ticket_id == ticket.id)
                                   .order_by(Resolution.resolved_at)))


def test_resolving_records_the_survey_with_who_and_where_it_was_resolved(ticket, person, network):
    fix(ticket, person("wang"), local(11, 3, 12))
    db.session.commit()

    [row] = rows(ticket)
    assert row.resolved_at == local(11, 3, 12)
    assert (row.technician_id, row.team_id, row.district_id) == (network["wang"], network["team"], network["kundulun"])
    assert row.category_id == network["category_no_heat"]
    assert (row.score, row.rated_at, row.reopened_at) == (None, None, None)


def test_a_score_is_kept_on_the_resolution_it_answers(ticket, person):
    fix(ticket, person("wang"), local(11, 3, 12))
    lifecycle.rate(ticket, 4, "挺好", now=local(11, 3, 18))
    db.session.commit()

    [row] = rows(ticket)
    assert (row.score, row.comment, row.rated_at, row.reopened_at) == (4, "挺好", local(11, 3, 18), None)


def test_a_low_score_marks_its_resolution_reopened_though_the_ticket_forgets_it_was_resolved(ticket, person):
    fix(ticket, person("wang"), local(11, 3, 12))
    lifecycle.rate(ticket, 1, "还是不热", now=local(11, 3, 18))  # same transaction: the row is not flushed yet
    db.session.commit()

    [row] = rows(ticket)
    assert ticket.resolved_at is None and ticket.status is Status.REOPENED
    assert (row.resolved_at, row.score, row.reopened_at) == (local(11, 3, 12), 1, local(11, 3, 18))


def test_a_low_score_then_a_high_score_after_the_next_fix_both_count(ticket, person, network):
    fix(ticket, person("wang"), local(11, 3, 12))
    lifecycle.rate(ticket, 1, "还是不热", now=local(11, 3, 18))
    fix(ticket, person("li"), local(11, 4, 12))
    lifecycle.rate(ticket, 5, now=local(11, 4, 15))
    db.session.commit()

    first, second = rows(ticket)
    assert (first.score, first.technician_id, first.reopened_at) == (1, network["wang"], local(11, 3, 18))
    assert (second.score, second.technician_id, second.reopened_at) == (5, network["li"], None)
    assert ticket.satisfaction_score == 5  # the ticket shows the latest
    report = queries.satisfaction(person("admin"), report_filters())
    total = report.total
    assert (total.resolved, total.scored, total.satisfied, total.score_total) == (2, 2, 1, 6)
    assert report.by_technician[network["wang"]].csat == 0
    assert report.by_technician[network["li"]].csat == 1


def test_a_reopen_after_closing_marks_that_resolution(ticket, person):
    fix(ticket, person("wang"), local(11, 3, 12))
    lifecycle.rate(ticket, 4, now=local(11, 3, 18))
    lifecycle.reopen(ticket, Actor.resident(), "又不热了", now=local(11, 5, 8))
    db.session.commit()

    [row] = rows(ticket)
    assert (row.score, row.reopened_at) == (4, local(11, 5, 8))
    reopens = queries.reopen_rates(person("admin"), report_filters()).total
    assert (reopens.resolved, reopens.reopened) == (1, 1)


def test_only_the_first_reopen_after_a_resolution_is_kept(ticket, person):
    fix(ticket, person("wang"), local(11, 3, 12))
    lifecycle.rate(ticket, 2, now=local(11, 3, 18))
    lifecycle.close_after_callback(ticket, Actor.staff(person("zhao")), "已解释", now=local(11, 4, 9))
    lifecycle.reopen(ticket, Actor.staff(person("zhao")), "复查", now=local(11, 6, 9))
    db.session.commit()

    [row] = rows(ticket)
    assert row.reopened_at == local(11, 3, 18)


def test_every_survey_sent_is_counted_answered_or_not(ticket, make_ticket, person):
    fix(ticket, person("wang"), local(11, 3, 12))
    lifecycle.close_without_response(ticket, Actor.system(), now=local(11, 6, 12))
    other = make_ticket(at=local(11, 7, 9))
    fix(other, other.assignee, local(11, 7, 12))
    lifecycle.rate(other, 3, now=local(11, 7, 20))
    db.session.commit()

    total = queries.satisfaction(person("admin"), report_filters()).total
    assert (total.resolved, total.scored, total.response_rate) == (2, 1, 0.5)


def test_the_period_counts_resolutions_by_when_they_happened(ticket, person):
    fix(ticket, person("wang"), local(11, 3, 12))
    lifecycle.rate(ticket, 1, now=local(11, 3, 18))
    fix(ticket, person("wang"), local(12, 2, 12))
    db.session.commit()

    november = queries.satisfaction(person("admin"), report_filters()).total
    december = queries.satisfaction(person("admin"), report_filters(date(2026, 12, 1), date(2026, 12, 31))).total
    assert (november.resolved, november.scored) == (1, 1)
    assert (december.resolved, december.scored) == (1, 0)


@pytest.fixture
def moved(ticket, person, network):
    """Resolved by the Kundulun team, reopened by a low score, transferred to the Qingshan team and
    resolved again there: the ticket is in Kundulun throughout."""
    fix(ticket, person("wang"), local(11, 3, 12))
    lifecycle.rate(ticket, 1, now=local(11, 3, 18))
    lifecycle.transfer(ticket, db.session.get(Team, network["team_q"]), Actor.staff(person("zhao")), "青山班组负责",
                       now=local(11, 3, 19))
    fix(ticket, person("sun"), local(11, 4, 12))
    db.session.commit()
    return ticket


@pytest.mark.parametrize("username, resolutions", [
    ("admin", 2), ("agent", 2),
    ("zhao", 2),  # the Kundulun supervisor: his team's, and any in his districts
    ("qian", 1),  # the Qingshan supervisor: his team's second resolution only
    ("wang", 1),  # a Kundulun technician: his team's only
    ("sun", 1),
])
def test_visibility_applies_to_the_team_and_district_at_resolution(moved, person, username, resolutions):
    assert queries.satisfaction(person(username), report_filters()).total.resolved == resolutions


def test_a_team_filter_counts_the_team_that_resolved(moved, person, network):
    by_team = queries.reopen_rates(person("admin"), report_filters()).by_team

    assert (by_team[network["team"]].resolved, by_team[network["team"]].reopened) == (1, 1)
    assert (by_team[network["team_q"]].resolved, by_team[network["team_q"]].reopened) == (1, 0)
    only_q = queries.reopen_rates(person("admin"), report_filters(team_id=network["team_q"])).total
    assert (only_q.resolved, only_q.reopened) == (1, 0)


def test_a_reclassified_ticket_counts_each_resolution_under_its_category_then(ticket, person, network):
    fix(ticket, person("wang"), local(11, 3, 12))
    lifecycle.rate(ticket, 2, now=local(11, 3, 18))
    low = db.session.scalar(select(Category).where(Category.code == "low_temperature"))
    lifecycle.reclassify(ticket, Actor.staff(person("zhao")), low, ticket.priority, "实为室温偏低",
                         now=local(11, 3, 19))
    fix(ticket, person("wang"), local(11, 4, 12))
    db.session.commit()

    assert [r.category_id for r in rows(ticket)] == [network["category_no_heat"], low.id]


# --- the day rows the reports add up ------------------------------------------------------------------

def day_rows() -> dict[tuple, dict[str, int]]:
    return {tuple(getattr(r, k) for k in DAY_KEYS): {c: getattr(r, c) for c in DAY_COUNTS}
            for r in db.session.scalars(select(ResolutionDay))}


def counted_by_hand() -> dict[tuple, dict[str, int]]:
    """The day rows as they should be: every resolution's counts added under its day and people."""
    expected: dict[tuple, dict[str, int]] = {}
    for row in db.session.scalars(select(Resolution)):
        values = {name: getattr(row, name) for name in WATCHED}
        sums = expected.setdefault(tuple(day_key(values)[k] for k in DAY_KEYS), dict.fromkeys(DAY_COUNTS, 0))
        for name, value in counts_of(values).items():
            sums[name] += value
    return expected


def test_the_day_rows_always_add_up_to_the_resolutions(ticket, make_ticket, person):
    fix(ticket, person("wang"), local(11, 3, 12))
    lifecycle.rate(ticket, 1, "还是不热", now=local(11, 3, 18))  # reopens
    fix(ticket, person("li"), local(11, 4, 12))
    lifecycle.rate(ticket, 5, now=local(11, 4, 15))
    lifecycle.reopen(ticket, Actor.resident(), "又不热了", now=local(11, 5, 8))
    other = make_ticket(at=local(11, 3, 10))
    fix(other, other.assignee, local(11, 3, 23, 30))  # late evening, Baotou: still 3 November
    db.session.commit()

    assert day_rows() == counted_by_hand()
    assert sum(counts["resolved"] for counts in day_rows().values()) == 3


def test_a_resolution_counts_on_its_company_day(make_ticket, person):
    late, early = make_ticket(at=local(11, 3, 10)), make_ticket(at=local(11, 3, 10))
    fix(late, late.assignee, local(11, 3, 23, 59))
    fix(early, early.assignee, local(11, 4, 0, 1))
    db.session.commit()

    assert sorted(key[0] for key in day_rows()) == [date(2026, 11, 3), date(2026, 11, 4)]


@pytest.fixture
def two_scored(ticket, make_ticket, person):
    """Two resolutions scored 2 (3 November, reopening) and 4 (4 December), committed."""
    fix(ticket, person("wang"), local(11, 3, 12))
    lifecycle.rate(ticket, 2, now=local(11, 3, 18))
    other = make_ticket(at=local(11, 3, 10))
    fix(other, other.assignee, local(12, 4, 12))
    lifecycle.rate(other, 4, now=local(12, 4, 13))
    db.session.commit()


def test_the_migration_backfill_gives_the_day_rows_the_lifecycle_keeps(two_scored):
    kept = day_rows()
    migration = migration_module("8e4f1a2b3c54")
    db.session.execute(ResolutionDay.__table__.delete())
    migration.backfill(db.session.connection(), ResolutionDay.__table__, company_zone())
    assert day_rows() == kept
    db.session.rollback()


# --- the month rows: the day rows added up by company month ------------------------------------------

def month_rows() -> dict[tuple, dict[str, int]]:
    """The month rows that count something (a row whose resolutions all moved stays, with none)."""
    return {tuple(getattr(r, k) for k in MONTH_KEYS): {c: getattr(r, c) for c in DAY_COUNTS}
            for r in db.session.scalars(select(ResolutionMonth)) if r.resolved}


def days_by_month() -> dict[tuple, dict[str, int]]:
    """The day rows added up under the first day of their month."""
    expected: dict[tuple, dict[str, int]] = {}
    for (day, *people), counts in day_rows().items():
        sums = expected.setdefault((day.replace(day=1), *people), dict.fromkeys(DAY_COUNTS, 0))
        for name, value in counts.items():
            sums[name] += value
    return {key: counts for key, counts in expected.items() if counts["resolved"]}


def test_the_month_rows_always_add_up_to_the_day_rows(ticket, make_ticket, person):
    fix(ticket, person("wang"), local(11, 3, 12))
    lifecycle.rate(ticket, 1, "还是不热", now=local(11, 3, 18))  # reopens
    fix(ticket, person("li"), local(11, 30, 23, 30))  # still November in Baotou, already 30th 15:30 UTC
    lifecycle.rate(ticket, 5, now=local(12, 1, 9))
    lifecycle.reopen(ticket, Actor.resident(), "又不热了", now=local(12, 2, 8))
    other = make_ticket(at=local(12, 1, 0, 10))
    fix(other, other.assignee, local(12, 1, 3))
    db.session.commit()

    assert month_rows() == days_by_month()
    assert sorted({key[0] for key in month_rows()}) == [date(2026, 11, 1), date(2026, 12, 1)]


def test_the_migration_backfill_gives_the_month_rows_the_lifecycle_keeps(two_scored):
    kept = month_rows()

    db.session.execute(ResolutionMonth.__table__.delete())
    migration_module("9d4e5f6a7b98").backfill(db.session.connection(), ResolutionMonth.__table__)

    assert month_rows() == kept
    db.session.rollback()


def test_a_period_of_whole_months_and_days_counts_each_resolution_once(ticket, make_ticket, person):
    fix(ticket, person("wang"), local(10, 31, 12))
    lifecycle.rate(ticket, 5, now=local(10, 31, 18))
    for day in (1, 30):
        other = make_ticket(at=local(11, day, 8))
        fix(other, other.assignee, local(11, day, 12))
        lifecycle.rate(other, 2 if day == 1 else 4, now=local(11, day, 13))
    db.session.commit()
    admin = person("admin")

    across = queries.satisfaction(admin, report_filters(date(2026, 10, 31), date(2026, 11, 30)))
    reopens = queries.reopen_rates(admin, report_filters(date(2026, 10, 31), date(2026, 11, 30)))

    assert (across.total.resolved, across.total.scored, across.total.satisfied) == (3, 3, 2)
    assert (across.by_month["2026-10"].resolved, across.by_month["2026-11"].resolved) == (1, 2)
    assert (reopens.total.resolved, reopens.total.reopened) == (3, 1)

"""Step times counted per company month: the rows always add up to the tickets' stored step times.

Tickets go through intake and the real lifecycle (no HTTP); what the times report reads for whole
months must be what counting the tickets themselves would give.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.analytics.step_times import ALL, KEYS, WATCHED, StepTimeMonth, contribution
from app.auth.models import User
from app.core.time import company_zone
from app.extensions import db
from app.routing.models import Team
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Category, Ticket
from tests.conftest import migration_module
from tests.test_analytics_queries import local


@pytest.fixture
def person(ctx, network):
    return lambda username: db.session.get(User, network[username])


def month_rows() -> Counter:
    """The rows with tickets in them (a row whose tickets moved away stays, with none)."""
    return Counter({(r.month, r.team_id, r.district_id, r.category_id, r.step, r.bucket): r.tickets
                    for r in db.session.scalars(select(StepTimeMonth)) if r.tickets})


def counted_by_hand() -> Counter:
    """The month rows as they should be: every ticket's step times under its month, team, district, category."""
    expected: Counter = Counter()
    for t in db.session.scalars(select(Ticket)):
        for key, counts in contribution({name: getattr(t, name) for name in WATCHED}):
            expected[tuple(key[name] for name in KEYS)] += counts["tickets"]
    return expected


def worked(ticket: Ticket, technician: User, at) -> None:
    """The technician accepts at `at`, arrives an hour later and resolves two hours later (uncommitted)."""
    actor = Actor.staff(technician)
    lifecycle.acknowledge(ticket, actor, now=at)
    lifecycle.arrive(ticket, actor, now=at + timedelta(hours=1))
    lifecycle.resolve(ticket, actor, "air_bled", now=at + timedelta(hours=2))


def test_the_month_rows_add_up_to_the_step_times_after_a_mixed_history(make_ticket, person, network):
    first = make_ticket(at=local(11, 3, 9))
    worked(first, first.assignee or person("wang"), local(11, 3, 9, 20))
    lifecycle.reopen(first, Actor.resident(), "又不热了", now=local(11, 4, 8))
    second = make_ticket(at=local(11, 5, 9))
    lifecycle.acknowledge(second, Actor.staff(person("wang")), now=local(11, 5, 9, 10))
    lifecycle.reclassify(second, Actor.staff(person("zhao")), db.session.scalar(
        select(Category).where(Category.code == "low_temperature")), second.priority, "其实是温度低")
    lifecycle.transfer(second, db.session.get(Team, network["team_q"]), Actor.staff(person("zhao")), "转青山")
    make_ticket(at=local(11, 6, 9))  # no step yet
    db.session.commit()

    assert month_rows() == counted_by_hand()
    assert sum(month_rows().values()) == 2 * 4  # three steps of the first, the second's response: each twice


def test_the_city_rows_hold_every_step_time_once(make_ticket, person, network):
    kundulun = make_ticket(at=local(11, 3, 9))
    worked(kundulun, kundulun.assignee or person("wang"), local(11, 3, 9, 20))
    qingshan = make_ticket(at=local(11, 4, 9), district_id=network["qingshan"], building="富强小区1号楼", unit="", flat="")
    lifecycle.acknowledge(qingshan, Actor.staff(person("zhao")), now=local(11, 4, 9, 15))
    db.session.commit()

    city, teams = Counter(), Counter()
    for (month, team_id, district_id, category_id, step, bucket), n in month_rows().items():
        (city if team_id == ALL else teams)[(month, category_id, step, bucket)] += n

    assert city == teams and sum(city.values()) == 4


def test_a_transaction_rolled_back_leaves_the_month_rows_as_they_were(make_ticket, person):
    ticket = make_ticket(at=local(11, 3, 9))
    db.session.commit()
    before = month_rows()

    lifecycle.acknowledge(ticket, Actor.staff(person("wang")), now=local(11, 3, 9, 30))
    db.session.flush()
    db.session.rollback()

    assert month_rows() == before


def test_a_ticket_counts_in_the_company_month_it_was_received(make_ticket, person):
    for at in (local(11, 30, 23, 59), local(12, 1, 0, 1)):  # both 30 November in UTC
        ticket = make_ticket(at=at)
        lifecycle.acknowledge(ticket, Actor.staff(person("wang")), now=at + timedelta(minutes=5))
    db.session.commit()

    assert sorted({key[0] for key in month_rows()}) == [date(2026, 11, 1), date(2026, 12, 1)]


def test_the_migration_backfill_gives_the_month_rows_the_lifecycle_keeps(make_ticket, person):
    ticket = make_ticket(at=local(11, 3, 9))
    worked(ticket, ticket.assignee or person("wang"), local(11, 3, 10))
    other = make_ticket(at=local(10, 31, 23))
    lifecycle.acknowledge(other, Actor.staff(person("wang")), now=local(11, 1, 1))
    db.session.commit()
    kept = month_rows()

    db.session.execute(StepTimeMonth.__table__.delete())
    migration_module("9b2c3d4e5f76").backfill(db.session.connection(), StepTimeMonth.__table__, company_zone())

    assert month_rows() == kept
    db.session.rollback()

"""The report queries, without HTTP: exact numbers from small hand-computed fixtures.

The period is November 2026 in Baotou time unless a test says otherwise; the tickets are made
through intake and then given the timestamps, outcomes, scores and reopen events each test needs.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.analytics import queries
from app.analytics.filters import HEATING_CATEGORIES, ReportFilters, period_of
from app.analytics.histogram import PRECISION
from app.auth.models import User
from app.customers.models import Building, CustomerAccount, Substation
from app.extensions import db
from app.satisfaction.models import Resolution
from app.tickets.models import Category, Ticket

ZONE = ZoneInfo("Asia/Shanghai")


def local(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    """A Baotou wall-clock time as the aware UTC moment the database stores."""
    return datetime(year, month, day, hour, minute, tzinfo=ZONE).astimezone(timezone.utc)


def report_filters(first: date = date(2026, 11, 1), last: date = date(2026, 11, 30), **overrides) -> ReportFilters:
    """November 2026 (or the given days), with the heating categories as the app reads them."""
    heating = tuple(db.session.scalars(select(Category.id).where(Category.code.in_(HEATING_CATEGORIES))))
    return ReportFilters(period=period_of(first, last, ZONE), heating_category_ids=heating, **overrides)


def shape(ticket: Ticket, **values) -> Ticket:
    """Give a ticket the state a test needs (stored columns, as the lifecycle would have left them)."""
    for name, value in values.items():
        setattr(ticket, name, value)
    db.session.commit()
    return ticket


@pytest.fixture
def user(ctx, network):
    return lambda username: db.session.get(User, network[username])


@pytest.fixture
def kundulun(make_ticket):
    """Factory: a ticket in Kundulun (the Kundulun team's district), received at `at`."""
    return lambda at, **overrides: make_ticket(at=at, **overrides)


@pytest.fixture
def qingshan(make_ticket, network):
    """Factory: a ticket in Qingshan (the Qingshan team's district), received at `at`."""
    return lambda at, **overrides: make_ticket(at=at, district_id=network["qingshan"], building="富强小区1号楼",
                                               unit="", flat="", **overrides)


def within_precision(seconds: float):
    """The exact time, as the report's histogram percentiles may give it (app.analytics.histogram)."""
    return pytest.approx(seconds, rel=PRECISION)


def category_id(code: str) -> int:
    return db.session.scalar(select(Category.id).where(Category.code == code))


# --- 1. SLA compliance ------------------------------------------------------------------------------

@pytest.fixture
def sla_tickets(kundulun, qingshan):
    """Two Kundulun no-heat tickets and a Qingshan low-temperature one in November; one in October."""
    shape(kundulun(local(11, 5)), respond_met=True, on_site_met=True, resolve_met=False)
    shape(kundulun(local(11, 6)), respond_met=False, on_site_met=None, resolve_met=None)
    shape(qingshan(local(11, 7), category="low_temperature"), respond_met=True, on_site_met=True, resolve_met=True)
    shape(kundulun(local(10, 25), category="billing"), respond_met=False, on_site_met=False, resolve_met=False)


def test_sla_compliance_counts_stored_outcomes_of_tickets_received_in_the_period(sla_tickets, user):
    report = queries.sla_compliance(user("admin"), report_filters())

    assert report.total.tickets == 3
    assert (report.total.respond.met, report.total.respond.missed) == (2, 1)
    assert report.total.respond.compliance == pytest.approx(2 / 3)
    assert (report.total.on_site.met, report.total.on_site.missed) == (2, 0)
    assert report.total.on_site.compliance == 1.0
    assert (report.total.resolve.met, report.total.resolve.missed) == (1, 1)
    assert report.total.resolve.compliance == 0.5


def test_sla_compliance_leaves_out_clocks_without_an_outcome(kundulun, user):
    shape(kundulun(local(11, 5)), respond_met=None, on_site_met=None, resolve_met=None)

    report = queries.sla_compliance(user("admin"), report_filters())

    assert report.total.tickets == 1
    assert report.total.respond.ended == 0
    assert report.total.respond.compliance is None


def test_sla_compliance_is_grouped_by_team_district_and_category(sla_tickets, user, network):
    report = queries.sla_compliance(user("admin"), report_filters())

    kundulun_team = report.by_team[network["team"]]
    assert kundulun_team.tickets == 2
    assert (kundulun_team.respond.met, kundulun_team.respond.missed) == (1, 1)
    assert (kundulun_team.resolve.met, kundulun_team.resolve.missed) == (0, 1)
    assert report.by_team[network["team_q"]].resolve.compliance == 1.0
    assert report.by_district[network["kundulun"]] == kundulun_team
    assert report.by_category[category_id("no_heat")].tickets == 2
    assert report.by_category[category_id("low_temperature")].tickets == 1
    assert category_id("billing") not in report.by_category


def test_a_supervisor_sees_only_the_numbers_of_their_team_and_districts(sla_tickets, user, network):
    report = queries.sla_compliance(user("zhao"), report_filters())

    assert report.total.tickets == 2
    assert set(report.by_team) == {network["team"]}


def test_the_period_is_whole_days_in_the_company_zone(kundulun, user):
    kundulun(local(11, 30, 23, 59))  # the last minute of November in Baotou (15:59 UTC)
    kundulun(local(12, 1, 0, 0))  # already December in Baotou, still 30 November in UTC
    kundulun(local(10, 31, 23, 59))
    kundulun(local(11, 1, 0, 0))

    assert queries.sla_compliance(user("admin"), report_filters()).total.tickets == 2


def test_filters_narrow_to_one_team_district_or_category(sla_tickets, user, network):
    admin = user("admin")

    assert queries.sla_compliance(admin, report_filters(team_id=network["team_q"])).total.tickets == 1
    assert queries.sla_compliance(admin, report_filters(district_id=network["kundulun"])).total.tickets == 2
    assert queries.sla_compliance(admin, report_filters(category_id=category_id("low_temperature"))).total.tickets == 1
    assert queries.sla_compliance(admin, report_filters(date(2026, 10, 1), date(2026, 10, 31))).total.tickets == 1


# --- 2. Times --------------------------------------------------------------------------------------

@pytest.fixture
def timed_tickets(kundulun, user):
    """No-heat responses after 10, 20, 30 and 100 minutes (and one not yet), a low-temperature one after 60,
    on site after 2 hours and resolved after 5: each step through the lifecycle, which stores its time."""
    from app.tickets import lifecycle
    from app.tickets.lifecycle import Actor

    wang = Actor.staff(user("wang"))
    for minutes_taken in (10, 20, 30, 100):
        start = local(11, 3 + minutes_taken // 10)
        lifecycle.acknowledge(kundulun(start), wang, now=start + timedelta(minutes=minutes_taken))
    kundulun(local(11, 20))
    start = local(11, 21)
    low = kundulun(start, category="low_temperature")
    lifecycle.acknowledge(low, wang, now=start + timedelta(minutes=60))
    lifecycle.arrive(low, wang, now=start + timedelta(hours=2))
    lifecycle.resolve(low, wang, "valve_adjusted", now=start + timedelta(hours=5))
    kundulun(local(11, 22), category="billing")  # nothing ended yet
    db.session.commit()


def test_median_and_90th_percentile_interpolate_like_percentile_cont(timed_tickets, user):
    report = queries.response_times(user("admin"), report_filters())

    no_heat = report.by_category[category_id("no_heat")]
    assert no_heat.respond.count == 4
    assert no_heat.respond.median == within_precision(25 * 60)  # between 20 and 30
    assert no_heat.respond.p90 == within_precision((30 + 0.7 * 70) * 60)  # position 2.7
    assert no_heat.on_site.count == 0 and no_heat.on_site.median is None
    overall = report.total.respond
    assert overall.count == 5
    assert overall.median == within_precision(30 * 60)  # 10, 20, 30, 60, 100
    assert overall.p90 == within_precision((60 + 0.6 * 40) * 60)  # position 3.6
    low = report.by_category[category_id("low_temperature")]
    assert low.on_site.median == within_precision(7200)
    assert (low.resolve.median, low.resolve.p90) == (within_precision(18000), within_precision(18000))


def test_a_category_with_tickets_but_no_step_yet_is_listed_without_times(timed_tickets, user):
    billing = queries.response_times(user("admin"), report_filters()).by_category[category_id("billing")]

    assert (billing.respond.count, billing.respond.median, billing.resolve.p90) == (0, None, None)


def test_whole_months_read_from_their_rows_give_what_counting_the_tickets_gives(timed_tickets, user):
    admin = user("admin")
    from_month_rows = queries.response_times(admin, report_filters())  # all of November: its month rows
    counted_live = queries.response_times(admin, report_filters(date(2026, 11, 1), date(2026, 11, 29)))

    assert from_month_rows == counted_live


def test_a_period_across_months_adds_the_month_rows_and_the_days_around_them(kundulun, user):
    from app.tickets import lifecycle
    from app.tickets.lifecycle import Actor

    wang = Actor.staff(user("wang"))
    for day, minutes_taken in ((date(2026, 10, 31), 10), (date(2026, 11, 15), 20), (date(2026, 12, 1), 30)):
        start = local(day.month, day.day)
        lifecycle.acknowledge(kundulun(start), wang, now=start + timedelta(minutes=minutes_taken))
    db.session.commit()

    respond = queries.response_times(user("admin"), report_filters(date(2026, 10, 31), date(2026, 12, 1))).total.respond

    assert (respond.count, respond.median) == (3, within_precision(20 * 60))


def test_a_supervisor_times_only_their_team_and_districts(timed_tickets, qingshan, user):
    from app.tickets import lifecycle
    from app.tickets.lifecycle import Actor

    start = local(11, 8)
    lifecycle.acknowledge(qingshan(start), Actor.staff(user("admin")), now=start + timedelta(minutes=5))
    db.session.commit()

    assert queries.response_times(user("admin"), report_filters()).total.respond.count == 6
    assert queries.response_times(user("zhao"), report_filters()).total.respond.count == 5


# --- 3. Satisfaction --------------------------------------------------------------------------------

def resolution(ticket: Ticket, at: datetime, technician: User | None = None, score: int | None = None,
               reopened: datetime | None = None) -> Resolution:
    """A resolution row as the lifecycle writes it (the ticket's team, district and category), counted
    in its day and month as it is written, answered `score` an hour later, and reopened at `reopened`."""
    row = Resolution(ticket_id=ticket.id, resolved_at=at, technician_id=technician.id if technician else None,
                     team_id=ticket.team_id, district_id=ticket.district_id, category_id=ticket.category_id,
                     score=score, rated_at=at + timedelta(hours=1) if score else None, reopened_at=reopened)
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def scored_tickets(kundulun, qingshan, user):
    """November: wang's 5 and 1 (which reopened the ticket), li's unanswered survey, sun's 4 (resolved
    00:30 on 1 November, Baotou); October: wang's 3 (resolved 23:00 on 31 October, Baotou)."""
    wang, li, sun = user("wang"), user("li"), user("sun")
    resolution(kundulun(local(11, 9)), local(11, 10), wang, 5)
    resolution(kundulun(local(11, 14)), local(11, 15), wang, 1, reopened=local(11, 15, 11))
    resolution(kundulun(local(11, 11), category="low_temperature"), local(11, 12), li)
    resolution(qingshan(local(10, 31, 20)), local(11, 1, 0, 30), sun, 4)
    resolution(kundulun(local(10, 30)), local(10, 31, 23), wang, 3)
    kundulun(local(11, 16))  # not resolved: never surveyed


def test_csat_average_and_response_rate_of_the_surveys_sent_in_the_period(scored_tickets, user):
    total = queries.satisfaction(user("admin"), report_filters()).total

    assert (total.resolved, total.scored, total.satisfied, total.score_total) == (4, 3, 2, 10)
    assert total.csat == pytest.approx(2 / 3)
    assert total.average == pytest.approx(10 / 3)
    assert total.response_rate == 0.75


def test_csat_per_technician_team_district_and_category(scored_tickets, user, network):
    report = queries.satisfaction(user("admin"), report_filters())

    assert report.by_technician[network["wang"]].csat == 0.5
    assert report.by_technician[network["li"]].csat is None
    assert report.by_technician[network["li"]].response_rate == 0
    assert report.by_technician[network["sun"]].csat == 1.0
    assert report.by_team[network["team"]].resolved == 3
    assert report.by_district[network["qingshan"]].satisfied == 1
    assert report.by_category[category_id("no_heat")].scored == 3


def test_csat_per_month_of_resolution_in_the_company_zone(scored_tickets, user):
    report = queries.satisfaction(user("admin"), report_filters(date(2026, 10, 1), date(2026, 11, 30)))

    assert list(report.by_month) == ["2026-10", "2026-11"]
    assert (report.by_month["2026-10"].resolved, report.by_month["2026-10"].satisfied) == (1, 0)
    assert report.by_month["2026-11"].resolved == 4
    assert report.by_month["2026-11"].csat == pytest.approx(2 / 3)


def test_every_month_of_the_period_is_listed_even_without_resolutions(user, network):
    report = queries.satisfaction(user("admin"), report_filters(date(2026, 9, 15), date(2026, 11, 30)))

    assert list(report.by_month) == ["2026-09", "2026-10", "2026-11"]
    assert report.by_month["2026-09"].csat is None


def test_satisfaction_filters_narrow_to_the_team_district_or_category_at_resolution(scored_tickets, user, network):
    assert queries.satisfaction(user("admin"), report_filters(team_id=network["team_q"])).total.resolved == 1
    assert queries.satisfaction(user("admin"), report_filters(district_id=network["kundulun"])).total.scored == 2
    low = queries.satisfaction(user("admin"), report_filters(category_id=category_id("low_temperature"))).total
    assert (low.resolved, low.scored) == (1, 0)


def test_a_supervisor_sees_the_satisfaction_of_their_team_and_districts_only(scored_tickets, user, network):
    report = queries.satisfaction(user("zhao"), report_filters())

    assert (report.total.resolved, report.total.scored) == (3, 2)
    assert set(report.by_team) == {network["team"]}


# --- 4. Reopens -----------------------------------------------------------------------------------

@pytest.fixture
def reopen_tickets(kundulun, qingshan, user):
    """November: a resolution scored 5; a ticket resolved, reopened by staff and resolved again; one
    reopened by a low score and being worked again; a Qingshan one reopened in December. Not November's:
    an open ticket, and resolutions in October (one reopened in November)."""
    wang = user("wang")
    resolution(kundulun(local(11, 9)), local(11, 10), wang, 5)
    twice = kundulun(local(11, 1))
    resolution(twice, local(11, 5), wang, reopened=local(11, 8))
    resolution(twice, local(11, 12), wang)
    resolution(kundulun(local(11, 12)), local(11, 13), wang, 2, reopened=local(11, 13, 11))
    resolution(qingshan(local(11, 20)), local(11, 25), reopened=local(12, 2))
    kundulun(local(11, 13))  # open, never resolved: not counted
    resolution(qingshan(local(10, 1)), local(10, 15), reopened=local(10, 20))
    resolution(kundulun(local(10, 2)), local(10, 30), wang, reopened=local(11, 3))


def test_reopen_rate_is_the_share_of_the_periods_resolutions_followed_by_a_reopen(reopen_tickets, user):
    total = queries.reopen_rates(user("admin"), report_filters()).total

    assert (total.resolved, total.reopened) == (5, 3)
    assert total.rate == pytest.approx(3 / 5)


def test_reopen_rate_by_team_district_and_category(reopen_tickets, user, network):
    report = queries.reopen_rates(user("admin"), report_filters())

    assert (report.by_team[network["team"]].resolved, report.by_team[network["team"]].reopened) == (4, 2)
    qingshan = report.by_district[network["qingshan"]]
    assert (qingshan.resolved, qingshan.reopened) == (1, 1)
    assert report.by_category[category_id("no_heat")].resolved == 5


def test_a_supervisor_sees_the_reopens_of_their_team_and_districts_only(reopen_tickets, user, network):
    report = queries.reopen_rates(user("qian"), report_filters())

    assert (report.total.resolved, report.total.reopened) == (1, 1)
    assert set(report.by_team) == {network["team_q"]}


@pytest.mark.parametrize("report", [queries.satisfaction, queries.reopen_rates])
@pytest.mark.parametrize("days, tables", [
    ((date(2026, 11, 1), date(2026, 11, 30)), {"resolution_months"}),
    ((date(2026, 11, 2), date(2026, 11, 30)), {"resolution_days"}),
    ((date(2026, 10, 31), date(2026, 11, 30)), {"resolution_months", "resolution_days"}),
])
def test_each_report_is_one_query_over_the_month_rows_of_whole_months_and_the_day_rows_of_the_rest(
        reopen_tickets, user, report, days, tables):
    from sqlalchemy import event

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    admin, filters = user("admin"), report_filters(*days)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        report(admin, filters)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    read = {table for table in ("resolution_months", "resolution_days", "resolutions ", "tickets")
            if table in statements[0]}
    assert read == tables


def test_grouping_sets_and_the_sums_in_python_agree(scored_tickets, reopen_tickets, user):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("GROUPING SETS exist on PostgreSQL only; SQLite always sums in Python")
    filters = report_filters(date(2026, 10, 1), date(2026, 11, 30))
    for username in ("admin", "zhao"):
        assert (queries.satisfaction(user(username), filters, grouping="sets")
                == queries.satisfaction(user(username), filters, grouping="python"))
        assert (queries.reopen_rates(user(username), filters, grouping="sets")
                == queries.reopen_rates(user(username), filters, grouping="python"))


# --- 5. Complaints per 1,000 accounts ---------------------------------------------------------------

@pytest.fixture
def substation_tickets(kundulun, qingshan, network):
    """Kundulun 1: 4 accounts, 2 no-heat + 1 low-temperature + 1 billing complaint in November.
    Qingshan 1: 2 accounts, 1 no-heat. Kundulun 2: 5 accounts, no complaint. Kundulun 3: nothing."""
    building = db.session.get(Building, network["building"])
    building_q = db.session.scalar(select(Building).where(Building.name == "富强小区1号楼"))
    station_2 = Substation(district_id=network["kundulun"], code="kdl-2", name="昆都仑区2号换热站")
    station_3 = Substation(district_id=network["kundulun"], code="kdl-3", name="昆都仑区3号换热站")
    building_2 = Building(substation=station_2, name="友谊小区1号楼", key="友谊小区1号楼")
    db.session.add_all([station_2, station_3, building_2])
    number = iter(range(2, 100))
    for where, count in ((building, 3), (building_q, 2), (building_2, 5)):
        for _ in range(count):
            db.session.add(CustomerAccount(account_number=f"BT{next(number):08d}", name="住户", building=where))
    db.session.commit()
    made = [kundulun(local(11, 2)), kundulun(local(11, 3)), kundulun(local(11, 4), category="low_temperature"),
            kundulun(local(11, 5), category="billing"), kundulun(local(10, 5)), qingshan(local(11, 6))]
    assert all(t.substation_id is not None for t in made)
    return {"kdl-2": station_2.id, "kdl-3": station_3.id}


def test_heating_complaints_per_thousand_accounts_worst_first(substation_tickets, user):
    rows = queries.complaints_per_thousand(user("admin"), report_filters())

    assert [(r.code, r.accounts, r.tickets, r.per_thousand) for r in rows] == [
        ("kdl-1", 4, 3, 750.0), ("qs-1", 2, 1, 500.0), ("kdl-2", 5, 0, 0.0), ("kdl-3", 0, 0, None)]


def test_every_category_on_request(substation_tickets, user):
    rows = queries.complaints_per_thousand(user("admin"), report_filters(all_categories=True))

    assert (rows[0].code, rows[0].tickets, rows[0].per_thousand) == ("kdl-1", 4, 1000.0)


def test_a_named_category_replaces_the_heating_default(substation_tickets, user):
    rows = queries.complaints_per_thousand(user("admin"), report_filters(category_id=category_id("billing")))

    assert {r.code: r.tickets for r in rows}["kdl-1"] == 1


def test_a_supervisor_sees_the_substations_of_their_districts(substation_tickets, user):
    rows = queries.complaints_per_thousand(user("zhao"), report_filters())

    assert [r.code for r in rows] == ["kdl-1", "kdl-2", "kdl-3"]


def test_a_district_filter_lists_that_districts_substations(substation_tickets, user, network):
    rows = queries.complaints_per_thousand(user("admin"), report_filters(district_id=network["qingshan"]))

    assert [(r.code, r.tickets) for r in rows] == [("qs-1", 1)]


def test_a_low_score_through_the_lifecycle_reopens_that_resolution_and_the_next_fix_counts_apart(kundulun, user):
    from app.tickets import lifecycle
    from app.tickets.lifecycle import Actor

    wang = user("wang")
    ticket = kundulun(local(11, 3))
    lifecycle.acknowledge(ticket, Actor.staff(wang), now=local(11, 3, 10, 10))
    lifecycle.arrive(ticket, Actor.staff(wang), now=local(11, 3, 11))
    lifecycle.resolve(ticket, Actor.staff(wang), "air_bled", now=local(11, 3, 12))
    lifecycle.rate(ticket, 1, "还是不热", now=local(11, 4))
    db.session.commit()

    waiting = queries.reopen_rates(user("admin"), report_filters()).total
    assert (waiting.resolved, waiting.reopened) == (1, 1)

    lifecycle.assign(ticket, wang, Actor.staff(user("zhao")), now=local(11, 4, 11))
    lifecycle.resolve(ticket, Actor.staff(wang), "air_bled", now=local(11, 5))
    db.session.commit()

    fixed_again = queries.reopen_rates(user("admin"), report_filters()).total
    assert (fixed_again.resolved, fixed_again.reopened) == (2, 1)

"""The report pages over HTTP: who may open them, the filters as typed, bad input, and what they show."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from app.core.time import utcnow
from app.extensions import db
from app.tickets.models import Closure, Status
from tests.test_analytics_queries import ZONE, local, resolution, shape

REPORT_PAGES = ["sla", "times", "satisfaction", "reopens", "substations"]
NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture
def admin(staff_client):
    return staff_client("admin")


@pytest.fixture
def two_teams(make_ticket, network):
    """November: a Kundulun ticket answered late, resolved and scored 5; a Qingshan one answered on
    time, resolved, reopened by staff and resolved again."""
    kundulun = make_ticket(at=local(11, 5))
    shape(kundulun, respond_met=False, responded_at=local(11, 5, 11), status=Status.CLOSED, closure=Closure.RATED,
          resolved_at=local(11, 7), closed_at=local(11, 8), satisfaction_score=5)
    resolution(kundulun, local(11, 7), score=5)
    qingshan = make_ticket(at=local(11, 6), district_id=network["qingshan"], building="富强小区1号楼", unit="", flat="")
    shape(qingshan, respond_met=True, responded_at=local(11, 6, 10, 20), status=Status.RESOLVED,
          resolved_at=local(11, 9))
    resolution(qingshan, local(11, 7), reopened=local(11, 8))
    resolution(qingshan, local(11, 9))


def chart_data(html: str, section: str) -> dict:
    match = re.search(r'<script type="application/json" id="chart-data-%s">(.*?)</script>' % section, html, re.S)
    assert match, f"no chart data for {section}"
    return json.loads(match.group(1))


@pytest.mark.parametrize("page", REPORT_PAGES)
def test_each_report_page_shows_charts_tables_and_exports(admin, two_teams, page):
    response = admin.get(f"/desk/analytics/{page}", query_string=NOVEMBER)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="table report-table"' in html
    assert re.search(r'href="/desk/analytics/%s\.csv\?[^"]*start=2026-11-01' % page, html)
    assert "canvas" in html and "vendor/chart.js/chart.umd.min.js" in html


@pytest.mark.parametrize("page", REPORT_PAGES)
def test_report_pages_have_no_inline_executable_script(admin, two_teams, page):
    html = admin.get(f"/desk/analytics/{page}", query_string=NOVEMBER).get_data(as_text=True)

    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag


@pytest.mark.parametrize("username, status", [("wang", 403), ("agent", 403), ("zhao", 200), ("admin", 200)])
def test_only_supervisors_and_administrators_may_open_the_reports(staff_client, network, username, status):
    assert staff_client(username).get("/desk/analytics/sla").status_code == status
    assert staff_client(username).get("/desk/analytics/sla.csv").status_code == status


def test_an_anonymous_visitor_is_sent_to_sign_in(client, network):
    response = client.get("/desk/analytics/satisfaction")

    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]


def test_the_reports_are_in_the_navigation_of_supervisors_only(staff_client, network):
    supervisor_page = staff_client("zhao").get("/desk/board/")
    agent_page = staff_client("agent").get("/desk/console/queue")

    assert supervisor_page.status_code == agent_page.status_code == 200
    assert 'href="/desk/analytics/sla"' in supervisor_page.get_data(as_text=True)
    assert 'href="/desk/analytics/sla"' not in agent_page.get_data(as_text=True)


def test_the_index_opens_the_first_report_with_the_same_filters(admin):
    response = admin.get("/desk/analytics/", query_string=NOVEMBER)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/desk/analytics/sla?")
    assert "start=2026-11-01" in response.headers["Location"]


def test_the_default_period_is_the_last_30_days_ending_today(admin):
    html = admin.get("/desk/analytics/sla").get_data(as_text=True)

    today = utcnow().astimezone(ZONE).date()
    assert f'value="{(today - timedelta(days=29)).isoformat()}"' in html
    assert f'value="{today.isoformat()}"' in html
    assert 'id="report-period"' in html


def test_the_chart_and_table_show_the_same_numbers(admin, two_teams, network):
    html = admin.get("/desk/analytics/sla", query_string=NOVEMBER).get_data(as_text=True)

    chart = chart_data(html, "by-team")
    assert chart["labels"] == ["昆都仑区维修班组", "青山区维修班组"]
    assert chart["series"][0]["data"] == [0.0, 100.0]  # respond compliance per team
    table = html[html.index('data-section="by-team"'):]
    assert "0.0%" in table and "100.0%" in table


def test_a_supervisor_sees_no_other_teams_numbers(staff_client, two_teams):
    html = staff_client("zhao").get("/desk/analytics/sla", query_string=NOVEMBER).get_data(as_text=True)

    assert chart_data(html, "by-team")["labels"] == ["昆都仑区维修班组"]
    assert "青山区" not in html


def test_a_supervisor_cannot_ask_for_another_teams_report(staff_client, network, two_teams):
    response = staff_client("zhao").get("/desk/analytics/sla", query_string={**NOVEMBER, "team": network["team_q"]})

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请从列表中选择。" in html
    assert "chart-data" not in html


def test_a_team_filter_narrows_the_page(admin, two_teams, network):
    html = admin.get("/desk/analytics/sla", query_string={**NOVEMBER, "team": network["team_q"]}).get_data(as_text=True)

    assert chart_data(html, "by-team")["labels"] == ["青山区维修班组"]
    assert re.search(r'<option selected value="%d">' % network["team_q"], html) or \
        re.search(r'<option value="%d" selected>' % network["team_q"], html)


@pytest.mark.parametrize("args, field, kept", [
    ({"start": "2026-13-01"}, "start", "2026-13-01"),
    ({"start": "yesterday", "end": "2026-11-30"}, "start", "yesterday"),
    ({"start": "2026-11-30", "end": "2026-11-01"}, "start", "2026-11-30"),
    ({"start": "2025-01-01", "end": "2026-11-30"}, "end", "2026-11-30"),
    ({"end": "2026-02-30"}, "end", "2026-02-30"),
    ({"team": "abc"}, "team", None),
    ({"categories": "<b>"}, "categories", None),
])
def test_bad_filters_are_named_and_kept_and_nothing_breaks(admin, args, field, kept):
    response = admin.get("/desk/analytics/substations", query_string=args)

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="filter-problem"' in html
    assert f'id="{field}-error"' in html
    if kept:
        assert f'value="{kept}"' in html


def test_a_bad_export_request_answers_with_the_page_not_a_file(admin):
    response = admin.get("/desk/analytics/sla.csv", query_string={"start": "2026-11-31"})

    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_filter_errors_are_in_english_for_english_readers(admin):
    admin.set_cookie("lang", "en", domain="heatdesk.test")
    html = admin.get("/desk/analytics/sla", query_string={"team": "abc"}).get_data(as_text=True)

    assert "Please choose from the list." in html
    assert "请从列表中选择。" not in html


def test_a_report_page_costs_the_same_few_queries_for_one_ticket_or_many(admin, make_ticket, app):
    def statements_for_page() -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                assert admin.get("/desk/analytics/satisfaction", query_string=NOVEMBER).status_code == 200
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    shape(make_ticket(at=local(11, 5)), status="resolved", resolved_at=local(11, 6))
    few = statements_for_page()
    for day in range(7, 12):
        shape(make_ticket(at=local(11, day)), status="resolved", resolved_at=local(11, day, 12))
    assert statements_for_page() == few <= 10

"""The live board's page and JSON: who may open them, what they show, and that they agree.

The pages read the real clock, so tickets here are received relative to it (`ago`).
No heat: respond within 30 minutes, at risk from 24 minutes on.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.core.time import utcnow
from app.extensions import db
from app.intake.service import submit_complaint
from app.tickets.lifecycle import Actor

PAGE = "/desk/live/"
DATA = "/desk/live/data"
QINGSHAN = {"building": "富强小区1号楼", "unit": "", "flat": ""}


@pytest.fixture
def received(app, complaint):
    """Factory: a committed ticket received `ago` before now; returns its reference."""

    def make(ago: timedelta = timedelta(0), **overrides) -> str:
        with app.test_request_context():
            ticket = submit_complaint(complaint(**overrides), Actor.resident(), now=utcnow() - ago)
            db.session.commit()
            return ticket.reference

    return make


@pytest.fixture
def city(received, network):
    """Kundulun: two overdue tickets, one at risk, one calm. Qingshan: one overdue."""
    return {
        "overdue": [received(timedelta(hours=5)), received(timedelta(hours=4))],
        "at_risk": received(timedelta(minutes=25)),
        "calm": received(),
        "qingshan": received(timedelta(hours=4), district_id=network["qingshan"], **QINGSHAN),
    }


def section(html: str, section_id: str) -> str:
    match = re.search(r'<section[^>]*id="%s".*?</section>' % section_id, html, re.S)
    assert match, f"no section {section_id}"
    return match.group(0)


def listed(html: str, section_id: str) -> list[str]:
    return re.findall(r'<tr class="live-row" data-reference="(\d+)"', section(html, section_id))


def grid(html: str, table_id: str) -> dict[str, list[int]]:
    """A count table as {row key: cells and total}, the footer as "total"."""
    table = re.search(r'<table[^>]*id="%s".*?</table>' % table_id, html, re.S).group(0)
    body, foot = table.split("<tfoot>")
    rows = {key: [int(n) for n in re.findall(r"<td[^>]*>(\d+)</td>", cells)]
            for key, cells in re.findall(r'<tr data-key="([^"]+)">(.*?)</tr>', body, re.S)}
    rows["total"] = [int(n) for n in re.findall(r"<td[^>]*>(\d+)</td>", foot)]
    return rows


def json_grid(table: dict) -> dict[str, list[int]]:
    rows = {row["key"]: [*row["cells"], row["total"]] for row in table["rows"]}
    rows["total"] = [*table["totals"], table["total"]]
    return rows


# --- access ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [PAGE, DATA])
def test_an_anonymous_visitor_is_sent_to_sign_in(client, network, url):
    response = client.get(url)
    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("username", ["wang", "agent"])
@pytest.mark.parametrize("url", [PAGE, DATA])
def test_technicians_and_agents_may_not_open_the_live_board(staff_client, username, url):
    assert staff_client(username).get(url).status_code == 403


@pytest.mark.parametrize("username", ["zhao", "admin"])
def test_supervisors_and_admins_find_the_live_board_in_their_navigation(staff_client, username):
    html = staff_client(username).get(PAGE).get_data(as_text=True)
    assert f'href="{PAGE}" aria-current="page"' in html


# --- what the page shows ------------------------------------------------------------------------

def test_the_lists_show_overdue_and_at_risk_tickets_with_a_link_to_each(staff_client, city):
    html = staff_client("zhao").get(PAGE).get_data(as_text=True)
    assert listed(html, "live-breached") == city["overdue"]  # the longest overdue first
    assert listed(html, "live-at-risk") == [city["at_risk"]]
    assert f'href="/desk/tickets/{city["overdue"][0]}"' in html
    assert "阿尔丁小区3号楼" in section(html, "live-breached")


def test_a_supervisor_sees_only_their_teams_tickets(staff_client, city):
    html = staff_client("zhao").get(PAGE).get_data(as_text=True)
    assert city["qingshan"] not in html
    assert 'id="live-filters"' not in html  # and is offered no filter


def test_an_admin_sees_the_whole_city_and_may_narrow_it_to_a_team(staff_client, city, network):
    admin = staff_client("admin")
    everything = admin.get(PAGE).get_data(as_text=True)
    assert set(listed(everything, "live-breached")) == {*city["overdue"], city["qingshan"]}
    narrowed = admin.get(f"{PAGE}?team={network['team_q']}").get_data(as_text=True)
    assert listed(narrowed, "live-breached") == [city["qingshan"]]
    assert f'data-source="{DATA}?team={network["team_q"]}"' in narrowed  # the refresh keeps the filter


@pytest.mark.parametrize("query", ["team=abc", "district=-1", "team=99999999", "district=" + "9" * 40, "team=²"])
def test_a_nonsense_filter_shows_the_whole_city_rather_than_failing(staff_client, city, query):
    response = staff_client("admin").get(f"{PAGE}?{query}")
    assert response.status_code == 200
    assert len(listed(response.get_data(as_text=True), "live-breached")) == 3


def test_the_counts_show_open_tickets_by_district_and_status(staff_client, city, network):
    counts = grid(staff_client("admin").get(PAGE).get_data(as_text=True), "live-counts-table")
    # columns: new, assigned, …; every test ticket was dispatched on intake
    assert counts[str(network["kundulun"])][1] == 4 and counts[str(network["kundulun"])][-1] == 4
    assert counts[str(network["qingshan"])][-1] == 1
    assert counts["total"][-1] == 5


def test_todays_intake_counts_the_tickets_received_today(staff_client, received):
    received()
    intake = grid(staff_client("zhao").get(PAGE).get_data(as_text=True), "live-intake-table")
    assert intake["web"][-1] == 1 and intake["total"][-1] == 1


def test_the_page_is_in_chinese_by_default(staff_client, city):
    assert "<h1>实时看板" in staff_client("zhao").get(PAGE).get_data(as_text=True)


def test_the_page_works_in_english(staff_client, city):
    client = staff_client("zhao")
    html = client.get(PAGE, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<h1>Live board" in html and "overdue" in section(html, "live-breached")


# --- the JSON the page refreshes from -------------------------------------------------------------

def test_the_json_shows_what_the_page_shows(staff_client, city):
    client = staff_client("admin")
    html = client.get(PAGE).get_data(as_text=True)
    data = client.get(DATA).get_json()
    assert [row["reference"] for row in data["breached"]["rows"]] == listed(html, "live-breached")
    assert [row["reference"] for row in data["at_risk"]["rows"]] == listed(html, "live-at-risk")
    assert json_grid(data["counts"]) == grid(html, "live-counts-table")
    assert json_grid(data["intake"]) == grid(html, "live-intake-table")
    assert (data["breached"]["total"], data["at_risk"]["total"]) == (3, 1)


def test_the_json_describes_each_listed_ticket(staff_client, city):
    row = staff_client("zhao").get(DATA).get_json()["breached"]["rows"][0]
    assert row["reference"] == city["overdue"][0]
    assert row["url"] == f"/desk/tickets/{city['overdue'][0]}"
    assert row["overdue"] is True and row["left"].startswith("已超时")
    assert row["clock"] and row["due_label"] and "阿尔丁小区3号楼" in row["address"]


def test_the_json_is_never_cached(staff_client, network):
    assert staff_client("zhao").get(DATA).headers["Cache-Control"] == "no-store"


def test_the_json_follows_the_same_access_rule_as_the_page(staff_client, city):
    data = staff_client("qian").get(DATA).get_json()
    assert [row["reference"] for row in data["breached"]["rows"]] == [city["qingshan"]]


# --- refreshing -------------------------------------------------------------------------------------

@pytest.mark.parametrize("query, seconds", [("", 30), ("?refresh=1", 1), ("?refresh=601", 30), ("?refresh=x", 30),
                                            ("?refresh=0", 30)])
def test_the_page_refreshes_every_thirty_seconds_unless_asked_otherwise(staff_client, query, seconds):
    html = staff_client("zhao").get(PAGE + query).get_data(as_text=True)
    assert f'data-refresh-seconds="{seconds}"' in html
    assert 'src="/static/js/live_board.js"' in html


@pytest.mark.parametrize("minutes", [-3 * 24 * 60 - 7, -61, -1, 0, 0.5, 59, 61, 25 * 60])
def test_time_left_is_worded_as_the_technicians_countdown(app, minutes):
    from app.field.services import countdown
    from app.reports.live_routes import _RowWords

    now = utcnow()
    due = now + timedelta(minutes=minutes)
    with app.test_request_context():
        assert _RowWords.load().left(due, now) == countdown(due, now).text

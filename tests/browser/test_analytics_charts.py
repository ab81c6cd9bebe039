"""Reports in a real headless Chromium: the vendored Chart.js draws every chart under the app's CSP,
the desk sees charts beside their tables, and on a phone only the tables scroll sideways.

The page is located by ids, classes and data attributes, never by its (translated) words.
"""
from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TIMEOUT_MS, _is_problem
from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
SHOTS_FOR_REVIEW = Path("/tmp/heatdesk-shots")


@pytest.fixture
def browse(browser, live_server):
    """Factory: a browser context of the given size (own cookies), Chinese. Closed after the test."""
    contexts = []

    def make(viewport: dict):
        context = browser.new_context(base_url=live_server.url, viewport=viewport, locale="zh-CN")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.problems = []  # console errors and uncaught exceptions (CSP violations show up here)
        page.on("console", lambda msg: _is_problem(msg) and page.problems.append(f"{msg.text} {msg.location}"))
        page.on("pageerror", lambda exc: page.problems.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def recent_tickets(app, network, complaint):
    """Over the last week: Kundulun tickets answered, resolved and scored through the lifecycle, one
    answered late, one scored low (reopened), one not scored yet."""
    from app.core.time import utcnow
    from app.extensions import db
    from app.intake.service import submit_complaint
    from app.tickets import lifecycle
    from app.tickets.lifecycle import Actor

    with app.test_request_context():
        now = utcnow()
        for day, minutes_taken, score in ((6, 20, 5), (5, 45, 4), (3, 10, 2), (2, 90, None)):
            start = now - timedelta(days=day)
            ticket = submit_complaint(complaint(), Actor.resident(), now=start)
            technician = Actor.staff(ticket.assignee)
            lifecycle.acknowledge(ticket, technician, now=start + timedelta(minutes=minutes_taken))
            lifecycle.resolve(ticket, technician, "air_bled", now=start + timedelta(hours=5))
            if score is not None:
                lifecycle.rate(ticket, score, now=start + timedelta(hours=6))
        db.session.commit()


def sign_in(page, username: str) -> None:
    page.goto("/staff/sign-in")
    page.fill("#username", username)
    page.fill("#password", STAFF_PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("report", ["sla", "times", "satisfaction", "reopens", "substations"])
def test_every_chart_is_drawn_under_the_csp(browse, network, recent_tickets, report):
    desk = browse(DESKTOP)
    sign_in(desk, "admin")

    desk.goto(f"/desk/analytics/{report}")

    canvases = desk.locator("canvas[data-chart]")
    expect(canvases.first).to_be_visible()
    drawn = desk.evaluate("() => Array.from(document.querySelectorAll('canvas[data-chart]'))"
                          ".map(c => Boolean(c.chart) && c.width > 0 && c.height > 0)")
    assert drawn and all(drawn)
    assert desk.problems == []


def test_a_supervisor_finds_the_reports_in_the_navigation_and_downloads_a_csv(browse, network, recent_tickets,
                                                                                tmp_path):
    desk = browse(DESKTOP)
    sign_in(desk, "zhao")

    desk.locator('.staff-nav a[href="/desk/analytics/sla"]').click()
    desk.wait_for_url("**/desk/analytics/sla")
    expect(desk.locator("#by-team canvas")).to_be_visible()
    shot = tmp_path / "reports-sla-desk.png"
    desk.screenshot(path=str(shot), full_page=True)
    with desk.expect_download() as download:
        desk.locator('#by-team a[data-export="by-team"]').click()
    assert download.value.suggested_filename.startswith("heatdesk-sla-by-team-")
    assert Path(download.value.path()).read_bytes().startswith("\ufeff".encode("utf-8"))
    assert desk.problems == []
    SHOTS_FOR_REVIEW.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SHOTS_FOR_REVIEW / shot.name)


def test_on_a_phone_the_tables_scroll_and_the_page_does_not(browse, network, recent_tickets, tmp_path):
    phone = browse(PHONE)
    sign_in(phone, "admin")

    phone.goto("/desk/analytics/sla")

    expect(phone.locator("#by-team canvas")).to_be_visible()
    page_width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert page_width <= PHONE["width"]
    table_box = phone.locator("#by-team .table-scroll")
    assert table_box.evaluate("box => box.scrollWidth > box.clientWidth")  # the wide table scrolls inside
    shot = tmp_path / "reports-sla-phone.png"
    phone.screenshot(path=str(shot), full_page=True)
    assert phone.problems == []
    SHOTS_FOR_REVIEW.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SHOTS_FOR_REVIEW / shot.name)

"""The live board in a real headless Chromium: it redraws itself from the JSON without reloading,
and keeps the last data with a quiet note when the connection fails.

The page refreshes every second here (?refresh=1) instead of every 30 seconds.
The page is located by ids, classes and data attributes, never by its (translated) words.
"""
from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.browser

SHOTS_FOR_REVIEW = Path("/tmp/heatdesk-shots")
LIVE = "/desk/live/?refresh=1"




@pytest.fixture
def receive(app, network, complaint):
    """Receive a complaint `ago` before now, as the intake service would, behind the browser's back."""
    from app.core.time import utcnow
    from app.extensions import db
    from app.intake.service import submit_complaint
    from app.tickets.lifecycle import Actor

    def make(ago: timedelta, **overrides) -> str:
        with app.test_request_context():
            ticket = submit_complaint(complaint(**overrides), Actor.resident(), now=utcnow() - ago)
            db.session.commit()
            return ticket.reference

    return make


def open_live_board(desk) -> None:
    desk.goto("/staff/sign-in")
    desk.fill("#username", "zhao")
    desk.fill("#password", STAFF_PASSWORD)
    desk.locator("form button[type=submit]").click()
    desk.wait_for_url("**/desk/board/")
    desk.goto(LIVE)
    expect(desk.locator("html")).to_have_attribute("lang", "zh-Hans")


def test_a_ticket_breached_behind_the_supervisors_back_appears_without_a_reload(desk, receive, tmp_path):
    first = receive(timedelta(hours=5))
    open_live_board(desk)
    breached = desk.locator("#live-breached tr.live-row")
    expect(breached).to_have_count(1)
    desk.evaluate("window.__notReloaded = true")
    shown_at = desk.locator("#live-board").get_attribute("data-updated-at")

    late = receive(timedelta(hours=4))  # committed while the page is open
    expect(breached).to_have_count(2)
    expect(breached.nth(1)).to_have_attribute("data-reference", late)
    expect(breached.nth(0)).to_have_attribute("data-reference", first)  # the longest overdue stays first
    expect(breached.nth(1).locator(f'a[href="/desk/tickets/{late}"]')).to_be_visible()
    expect(desk.locator('#live-summary [data-count="breached"]')).to_have_class("badge badge-breached")
    expect(desk.locator("#live-breached [data-total]")).to_have_text("2")
    assert desk.evaluate("window.__notReloaded") is True  # redrawn in place, not reloaded
    assert desk.locator("#live-board").get_attribute("data-updated-at") != shown_at
    expect(desk.locator("#live-offline")).to_be_hidden()

    shot = tmp_path / "live-board.png"
    desk.screenshot(path=str(shot), full_page=True)
    assert desk.problems == []  # no script errors, no CSP violations
    SHOTS_FOR_REVIEW.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SHOTS_FOR_REVIEW / shot.name)


def test_when_the_connection_fails_the_last_data_stays_with_a_quiet_note(desk, receive):
    overdue = receive(timedelta(hours=5))
    open_live_board(desk)
    expect(desk.locator("#live-breached tr.live-row")).to_have_count(1)

    desk.route("**/desk/live/data*", lambda route: route.abort())
    receive(timedelta(hours=4))  # not seen: the fetch fails
    expect(desk.locator("#live-offline")).to_be_visible()
    expect(desk.locator("#live-breached tr.live-row")).to_have_count(1)
    expect(desk.locator("#live-breached tr.live-row")).to_have_attribute("data-reference", overdue)

    desk.unroute("**/desk/live/data*")  # back online: the note goes, the new ticket comes
    expect(desk.locator("#live-offline")).to_be_hidden()
    expect(desk.locator("#live-breached tr.live-row")).to_have_count(2)

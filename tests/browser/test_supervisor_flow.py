"""A supervisor at a desk, in Chinese, in a real headless Chromium: the overdue ticket first,
a reassignment in one step, and a call-back closed with its reason.

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
CALLBACK_REASON = "已回访：换热站正在检修，用户同意明天上午再上门测温。"




@pytest.fixture
def tickets(app, network, complaint):
    """On the Kundulun team: an overdue no-heat ticket of li (4 hours old), a calm one of wang,
    and one wang resolved that the resident rated 1, reopened for the call-back."""
    from app.auth.models import User
    from app.core.time import utcnow
    from app.extensions import db
    from app.intake.service import submit_complaint
    from app.tickets import lifecycle
    from app.tickets.lifecycle import Actor

    with app.test_request_context():
        wang, li = db.session.get(User, network["wang"]), db.session.get(User, network["li"])
        now = utcnow()

        def make(technician, at, **overrides):
            ticket = submit_complaint(complaint(**overrides), Actor.resident(), now=at)
            if ticket.assignee_id != technician.id:
                lifecycle.assign(ticket, technician, Actor.system(), now=at)
            return ticket

        overdue = make(li, now - timedelta(hours=4))
        calm = make(wang, now - timedelta(minutes=5), category="radiator_noise", unit="1", flat="102")
        unhappy = make(wang, now - timedelta(hours=6), unit="3", flat="501")
        lifecycle.resolve(unhappy, Actor.staff(wang), "air_bled", now=now - timedelta(hours=2))
        lifecycle.rate(unhappy, 1, "师傅走了以后还是不热", now=now - timedelta(hours=1))
        db.session.commit()
        return {"overdue": overdue.reference, "calm": calm.reference, "unhappy": unhappy.reference}


def test_a_supervisor_sees_the_overdue_ticket_first_reassigns_in_one_step_and_closes_a_call_back(
    app, network, tickets, desk, tmp_path
):
    from app.extensions import db
    from app.tickets.models import Closure, Status, Ticket
    from sqlalchemy import select

    # Sign in: the supervisor's day starts on the team board.
    desk.goto("/staff/sign-in")
    desk.fill("#username", "zhao")
    desk.fill("#password", STAFF_PASSWORD)
    desk.locator("form button[type=submit]").click()
    desk.wait_for_url("**/desk/board/")
    expect(desk.locator("html")).to_have_attribute("lang", "zh-Hans")

    # The overdue ticket is the first on the board, marked as such.
    first = desk.locator("tr.board-row").first
    expect(first).to_have_attribute("data-reference", tickets["overdue"])
    expect(first).to_have_attribute("data-sla", "breached")
    expect(first.locator(".badge-breached")).to_be_visible()
    expect(first.locator(f'a[href="/desk/tickets/{tickets["overdue"]}"]')).to_be_visible()
    board_shot = tmp_path / "supervisor-board.png"
    desk.screenshot(path=str(board_shot), full_page=True)

    # Reassign wang's ticket to li: choose, press, done.
    row = desk.locator(f'section[data-group="tech-{network["wang"]}"] tr[data-reference="{tickets["calm"]}"]')
    row.locator("select[name=assignee]").select_option(str(network["li"]))
    row.locator("button[type=submit]").click()
    desk.wait_for_url("**/desk/board/")
    expect(desk.locator(".flash-success")).to_be_visible()
    expect(desk.locator(f'section[data-group="tech-{network["li"]}"] tr[data-reference="{tickets["calm"]}"]'))\
        .to_be_visible()
    expect(desk.locator(f'section[data-group="tech-{network["wang"]}"] tr[data-reference="{tickets["calm"]}"]'))\
        .to_have_count(0)

    # The unhappy resident waits for a call-back: score, comment, a number to call; closed with the reason.
    callback = desk.locator(f'#callbacks article[data-reference="{tickets["unhappy"]}"]')
    expect(callback.locator('[data-score="1"]')).to_be_visible()
    expect(callback.locator('a[href^="tel:"]')).to_be_visible()
    callback.locator(f'#reason-{tickets["unhappy"]}').fill(CALLBACK_REASON)
    callback_shot = tmp_path / "supervisor-callback.png"
    desk.screenshot(path=str(callback_shot), full_page=True)
    callback.locator("form.close-form button[type=submit]").click()
    desk.wait_for_url("**/desk/board/")
    expect(desk.locator(".flash-success")).to_be_visible()
    expect(desk.locator(f'#callbacks article[data-reference="{tickets["unhappy"]}"]')).to_have_count(0)

    with app.app_context():
        found = {t.reference: t for t in db.session.scalars(select(Ticket))}
        assert found[tickets["calm"]].assignee_id == network["li"]
        unhappy = found[tickets["unhappy"]]
        assert (unhappy.status, unhappy.closure) == (Status.CLOSED, Closure.CALLBACK)
        assert unhappy.events[-1].note == CALLBACK_REASON

    assert desk.problems == []  # no script errors, no CSP violations
    SHOTS_FOR_REVIEW.mkdir(parents=True, exist_ok=True)
    for shot in (board_shot, callback_shot):
        shutil.copy(shot, SHOTS_FOR_REVIEW / shot.name)

"""A resident on a phone, in Chinese, in a real headless Chromium: report, track, rate, closed.

The pages are located by ids, classes and data attributes, never by their (translated) words.
"""
from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from tests.browser.conftest import PHONE
from tests.conftest import RESIDENT_PHONE

pytestmark = pytest.mark.browser

SHOTS_FOR_REVIEW = Path("/tmp/heatdesk-shots")
DESCRIPTION = "暖气片冰凉，家里只有十四度，老人孩子都冻得受不了。"
COMMENT = "王师傅来得很快，放气以后暖气就热了，谢谢！"


def fill_complaint(page: Page, *, phone: str = "138 0013 8000") -> None:
    page.fill("#name", "张桂兰")
    page.fill("#phone", phone)
    page.select_option("select#district", label="昆都仑区")
    page.fill("#building", "阿尔丁小区3号楼")
    page.fill("#unit", "2")
    page.fill("#flat", "301")
    page.select_option("select#category", value="no_heat")
    page.fill("#indoor_temp", "14.5")
    page.fill("#description", DESCRIPTION)


def sideways_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the phone's screen (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth") - PHONE["width"]


def load_ticket(reference: str):
    from app.extensions import db
    from app.tickets.models import Ticket

    return db.session.scalar(select(Ticket).where(Ticket.reference == reference))


def test_a_resident_reports_no_heat_from_a_phone_tracks_it_and_closes_it_with_a_rating(
    app, network, phone, new_phone, tmp_path
):
    from app.auth.models import User
    from app.extensions import db
    from app.tickets import lifecycle
    from app.tickets.lifecycle import Actor
    from app.tickets.models import Channel, Closure, Status

    # Home page → "report a problem".
    phone.goto("/")
    phone.locator('a.button-primary[href="/report"]').tap()
    phone.wait_for_url("**/report")
    expect(phone.locator("html")).to_have_attribute("lang", "zh-Hans")

    fill_complaint(phone)
    form_shot = tmp_path / "report-form-filled.png"
    phone.screenshot(path=str(form_shot), full_page=True)
    phone.locator("form button[type=submit]").tap()
    phone.wait_for_url("**/report/received")

    reference_box = phone.locator(".reference")
    reference = reference_box.get_attribute("data-reference")
    assert reference and re.fullmatch(r"[1-9]\d{9}", reference)
    shown = reference_box.inner_text().strip()
    assert shown.replace(" ", "") == reference  # grouped for reading aloud: 384 129 5706
    received_shot = tmp_path / "report-received.png"
    phone.screenshot(path=str(received_shot), full_page=True)
    print(f"\nscreenshots: {form_shot}\n             {received_shot}")
    assert sideways_overflow(phone) <= 0

    with app.app_context():
        ticket = load_ticket(reference)
        assert ticket is not None
        assert (ticket.channel, ticket.status, ticket.language) == (Channel.WEB, Status.ASSIGNED, "zh_Hans")
        assert (ticket.name, ticket.phone, ticket.description) == ("张桂兰", RESIDENT_PHONE, DESCRIPTION)
        assert (ticket.building_id, ticket.unit, ticket.flat) == (network["building"], "2", "301")
        assert ticket.account_id == network["account"]
        assert ticket.category.code == "no_heat" and ticket.indoor_temp == Decimal("14.5")
        assert ticket.assignee_id in (network["wang"], network["li"])

    # Later, on a browser that has not seen the reference: the status page wants reference + phone.
    later = new_phone()
    later.goto(f"/track/{reference}")
    later.wait_for_url(re.compile(r"/track\?reference="))
    later.fill("#reference", shown)
    later.fill("#phone", "13800138000")
    later.locator("form button[type=submit]").tap()
    later.wait_for_url(f"**/track/{reference}")
    expect(later.locator(".status")).to_have_class(re.compile(r"\bstatus-assigned\b"))
    expect(later.locator("section.rating")).to_have_count(0)

    # Staff deal with it (no staff UI yet: the lifecycle service, as the staff pages will call it).
    with app.app_context():
        ticket = load_ticket(reference)
        technician = db.session.get(User, ticket.assignee_id)
        staff = Actor.staff(technician)
        lifecycle.acknowledge(ticket, staff)
        lifecycle.depart(ticket, staff)
        lifecycle.arrive(ticket, staff)
        lifecycle.resolve(ticket, staff, "air_bled", "放气后正常")
        db.session.commit()

    later.reload()
    expect(later.locator(".status")).to_have_class(re.compile(r"\bstatus-resolved\b"))
    later.locator('section.rating input[name="score"][value="5"]').tap()
    later.fill("#comment", COMMENT)
    later.locator("section.rating button[type=submit]").tap()

    expect(later.locator(".status")).to_have_class(re.compile(r"\bstatus-closed\b"))
    expect(later.locator(".flash-success")).to_be_visible()
    expect(later.locator("section.rating")).to_have_count(0)
    expect(later.locator(".timeline .note", has_text=COMMENT)).to_be_visible()
    assert sideways_overflow(later) <= 0

    with app.app_context():
        ticket = load_ticket(reference)
        assert ticket.status is Status.CLOSED and ticket.closure is Closure.RATED
        assert (ticket.satisfaction_score, ticket.satisfaction_comment) == (5, COMMENT)
        assert ticket.closed_at is not None and ticket.resolution_code == "air_bled"

    assert phone.problems == [] and later.problems == []  # no script errors, no CSP violations
    SHOTS_FOR_REVIEW.mkdir(parents=True, exist_ok=True)
    for shot in (form_shot, received_shot):
        shutil.copy(shot, SHOTS_FOR_REVIEW / shot.name)


def test_the_complaint_form_fits_a_360px_phone_without_sideways_scrolling(network, phone):
    phone.goto("/report")
    assert phone.evaluate("window.innerWidth") == PHONE["width"]  # the page's meta viewport took effect
    assert sideways_overflow(phone) <= 0

    phone.locator("form button[type=submit]").tap()  # every field empty: the longest page, full of errors
    expect(phone.locator(".error-summary")).to_be_visible()
    assert sideways_overflow(phone) <= 0


def test_a_complaint_without_a_phone_number_keeps_what_was_typed_and_marks_the_phone_field(app, network, phone):
    from app.extensions import db
    from app.tickets.models import Ticket

    phone.goto("/report")
    fill_complaint(phone, phone="")
    with phone.expect_response(lambda r: r.request.method == "POST") as answer:
        phone.locator("form button[type=submit]").tap()
    assert answer.value.status == 422

    expect(phone.locator(".error-summary")).to_be_visible()
    expect(phone.locator("#name")).to_have_value("张桂兰")
    expect(phone.locator("#building")).to_have_value("阿尔丁小区3号楼")
    expect(phone.locator("#description")).to_have_value(DESCRIPTION)
    expect(phone.locator("select#category")).to_have_value("no_heat")

    phone_field = phone.locator(".field", has=phone.locator("#phone"))
    expect(phone_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(phone_field.locator(".error")).to_be_visible()
    expect(phone.locator("#phone")).to_have_attribute("aria-invalid", "true")
    expect(phone.locator("#phone")).to_have_attribute("aria-describedby", re.compile(r"\bphone-error\b"))
    expect(phone.locator(".field.has-error")).to_have_count(1)  # nothing else was wrong

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0

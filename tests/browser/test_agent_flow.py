"""A call-centre agent at a desktop, keyboard only, in a real headless Chromium: a no-heat call logged
and read back, then a second call for the same flat added to the open ticket instead of a duplicate.

The issue asks for "under 30 seconds, keyboard only": the first call is timed and its keystrokes are
counted from the moment the console is ready until the reference is on the screen. The form is
driven with page.keyboard only (Tab, typing, Enter, arrow keys): no clicks, no fill().
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from tests.browser.conftest import DESKTOP, TIMEOUT_MS
from tests.conftest import RESIDENT_PHONE, STAFF_PASSWORD

pytestmark = pytest.mark.browser

SHOTS_FOR_REVIEW = Path("/tmp/heatdesk-shots")
CALLER_PHONE = "138 0013 8000"
DESCRIPTION = "暖气不热"


class Keyboard:
    """page.keyboard with a count of keys pressed (a typed character counts as one key)."""

    def __init__(self, page: Page):
        self.page = page
        self.keys = 0

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.keys += len(text)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.keys += 1




def sign_in(page: Page, keyboard: Keyboard) -> None:
    page.goto("/staff/sign-in")
    expect(page.locator("#username")).to_be_focused()
    keyboard.type("agent")
    keyboard.press("Tab")
    keyboard.type(STAFF_PASSWORD)
    keyboard.press("Enter")
    page.wait_for_url("**/desk/console/queue")  # the agent's home page


def test_an_agent_logs_a_no_heat_call_by_keyboard_then_adds_the_second_call_to_it(app, network, desk, tmp_path):
    from app.extensions import db
    from app.tickets.models import Channel, Ticket, TicketEvent

    sign_in(desk, Keyboard(desk))
    expect(desk.locator("#queue-empty")).to_be_visible()
    desk.goto("/desk/console/")  # the phone rings: the agent opens the console
    expect(desk.locator("#q")).to_be_focused()

    # --- the first call, timed ---------------------------------------------------------------------
    keyboard = Keyboard(desk)
    started = time.monotonic()
    keyboard.type(CALLER_PHONE)
    keyboard.press("Enter")
    desk.wait_for_url(re.compile(r"/desk/console/\?q="))
    expect(desk.locator("#caller-facts")).to_contain_text("BT00000001")
    expect(desk.locator("#caller-facts")).to_contain_text("昆都仑区1号换热站")
    expect(desk.locator("#duplicates")).to_have_count(0)
    expect(desk.locator("#category")).to_be_focused()  # name, phone, account and address came from the lookup
    keyboard.press("ArrowDown")  # the first problem in the list: no heat
    expect(desk.locator("#category")).to_have_value("no_heat")
    keyboard.press("Tab")
    expect(desk.locator("#description")).to_be_focused()
    keyboard.type(DESCRIPTION)
    keyboard.press("Tab")
    expect(desk.locator("#indoor_temp")).to_be_focused()
    keyboard.type("14")
    keyboard.press("Enter")
    desk.wait_for_url(re.compile(r"/desk/console/tickets/\d{10}$"))
    reference_box = desk.locator("#reference")
    reference = reference_box.get_attribute("data-reference")
    shown = reference_box.inner_text().strip()
    seconds = time.monotonic() - started
    print(f"\nfirst call: {keyboard.keys} keystrokes, {seconds:.1f} s (reference read back: {shown})")

    assert re.fullmatch(r"\d{3} \d{3} \d{4}", shown) and shown.replace(" ", "") == reference
    expect(desk.locator(".read-back li[data-due]")).to_have_count(3)  # respond, on site, resolve
    expect(desk.locator("#team")).not_to_contain_text("triage")
    assert seconds < 30
    assert keyboard.keys <= 30
    first_shot = tmp_path / "agent-read-back.png"
    desk.screenshot(path=str(first_shot), full_page=True)

    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert (ticket.channel, ticket.category.code, ticket.description) == (Channel.PHONE, "no_heat", DESCRIPTION)
        assert (ticket.phone, ticket.account_id, str(ticket.indoor_temp)) == (RESIDENT_PHONE, network["account"], "14.0")
        assert ticket.events[0].actor_id == network["agent"] and ticket.sms_consent

    # --- the second call for the same flat -----------------------------------------------------------
    expect(desk.locator("#next-call")).to_be_focused()
    desk.keyboard.press("Enter")
    desk.wait_for_url(re.compile(r"/desk/console/$"))
    expect(desk.locator("#q")).to_be_focused()
    desk.keyboard.type("13800138000")
    desk.keyboard.press("Enter")
    warning = desk.locator("#duplicates")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(shown)
    duplicate_shot = tmp_path / "agent-duplicate-warning.png"
    desk.screenshot(path=str(duplicate_shot), full_page=True)
    expect(desk.locator(f"#note-{reference}")).to_be_focused()
    desk.keyboard.type("第二次来电，仍然不热")
    desk.keyboard.press("Enter")
    desk.wait_for_url(f"**/desk/console/tickets/{reference}")
    expect(desk.locator(".flash-success")).to_be_visible()
    expect(desk.locator("#reference")).to_have_attribute("data-reference", reference)

    with app.app_context():
        assert db.session.scalar(select(func.count(Ticket.id))) == 1  # no duplicate ticket
        call = db.session.scalar(select(TicketEvent).where(TicketEvent.action == "call"))
        assert call.note == "第二次来电，仍然不热" and call.actor_id == network["agent"]

    assert desk.problems == []  # no script errors, no CSP violations
    SHOTS_FOR_REVIEW.mkdir(parents=True, exist_ok=True)
    for shot in (first_shot, duplicate_shot):
        shot.replace(SHOTS_FOR_REVIEW / shot.name)


def test_the_queue_fits_a_desktop_screen_and_shows_the_new_ticket(app, network, desk, make_ticket):
    ticket = make_ticket()
    sign_in(desk, Keyboard(desk))
    row = desk.locator(f'#queue tr[data-reference="{ticket.reference}"]')
    expect(row).to_be_visible()
    assert desk.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    SHOTS_FOR_REVIEW.mkdir(parents=True, exist_ok=True)
    desk.screenshot(path=str(SHOTS_FOR_REVIEW / "agent-queue.png"), full_page=True)
    assert desk.problems == []


def test_an_unknown_caller_is_logged_in_tab_order_and_saved_from_the_description(app, network, desk):
    from app.extensions import db
    from app.tickets.models import Ticket

    sign_in(desk, Keyboard(desk))
    desk.goto("/desk/console/")
    expect(desk.locator("#q")).to_be_focused()  # autofocus lands after load: typing before it loses keys
    keyboard = Keyboard(desk)
    keyboard.type("139 0471 0000")
    keyboard.press("Enter")
    expect(desk.locator("#not-found")).to_be_visible()
    expect(desk.locator("#name")).to_be_focused()
    keyboard.type("王五")
    for expected in ("phone", "sms_consent", "account_number", "district"):
        keyboard.press("Tab")
        expect(desk.locator(f"#{expected}")).to_be_focused()
    keyboard.press("ArrowDown")  # the first district: 昆都仑区
    for expected, typed in (("building", "阿尔丁小区3号楼"), ("unit", "1"), ("flat", "101")):
        keyboard.press("Tab")
        expect(desk.locator(f"#{expected}")).to_be_focused()
        keyboard.type(typed)
    keyboard.press("Tab")
    expect(desk.locator("#category")).to_be_focused()
    keyboard.press("ArrowDown")
    keyboard.press("ArrowDown")  # the second problem: low temperature
    keyboard.press("Tab")
    keyboard.type("室温只有16度")
    keyboard.press("Control+Enter")  # console.js: save from the description
    desk.wait_for_url(re.compile(r"/desk/console/tickets/\d{10}$"))
    reference = desk.locator("#reference").get_attribute("data-reference")
    print(f"\nunknown caller: {keyboard.keys} keystrokes")

    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert (ticket.name, ticket.phone, ticket.category.code) == ("王五", "+8613904710000", "low_temperature")
        assert (ticket.building_id, ticket.unit, ticket.flat, ticket.description) == (
            network["building"], "1", "101", "室温只有16度")
    assert desk.problems == []

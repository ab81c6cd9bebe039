"""A technician on a 360×740 phone, in Chinese, in real headless Chromium: sign in, open the job,
accept, go, arrive, resolve with a measured temperature and a photo; the supervisor then sees it
resolved on the desk. Also: a lost connection loses nothing that was typed.

Pages are located by ids, classes and data attributes, never by their (translated) words.
"""
from __future__ import annotations

import re
import shutil
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from app.core.time import utcnow
from tests.browser.conftest import PHONE, TIMEOUT_MS
from tests.conftest import STAFF_PASSWORD
from tests.test_field_fixtures import new_job, row, uploads  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

SHOTS_FOR_REVIEW = Path("/tmp/heatdesk-shots")
DESKTOP = {"width": 1280, "height": 800}
NOTE = "入户测温18.5℃，室温达标，已向用户说明。"


def sign_in(page: Page, username: str) -> None:
    page.goto("/staff/sign-in")
    page.fill("#username", username)
    page.fill("#password", STAFF_PASSWORD)
    page.locator("form button[type=submit]").click()


def sideways_overflow(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth") - PHONE["width"]


def shoot(page: Page, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    SHOTS_FOR_REVIEW.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SHOTS_FOR_REVIEW / name)
    return shot


def radiator_photo(path: Path) -> Path:
    """A phone-sized JPEG made with Pillow."""
    image = Image.new("RGB", (1600, 1200), (235, 235, 225))
    draw = ImageDraw.Draw(image)
    for x in range(200, 1400, 120):
        draw.rectangle([x, 300, x + 80, 900], fill=(250, 250, 250), outline=(120, 120, 120), width=6)
    draw.text((220, 950), "18.5 C", fill=(200, 30, 30))
    image.save(path, "JPEG", quality=90)
    return path


def tap_step(page: Page, step: str) -> None:
    with page.expect_navigation():
        page.locator(f'form.step-form[data-step="{step}"] button').tap()
    expect(page.locator(".flash-success")).to_be_visible()


@pytest.fixture
def wang_job(new_job):
    return new_job(at=utcnow() - timedelta(minutes=5))  # no heat: respond due in about 25 minutes


def test_a_technician_works_a_job_from_his_phone_and_the_supervisor_sees_it_resolved(
    app, browser, live_server, new_phone, wang_job, uploads, tmp_path
):
    from app.tickets.models import Status

    phone = new_phone()
    phone.clock.install()  # so the countdown can be watched moving without waiting for minutes
    sign_in(phone, "wang")
    phone.wait_for_url("**/field/jobs")
    expect(phone.locator("html")).to_have_attribute("lang", "zh-Hans")
    card = phone.locator(f'li.job[data-reference="{wang_job.reference}"]')
    expect(card).to_be_visible()
    countdown = card.locator("time.countdown")
    first_text = countdown.inner_text()
    assert first_text.strip()
    phone.clock.fast_forward("03:00")
    expect(countdown).not_to_have_text(first_text)  # field.js keeps it counting
    assert sideways_overflow(phone) <= 0
    shoot(phone, tmp_path, "field-my-jobs.png")

    card.locator("a.job-link").tap()
    phone.wait_for_url(f"**/field/jobs/{wang_job.reference}")
    expect(phone.locator('a[href^="tel:"]')).to_be_visible()
    expect(phone.locator('a[href^="geo:0,0?q="]')).to_be_visible()
    assert sideways_overflow(phone) <= 0
    shoot(phone, tmp_path, "field-job-new.png")

    tap_step(phone, "acknowledge")
    expect(phone.locator("h1 .badge")).to_have_attribute("data-status", "acknowledged")
    tap_step(phone, "depart")
    expect(phone.locator("h1 .badge")).to_have_attribute("data-status", "en_route")
    tap_step(phone, "arrive")
    expect(phone.locator("h1 .badge")).to_have_attribute("data-status", "on_site")

    form = phone.locator("#resolve-form")
    expect(form).to_be_visible()  # on site: the resolve panel is open
    form.locator("select#resolution_code").select_option("meets_standard")
    form.locator("#measured_temp").fill("18.5")
    form.locator("#note").fill(NOTE)
    form.locator("#photos").set_input_files(str(radiator_photo(tmp_path / "radiator.jpg")))
    assert sideways_overflow(phone) <= 0
    shoot(phone, tmp_path, "field-resolve-filled.png")

    with phone.expect_navigation():
        form.locator("button[type=submit]").tap()
    expect(phone.locator("h1 .badge")).to_have_attribute("data-status", "resolved")
    expect(phone.locator(".flash-success")).to_be_visible()
    expect(phone.locator(".resolution")).to_have_attribute("data-code", "meets_standard")
    photo = phone.locator(".photo-grid img")
    expect(photo).to_have_count(1)
    photo.scroll_into_view_if_needed()
    phone.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    assert sideways_overflow(phone) <= 0
    shoot(phone, tmp_path, "field-job-resolved.png")
    assert phone.evaluate("Object.keys(localStorage).filter(k => k.startsWith('heatdesk.resolve.'))") == []

    state = row(app, wang_job)
    assert (state.status, state.resolution_code, state.measured_temp) == (
        Status.RESOLVED, "meets_standard", Decimal("18.5"))
    assert len(state.photos) == 1 and max(state.photos[0].width, state.photos[0].height) <= 2048

    # The supervisor, at a desk, sees the ticket resolved.
    desk = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="zh-CN")
    desk.set_default_timeout(TIMEOUT_MS)
    try:
        page = desk.new_page()
        sign_in(page, "zhao")
        page.wait_for_url(re.compile(r"/(?!staff/sign-in)"))
        page.goto(f"/desk/tickets/{wang_job.reference}")
        expect(page.locator("h1 .badge")).to_have_attribute("data-status", "resolved")
        shoot(page, tmp_path, "desk-ticket-resolved.png")
    finally:
        desk.close()

    assert phone.problems == []  # no script errors, no CSP violations


def on_site_job_on_wangs_phone(new_phone, new_job):
    """A job wang has reached, open on his phone at the resolve step."""
    job = new_job(at=utcnow(), steps=("acknowledge", "arrive"))
    phone = new_phone()
    sign_in(phone, "wang")
    phone.wait_for_url("**/field/jobs")
    phone.goto(f"/field/jobs/{job.reference}")
    return job, phone


def test_a_resolve_sent_without_signal_keeps_the_form_and_goes_through_once_back_online(
    app, new_phone, new_job, uploads, tmp_path
):
    from app.tickets.models import Status

    job, phone = on_site_job_on_wangs_phone(new_phone, new_job)
    form = phone.locator("#resolve-form")
    form.locator("select#resolution_code").select_option("air_bled")
    form.locator("#note").fill("放气后暖气片热了")
    form.locator("#photos").set_input_files(str(radiator_photo(tmp_path / "radiator.jpg")))

    phone.context.set_offline(True)
    form.locator("button[type=submit]").tap()
    expect(form.locator(".form-status.problem")).to_be_visible()
    expect(form.locator("#note")).to_have_value("放气后暖气片热了")
    expect(form.locator("select#resolution_code")).to_have_value("air_bled")
    assert form.locator("#photos").evaluate("input => input.files.length") == 1
    shoot(phone, tmp_path, "field-resolve-offline.png")
    assert row(app, job).status is Status.ON_SITE

    phone.context.set_offline(False)
    with phone.expect_navigation():
        form.locator("button[type=submit]").tap()
    expect(phone.locator("h1 .badge")).to_have_attribute("data-status", "resolved")
    state = row(app, job)
    assert state.status is Status.RESOLVED and len(state.photos) == 1


def test_what_was_typed_comes_back_after_the_page_is_reloaded(new_phone, new_job):
    job, phone = on_site_job_on_wangs_phone(new_phone, new_job)
    phone.locator("#measured_temp").fill("16.5")
    phone.locator("#note").fill("阀门调整后仍需观察")
    phone.reload()
    expect(phone.locator("#measured_temp")).to_have_value("16.5")
    expect(phone.locator("#note")).to_have_value("阀门调整后仍需观察")
    expect(phone.locator("#resolve-form .form-status")).to_be_visible()


def test_a_refused_resolve_shows_the_error_at_its_field_and_keeps_the_photo_chosen(
    app, new_phone, new_job, uploads, tmp_path
):
    from app.tickets.models import Status

    job, phone = on_site_job_on_wangs_phone(new_phone, new_job)
    form = phone.locator("#resolve-form")
    form.locator("select#resolution_code").select_option("meets_standard")
    form.locator("#measured_temp").fill("暖和")
    form.locator("#photos").set_input_files(str(radiator_photo(tmp_path / "radiator.jpg")))
    with phone.expect_response(lambda r: r.request.method == "POST") as answer:
        form.locator("button[type=submit]").tap()
    assert answer.value.status == 422
    field = phone.locator(".field", has=phone.locator("#measured_temp"))
    expect(field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(phone.locator("#measured_temp")).to_have_value("暖和")
    assert phone.locator("#photos").evaluate("input => input.files.length") == 1
    assert sideways_overflow(phone) <= 0
    shoot(phone, tmp_path, "field-resolve-refused.png")

    phone.locator("#measured_temp").fill("18.2")
    with phone.expect_navigation():
        phone.locator("#resolve-form button[type=submit]").tap()
    expect(phone.locator("h1 .badge")).to_have_attribute("data-status", "resolved")
    assert len(row(app, job).photos) == 1
    assert row(app, job).status is Status.RESOLVED

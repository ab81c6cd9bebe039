"""The technician's pages over HTTP: my jobs, one tap per step, resolving with photos, and who may.

Access rules chosen here:
- The field pages are for technicians: jobs are only ever assigned to technicians, so a
  supervisor's "my jobs" would always be empty; supervisors work tickets on /desk/tickets/<ref>.
- A colleague of the same team (li on wang's job) gets 403 for any step: he may already see the
  ticket (his team's) on the desk page, so a 404 would hide nothing; 403 says the truth, "you may
  see it but it is not your job". Another team's technician (sun) gets 404: for him the ticket
  does not exist, and neither do its photos.
"""
from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest

from app.core.time import utcnow
from app.field import photos
from app.tickets.models import Status
from tests.conftest import csrf_token_of
from tests.test_field_fixtures import (  # noqa: F401  (fixtures)
    image_bytes, job_page, new_job, resolve, row, tap, uploads, version_on, wait,
)


@pytest.fixture
def wang(staff_client):
    return staff_client("wang")


@pytest.fixture
def on_site(new_job):
    return new_job(steps=("acknowledge", "arrive"))


def photo_urls(html: str) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', html)


def error_at(html: str, field: str) -> str | None:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    return match.group(1) if match else None


# --- who may --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/field/jobs", "/field/jobs/1234567890", "/field/jobs/1234567890/photos/1"])
def test_anonymous_visitors_are_sent_to_sign_in(client, network, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/sign-in?next=")


def test_an_anonymous_step_is_refused(client, new_job):
    job = new_job()
    assert client.post(f"/field/jobs/{job.reference}/steps/acknowledge").status_code in (400, 401)
    assert row(client.application, job).status is Status.ASSIGNED


@pytest.mark.parametrize("username", ["zhao", "agent", "admin"])
def test_my_jobs_is_for_technicians(staff_client, username):
    assert staff_client(username).get("/field/jobs").status_code == 403


def test_a_technician_starts_the_day_on_my_jobs(staff_client, network):
    assert staff_client("wang").get("/staff/").headers["Location"] == "/field/jobs"


def test_another_teams_technician_gets_404_for_the_job(staff_client, new_job):
    job = new_job()
    sun = staff_client("sun")
    assert job_page(sun, job).status_code == 404


def test_another_teams_technician_gets_404_for_its_steps_and_resolution(staff_client, wang, new_job):
    job = new_job()
    sun = staff_client("sun")
    token = csrf_token_of(sun.get("/field/jobs").get_data(as_text=True))
    data = {"csrf_token": token, "version": "1", "reason": "x", "resolution_code": "air_bled"}
    for path in ("steps/acknowledge", "wait", "resolve"):
        assert sun.post(f"/field/jobs/{job.reference}/{path}", data=data).status_code == 404
    assert row(sun.application, job).status is Status.ASSIGNED


def test_another_teams_technician_gets_404_for_the_photos(staff_client, wang, on_site, uploads):
    resolve(wang, on_site, photos=[(image_bytes(), "a.jpg")])
    [url] = photo_urls(job_page(wang, on_site).get_data(as_text=True))
    assert staff_client("sun").get(url).status_code == 404
    assert staff_client("qian").get(url).status_code == 404


def test_a_colleague_sees_the_job_but_no_buttons(staff_client, new_job):
    html = job_page(staff_client("li"), new_job()).get_data(as_text=True)
    assert 'class="step-form"' not in html and 'id="resolve-form"' not in html
    assert 'class="notice"' in html


@pytest.mark.parametrize("action", ["acknowledge", "depart", "arrive"])
def test_a_colleague_may_not_take_a_step_on_the_assignees_job(staff_client, new_job, action):
    job = new_job(steps={"acknowledge": (), "depart": ("acknowledge",), "arrive": ("acknowledge",)}[action])
    li = staff_client("li")
    before = row(li.application, job).status
    assert tap(li, job, action).status_code == 403
    assert row(li.application, job).status is before


def test_a_colleague_may_not_resolve_or_hold_the_assignees_job(staff_client, on_site, uploads):
    li = staff_client("li")
    assert resolve(li, on_site, photos=[(image_bytes(), "a.jpg")]).status_code == 403
    assert wait(li, on_site, "not home").status_code == 403
    state = row(li.application, on_site)
    assert state.status is Status.ON_SITE and state.photos == []
    assert not uploads.exists() or not any(uploads.iterdir())


# --- my jobs ----------------------------------------------------------------------------------

def test_my_jobs_lists_my_open_jobs_nearest_due_first(wang, new_job):
    now = utcnow()
    later = new_job(at=now - timedelta(minutes=5))  # respond due in 25 min
    sooner = new_job(at=now - timedelta(minutes=25))  # respond due in 5 min
    # radiator noise, accepted: its next clock is on site, 8 h after it came in, so 7 h from now
    accepted = new_job(at=now - timedelta(hours=1), category="radiator_noise", steps=("acknowledge",))
    new_job(technician="li")
    html = wang.get("/field/jobs").get_data(as_text=True)
    listed = re.findall(r'<li class="job [^"]*" data-reference="(\d+)"', html)
    assert listed == [sooner.reference, later.reference, accepted.reference]


def test_each_job_shows_a_countdown_the_page_can_keep_running(wang, new_job):
    job = new_job(at=utcnow() - timedelta(minutes=10))
    html = wang.get("/field/jobs").get_data(as_text=True)
    match = re.search(r'<time class="countdown" datetime="([^"]+)"[^>]*>([^<]+)</time>', html)
    assert match and match.group(1).startswith(str(row(wang.application, job).respond_due_at.date()))
    assert match.group(2).strip()  # written by the server: readable without the script
    assert 'id="countdown-words"' in html and 'src="/static/js/field.js"' in html


def test_each_job_shows_its_address_and_category(staff_client, new_job):
    new_job()
    html = staff_client("wang").get("/field/jobs", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "阿尔丁小区3号楼" in html and "No heat" in html


def test_with_no_jobs_my_jobs_says_so(wang):
    html = wang.get("/field/jobs").get_data(as_text=True)
    assert 'class="empty"' in html


# --- the job page -----------------------------------------------------------------------------

def test_the_job_page_offers_a_call_and_the_map(wang, new_job):
    html = job_page(wang, new_job()).get_data(as_text=True)
    assert 'href="tel:+8613800138000"' in html
    assert 'href="geo:0,0?q=' in html
    assert re.search(r'<a class="map-web" href="https://[^"]+"', html)
    assert not re.search(r'<(img|script|iframe)[^>]+src="https?://', html)  # nothing loads from elsewhere


@pytest.mark.parametrize("action, steps, status", [
    ("acknowledge", (), Status.ACKNOWLEDGED),
    ("depart", ("acknowledge",), Status.EN_ROUTE),
    ("arrive", ("acknowledge", "depart"), Status.ON_SITE),
    ("arrive", ("acknowledge",), Status.ON_SITE),  # close by: straight there
    ("resume", ("acknowledge", "wait_for_resident"), Status.ACKNOWLEDGED),
])
def test_each_step_is_one_tap(wang, new_job, action, steps, status):
    job = new_job(at=utcnow(), steps=steps)
    assert f'data-step="{action}"' in job_page(wang, job).get_data(as_text=True)
    response = tap(wang, job, action)
    assert response.status_code == 302 and response.headers["Location"] == f"/field/jobs/{job.reference}"
    assert row(wang.application, job).status is status


def test_a_second_tap_on_the_same_step_changes_nothing_more(wang, new_job):
    job = new_job()
    html = job_page(wang, job).get_data(as_text=True)
    data = {"csrf_token": csrf_token_of(html), "version": version_on(html)}
    assert wang.post(f"/field/jobs/{job.reference}/steps/acknowledge", data=data).status_code == 302
    assert wang.post(f"/field/jobs/{job.reference}/steps/acknowledge", data=data).status_code == 409
    assert row(wang.application, job).status is Status.ACKNOWLEDGED


def test_an_unknown_step_is_not_found(wang, new_job):
    assert tap(wang, new_job(), "cancel").status_code == 404


def test_a_step_without_the_csrf_token_is_refused(wang, new_job):
    job = new_job()
    assert wang.post(f"/field/jobs/{job.reference}/steps/acknowledge", data={"version": "1"}).status_code == 400
    assert row(wang.application, job).status is Status.ASSIGNED


def test_waiting_for_the_resident_pauses_the_job_with_the_reason(wang, new_job):
    job = new_job(steps=("acknowledge",))
    assert wait(wang, job, "家里没人，电话不通").status_code == 302
    state = row(wang.application, job)
    assert state.status is Status.WAITING and state.sla_paused_at is not None


def test_waiting_without_a_reason_is_refused_at_the_reason(wang, new_job):
    job = new_job(steps=("acknowledge",))
    response = wait(wang, job, "   ")
    assert response.status_code == 422
    assert error_at(response.get_data(as_text=True), "reason")
    assert row(wang.application, job).status is Status.ACKNOWLEDGED


# --- resolving --------------------------------------------------------------------------------

def test_resolving_with_code_temperature_note_and_photo(wang, on_site, uploads):
    response = resolve(wang, on_site, resolution_code="meets_standard", measured_temp="18.5", note="入户测温 18.5℃",
                       photos=[(image_bytes("JPEG"), "IMG_0001.jpg", "image/jpeg")])
    assert response.status_code == 302
    state = row(wang.application, on_site)
    assert (state.status, state.resolution_code, state.measured_temp) == (
        Status.RESOLVED, "meets_standard", Decimal("18.5"))
    [photo] = state.photos
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 64, 48)
    html = job_page(wang, on_site).get_data(as_text=True)
    assert 'data-status="resolved"' in html and len(photo_urls(html)) == 1
    assert 'id="resolve-form"' not in html


def test_resolving_without_photos_is_fine(wang, on_site, uploads):
    assert resolve(wang, on_site, resolution_code="air_bled").status_code == 302
    assert row(wang.application, on_site).status is Status.RESOLVED


def test_a_photo_above_the_apps_usual_1_mb_limit_is_accepted(wang, on_site, uploads):
    big = image_bytes("JPEG") + b"\0" * (2 * 1024 * 1024)
    assert resolve(wang, on_site, photos=[(big, "big.jpg")]).status_code == 302


@pytest.mark.parametrize("fields, field", [
    ({"resolution_code": ""}, "resolution_code"),
    ({"resolution_code": "fixed_it_somehow"}, "resolution_code"),
    ({"resolution_code": "meets_standard", "measured_temp": ""}, "measured_temp"),
    ({"measured_temp": "warm"}, "measured_temp"),
    ({"measured_temp": "45"}, "measured_temp"),
    ({"note": "很" * 2001}, "note"),
])
def test_bad_input_is_shown_at_its_field_with_everything_typed_kept(wang, on_site, uploads, fields, field):
    typed = {"resolution_code": "air_bled", "measured_temp": "17.5", "note": "放气后暖气片热了", **fields}
    response = resolve(wang, on_site, photos=[(image_bytes(), "a.jpg")], **typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_at(html, field)
    if typed["measured_temp"]:
        assert f'value="{typed["measured_temp"]}"' in html
    if len(typed["note"]) < 100:
        assert typed["note"] in html
    if typed["resolution_code"] == "air_bled":
        assert '<option selected value="air_bled">' in html or 'value="air_bled" selected' in html
    state = row(wang.application, on_site)
    assert state.status is Status.ON_SITE and state.photos == []
    assert not uploads.exists() or not any(uploads.iterdir())


@pytest.mark.parametrize("photo", [
    (b"hello, I am text\n", "photo.jpg", "image/jpeg"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "photo.svg", "image/svg+xml"),
    (image_bytes("GIF"), "photo.gif", "image/gif"),
    (image_bytes("JPEG") + b"\0" * photos.MAX_PHOTO_BYTES, "huge.jpg", "image/jpeg"),
])
def test_a_bad_photo_is_shown_at_the_photos_field_and_nothing_is_saved(wang, on_site, uploads, photo):
    response = resolve(wang, on_site, note="kept", photos=[(image_bytes(), "good.jpg"), photo])
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert photo[1] in error_at(html, "photos")
    assert "kept" in html
    state = row(wang.application, on_site)
    assert state.status is Status.ON_SITE and state.photos == []


def test_more_than_five_photos_are_refused(wang, on_site, uploads):
    response = resolve(wang, on_site, photos=[(image_bytes(), f"{n}.jpg") for n in range(6)])
    assert response.status_code == 422
    assert error_at(response.get_data(as_text=True), "photos")


def test_a_form_too_large_for_the_photo_limit_gets_a_clear_413(wang, on_site, uploads, monkeypatch):
    monkeypatch.setattr(photos, "MAX_REQUEST_BYTES", 64 * 1024)
    response = resolve(wang, on_site, photos=[(image_bytes() + b"\0" * (100 * 1024), "a.jpg")])
    assert response.status_code == 413
    assert 'class="error-summary"' in response.get_data(as_text=True)
    assert row(wang.application, on_site).status is Status.ON_SITE


def test_resolving_without_the_csrf_token_is_refused(wang, on_site, uploads):
    assert resolve(wang, on_site, csrf=False).status_code == 400
    assert row(wang.application, on_site).status is Status.ON_SITE


def test_resolving_from_an_out_of_date_page_is_a_conflict(wang, on_site, uploads):
    response = resolve(wang, on_site, version="1")
    assert response.status_code == 409
    assert row(wang.application, on_site).status is Status.ON_SITE


def test_a_file_sent_in_place_of_a_text_field_counts_as_no_text(wang, on_site, uploads):
    response = resolve(wang, on_site, resolution_code="meets_standard",
                       measured_temp=(io.BytesIO(b"18.5"), "temp.txt"))
    assert response.status_code == 422
    assert error_at(response.get_data(as_text=True), "measured_temp")


# --- photos -------------------------------------------------------------------------------------

@pytest.fixture
def photo_url(wang, on_site, uploads):
    resolve(wang, on_site, photos=[(image_bytes(), "a.jpg")])
    [url] = photo_urls(job_page(wang, on_site).get_data(as_text=True))
    return url


def test_a_photo_is_served_privately_and_never_sniffed(wang, photo_url):
    response = wang.get(photo_url)
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"].startswith("private")


@pytest.mark.parametrize("username", ["li", "zhao", "agent", "admin"])
def test_staff_who_may_see_the_ticket_may_see_its_photos(staff_client, photo_url, username):
    assert staff_client(username).get(photo_url).status_code == 200


def test_a_photo_is_found_only_under_its_own_ticket(wang, photo_url, new_job):
    other = new_job()
    photo_id = photo_url.rsplit("/", 1)[1]
    assert wang.get(f"/field/jobs/{other.reference}/photos/{photo_id}").status_code == 404


def test_a_photo_whose_file_is_missing_is_not_found(wang, photo_url, uploads):
    for path in uploads.iterdir():
        path.unlink()
    assert wang.get(photo_url).status_code == 404


def test_the_photo_panel_can_be_shown_on_any_staff_page(app, wang, on_site, uploads):
    from flask import render_template_string

    from app.extensions import db
    from app.tickets.models import Ticket

    resolve(wang, on_site, photos=[(image_bytes(), "a.jpg"), (image_bytes("PNG"), "b.png")])
    with app.test_request_context():
        html = render_template_string('{% from "field/_photos.html" import photo_panel %}{{ photo_panel(ticket) }}',
                                      ticket=db.session.get(Ticket, on_site.id))
    assert len(re.findall(rf'<img src="/field/jobs/{on_site.reference}/photos/\d+"', html)) == 2

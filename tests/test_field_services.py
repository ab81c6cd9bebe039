"""The technician's services, without HTTP: which job is due first, countdowns, steps, resolution."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale

from app.core.errors import Conflict, IllegalTransition, NotAllowed, ValidationFailed
from app.extensions import db
from app.field import services
from app.field.services import ResolveInput, countdown, my_jobs, next_clock, parse_temperature, resolve_job
from app.tickets.models import Status, Ticket
from tests.test_field_fixtures import image_bytes, new_job, uploads  # noqa: F401  (fixtures)


@pytest.fixture
def user(ctx, network):
    from app.auth.models import User

    return lambda name: db.session.get(User, network[name])


def load(job) -> Ticket:
    return db.session.get(Ticket, job.id)


# --- my jobs ----------------------------------------------------------------------------------

def test_my_jobs_come_nearest_sla_due_time_first(ctx, new_job, user, now):
    # no heat: respond 30 min, on site 2 h; radiator noise: respond 2 h
    fresh = new_job(at=now - timedelta(minutes=10))  # respond due in 20 min
    late = new_job(at=now - timedelta(minutes=40))  # respond 10 min overdue
    calm = new_job(at=now, category="radiator_noise")  # respond due in 2 h
    accepted = new_job(at=now - timedelta(minutes=50), steps=("acknowledge",))  # on site due in 70 min
    waiting = new_job(at=now - timedelta(hours=5), steps=("acknowledge", "wait_for_resident"))

    listed = [job.ticket.id for job in my_jobs(user("wang"))]
    assert listed == [late.id, fresh.id, accepted.id, calm.id, waiting.id]


def test_my_jobs_hold_only_my_open_jobs(ctx, new_job, user):
    mine = new_job()
    new_job(technician="li")
    new_job(steps=("acknowledge", "arrive", "resolve"))
    assert [job.ticket.id for job in my_jobs(user("wang"))] == [mine.id]


def test_a_job_waiting_for_the_resident_is_shown_paused(ctx, new_job, user):
    new_job(steps=("wait_for_resident",))
    [job] = my_jobs(user("wang"))
    assert job.paused


def test_the_next_clock_is_the_first_one_not_yet_met(ctx, new_job, now):
    job = new_job(at=now)
    ticket = load(job)
    assert next_clock(ticket) == ("respond", now + timedelta(minutes=30))
    ticket.responded_at = now
    assert next_clock(ticket) == ("on_site", now + timedelta(hours=2))
    ticket.on_site_at = now
    assert next_clock(ticket) == ("resolve", now + timedelta(hours=24))
    ticket.resolved_at = now
    assert next_clock(ticket) is None


# --- countdowns -------------------------------------------------------------------------------

@pytest.mark.parametrize("minutes_left, text, soon", [
    (25, "in 25 min", True),
    (65, "in 1 h 5 min", False),
    (60 * 51, "in 2 d 3 h", False),
])
def test_a_countdown_says_how_long_is_left(ctx, now, minutes_left, text, soon):
    with force_locale("en"):
        shown = countdown(now + timedelta(minutes=minutes_left), now)
    assert (shown.text, shown.overdue, shown.soon) == (text, False, soon)


def test_a_countdown_rounds_the_time_left_up_so_it_never_says_zero_early(ctx, now):
    with force_locale("en"):
        assert countdown(now + timedelta(seconds=10), now).text == "in 1 min"


def test_a_missed_clock_says_how_long_ago(ctx, now):
    with force_locale("en"):
        shown = countdown(now - timedelta(minutes=70, seconds=30), now)
    assert (shown.text, shown.overdue) == ("1 h 10 min overdue", True)


def test_the_countdown_words_for_the_script_hold_its_placeholders(ctx):
    with force_locale("en"):
        words = services.countdown_words()
    assert words["hours"] == "{h} h {m} min" and words["left"] == "in {span}"


# --- steps ------------------------------------------------------------------------------------

def test_the_assignee_takes_the_steps_in_order(ctx, new_job, user):
    job = new_job()
    ticket = load(job)
    for action, status in [("acknowledge", Status.ACKNOWLEDGED), ("depart", Status.EN_ROUTE),
                           ("arrive", Status.ON_SITE)]:
        services.take_step(ticket, user("wang"), action, str(ticket.version))
        db.session.flush()
        assert ticket.status is status


def test_the_steps_offered_follow_the_state(ctx, new_job, user):
    wang = user("wang")
    assert services.next_steps(wang, load(new_job())) == ["acknowledge"]
    assert services.next_steps(wang, load(new_job(steps=("acknowledge",)))) == ["depart", "arrive"]
    assert services.next_steps(wang, load(new_job(steps=("wait_for_resident",)))) == ["resume"]
    assert services.next_steps(user("li"), load(new_job())) == []


def test_a_colleague_may_not_take_the_assignees_steps(ctx, new_job, user):
    ticket = load(new_job())
    with pytest.raises(NotAllowed):
        services.take_step(ticket, user("li"), "acknowledge", str(ticket.version))


def test_a_step_on_an_out_of_date_page_is_refused(ctx, new_job, user):
    ticket = load(new_job())
    with pytest.raises(Conflict):
        services.take_step(ticket, user("wang"), "acknowledge", str(ticket.version - 1))


def test_only_the_steps_of_a_visit_are_taken_here(ctx, new_job, user):
    ticket = load(new_job())
    with pytest.raises(NotAllowed):
        services.take_step(ticket, user("wang"), "cancel", str(ticket.version))


def test_waiting_for_the_resident_needs_a_reason(ctx, new_job, user):
    ticket = load(new_job(steps=("acknowledge",)))
    with pytest.raises(ValidationFailed) as refused:
        services.wait_for_resident(ticket, user("wang"), "  ", str(ticket.version))
    assert "reason" in refused.value.errors


# --- the measured temperature -----------------------------------------------------------------

@pytest.mark.parametrize("typed, value", [
    ("17.5", Decimal("17.5")), ("17,5", Decimal("17.5")), ("18℃", Decimal("18.0")), (" 19.0 °C ", Decimal("19.0")),
    ("-3", Decimal("-3.0")), ("18.46", Decimal("18.5")), ("", None), ("   ", None),
])
def test_the_measured_temperature_is_read_as_people_type_it(typed, value):
    assert parse_temperature(typed) == value


@pytest.mark.parametrize("typed", ["abc", "NaN", "Infinity", "18..5", "1" * 20, "eighteen"])
def test_a_temperature_that_is_not_a_number_is_refused(ctx, typed):
    with pytest.raises(ValidationFailed) as refused:
        parse_temperature(typed)
    assert "measured_temp" in refused.value.errors


# --- resolving --------------------------------------------------------------------------------

@pytest.fixture
def on_site(ctx, new_job):
    return load(new_job(steps=("acknowledge", "arrive")))


def typed_for(ticket, **fields) -> ResolveInput:
    return ResolveInput(**{"resolution_code": "meets_standard", "measured_temp": "18.5", "note": "测温达标",
                           "version": str(ticket.version), **fields})


def test_resolving_records_code_temperature_note_and_photos(on_site, user, uploads):
    from tests.test_field_photos import upload

    rows = resolve_job(on_site, user("wang"), typed_for(on_site), [upload(image_bytes())])
    db.session.flush()
    assert on_site.status is Status.RESOLVED
    assert (on_site.resolution_code, on_site.measured_temp) == ("meets_standard", Decimal("18.5"))
    assert on_site.events[-1].note == "测温达标"
    assert [r.ticket_id for r in rows] == [on_site.id]
    assert rows[0].uploaded_by_id == user("wang").id


@pytest.mark.parametrize("fields, field", [
    ({"resolution_code": ""}, "resolution_code"),
    ({"resolution_code": "made_up"}, "resolution_code"),
    ({"measured_temp": "warm"}, "measured_temp"),
    ({"measured_temp": "55"}, "measured_temp"),
    ({"measured_temp": ""}, "measured_temp"),  # "meets the standard" needs the reading
    ({"note": "x" * 2001}, "note"),
])
def test_bad_input_is_refused_at_its_field(on_site, user, uploads, fields, field):
    with pytest.raises(ValidationFailed) as refused:
        resolve_job(on_site, user("wang"), typed_for(on_site, **fields), [])
    assert field in refused.value.errors


def test_every_field_is_judged_at_once(on_site, user, uploads):
    from tests.test_field_photos import upload

    with pytest.raises(ValidationFailed) as refused:
        resolve_job(on_site, user("wang"), typed_for(on_site, resolution_code="", measured_temp="warm"),
                    [upload(b"not a photo")])
    assert set(refused.value.errors) == {"resolution_code", "measured_temp", "photos"}


def test_a_refused_photo_writes_no_file(on_site, user, uploads):
    from tests.test_field_photos import upload

    with pytest.raises(ValidationFailed):
        resolve_job(on_site, user("wang"), typed_for(on_site), [upload(image_bytes()), upload(b"<svg/>", "x.jpg")])
    assert not uploads.exists() or not any(uploads.iterdir())


def test_a_colleague_may_not_resolve_the_assignees_job(on_site, user, uploads):
    with pytest.raises(NotAllowed):
        resolve_job(on_site, user("li"), typed_for(on_site), [])


def test_resolving_from_an_out_of_date_page_is_refused(on_site, user, uploads):
    with pytest.raises(Conflict):
        resolve_job(on_site, user("wang"), typed_for(on_site, version=str(on_site.version - 1)), [])


def test_a_resolved_job_cannot_be_resolved_again(ctx, new_job, user, uploads):
    ticket = load(new_job(steps=("acknowledge", "arrive", "resolve")))
    with pytest.raises((NotAllowed, IllegalTransition)):
        resolve_job(ticket, user("wang"), typed_for(ticket), [])


# --- the address --------------------------------------------------------------------------------

def test_the_map_links_search_for_the_address(ctx, new_job):
    links = services.map_links(load(new_job()))
    assert links["geo"].startswith("geo:0,0?q=")
    assert links["web"].startswith("https://")
    assert "%E6%98%86%E9%83%BD%E4%BB%91%E5%8C%BA" in links["geo"]  # 昆都仑区, encoded

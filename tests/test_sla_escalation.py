"""SLA clocks end met or missed for good; escalations fire at their levels, once each."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.messaging.models import OutboxMessage
from app.sla.escalation import sweep
from app.sla.models import SlaEscalation
from app.sla.service import refresh_all_marks
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor


@pytest.fixture
def phones(ctx, network):
    """Staff phones: wang and li (technicians), zhao (their supervisor)."""
    for name, number in (("wang", "+8613900000001"), ("li", "+8613900000002"), ("zhao", "+8613900000003")):
        db.session.get(User, network[name]).phone = number
    db.session.commit()


@pytest.fixture
def ticket(make_ticket, now):
    """A no-heat ticket received at `now` (respond 30 min, on site 2 h, resolve 24 h), no resident SMS."""
    return make_ticket(at=now, sms_consent=False)


def sent(kind=None):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    rows = db.session.scalars(query).all()
    return [(m.kind, m.to_number) for m in rows if kind is None or m.kind == kind]


def technician_sms(ticket):
    return [m for m in sent() if m[0] == "new_job"]


def test_acknowledging_in_time_records_the_response_clock_as_met(ticket, now):
    lifecycle.acknowledge(ticket, Actor.staff(ticket.assignee), now=now + timedelta(minutes=20))
    assert ticket.respond_met is True and ticket.on_site_met is None


def test_arriving_late_records_the_on_site_clock_as_missed(ticket, now):
    lifecycle.acknowledge(ticket, Actor.staff(ticket.assignee), now=now + timedelta(minutes=5))
    lifecycle.arrive(ticket, Actor.staff(ticket.assignee), now=now + timedelta(hours=3))
    assert ticket.on_site_met is False


def test_resolving_ends_every_running_clock(ticket, now):
    actor = Actor.staff(ticket.assignee)
    lifecycle.acknowledge(ticket, actor, now=now + timedelta(minutes=5))
    lifecycle.resolve(ticket, actor, "air_bled", now=now + timedelta(hours=1))
    assert (ticket.respond_met, ticket.on_site_met, ticket.resolve_met) == (True, True, True)


def test_nothing_is_sent_before_the_warning_share(ticket, phones, now):
    assert sweep(now + timedelta(minutes=23)) == 0  # 23 of 30 minutes: under 80 %


def test_the_assignee_is_warned_at_80_percent_once(ticket, phones, now):
    before = len(sent())
    assert sweep(now + timedelta(minutes=25)) == 1
    assert sweep(now + timedelta(minutes=26)) == 0
    db.session.commit()
    assert sent()[before:] == [("sla_warning", ticket.assignee.phone)]


def test_the_supervisor_hears_of_the_breach_and_the_clock_is_missed_for_good(ticket, phones, now):
    assert sweep(now + timedelta(minutes=31)) == 2  # the warning it never got, and the breach
    db.session.commit()
    assert ("sla_breach", "+8613900000003") in sent()
    assert ticket.respond_met is False
    lifecycle.acknowledge(ticket, Actor.staff(ticket.assignee), now=now + timedelta(minutes=40))
    assert ticket.respond_met is False  # a late acknowledgement does not rewrite history


def test_running_the_sweep_twice_sends_nothing_twice(ticket, phones, now):
    later = now + timedelta(hours=3)
    first = sweep(later)
    db.session.commit()
    assert sweep(later) == 0
    rows = db.session.scalars(select(SlaEscalation)).all()
    assert len(rows) == first == len({(r.clock, r.level) for r in rows})


def test_without_a_duty_manager_number_nobody_is_called_past_the_breach(ticket, phones, now):
    assert "duty_manager" not in {r.level for r in _after(sweep, now + timedelta(minutes=50))}


def test_the_duty_manager_is_called_at_the_further_threshold_when_a_number_is_set(app, ticket, phones, now,
                                                                                 monkeypatch):
    _duty_manager(app, monkeypatch)
    sweep(now + timedelta(minutes=44))  # 30 min to respond: 150 % is 45 min
    db.session.commit()
    assert ("sla_duty_manager", "+8613900000009") not in sent()
    sweep(now + timedelta(minutes=45))
    db.session.commit()
    assert ("sla_duty_manager", "+8613900000009") in sent()


def test_refreshing_the_marks_brings_a_new_duty_manager_number_to_running_tickets(app, ticket, phones, now,
                                                                                  monkeypatch):
    _after(sweep, now + timedelta(minutes=50))
    monkeypatch.setitem(app.config, "DUTY_MANAGER_PHONE", "+8613900000009")
    assert app.test_cli_runner().invoke(args=["sla", "refresh-marks"]).exit_code == 0
    sweep(now + timedelta(minutes=50))
    db.session.commit()
    assert ("sla_duty_manager", "+8613900000009") in sent()


def _duty_manager(app, monkeypatch):
    """A duty manager's number is set, and the running tickets' marks refreshed for it."""
    monkeypatch.setitem(app.config, "DUTY_MANAGER_PHONE", "+8613900000009")
    refresh_all_marks()
    db.session.commit()


def _after(run, moment):
    run(moment)
    db.session.commit()
    return db.session.scalars(select(SlaEscalation)).all()


def test_a_ticket_waiting_for_the_resident_is_not_escalated(ticket, phones, now):
    lifecycle.wait_for_resident(ticket, Actor.staff(ticket.assignee), "家中无人", now=now + timedelta(minutes=5))
    db.session.commit()
    assert sweep(now + timedelta(hours=5)) == 0


def test_met_clocks_are_not_escalated(ticket, phones, now):
    actor = Actor.staff(ticket.assignee)
    lifecycle.acknowledge(ticket, actor, now=now + timedelta(minutes=5))
    lifecycle.arrive(ticket, actor, now=now + timedelta(minutes=60))
    db.session.commit()
    sweep(now + timedelta(hours=23))  # resolve clock: 23 of 24 h, a warning only
    db.session.commit()
    assert {(r.clock, r.level) for r in db.session.scalars(select(SlaEscalation))} == {("resolve", "warning")}


def test_the_escalation_is_on_the_timeline_for_staff_only(ticket, phones, now):
    sweep(now + timedelta(minutes=31))
    db.session.commit()
    events = [e for e in ticket.events if e.action == "escalate"]
    assert {e.data["level"] for e in events} == {"warning", "breach"} and not any(e.public for e in events)


def test_flask_sla_sweep_accepts_a_pretend_now_for_the_demo(app, ticket, phones, now):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sla", "sweep", "--now", (now + timedelta(minutes=31)).isoformat()])
    assert result.exit_code == 0 and "2 escalation(s) sent" in result.output
    assert runner.invoke(args=["sla", "sweep", "--now", "yesterday"]).exit_code != 0
    assert runner.invoke(args=["sla", "sweep", "--now", "2026-11-20T10:00"]).exit_code != 0


def test_escalation_texts_fit_one_segment_in_chinese(ticket, phones, app, now, monkeypatch):
    _duty_manager(app, monkeypatch)
    sweep(now + timedelta(hours=1))
    db.session.commit()
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind.like("sla_%"))).all()
    assert {m.kind for m in messages} == {"sla_warning", "sla_breach", "sla_duty_manager"}
    assert all(m.segments == 1 and m.body.startswith("【包头热力】") for m in messages)

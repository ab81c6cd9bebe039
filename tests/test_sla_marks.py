"""The SLA marks on each ticket, pauses kept through a change of category or priority, and escalation
checks scheduled with rq with the sweep as the safety net."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs.queue import get_queue
from app.sla.escalation import check_ticket, sweep
from app.sla.models import SlaEscalation, SlaPause
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Category, Priority

M = timedelta(minutes=1)


@pytest.fixture
def ticket(make_ticket, now):
    """A no-heat emergency received at `now`: respond 30 min, on site 2 h, resolve 24 h, round the clock."""
    return make_ticket(at=now, sms_consent=False)


@pytest.fixture
def staff(ticket):
    return Actor.staff(ticket.assignee)


def test_a_new_ticket_is_marked_with_its_first_warning_and_due_time(ticket, now):
    assert ticket.sla_breach_at == now + 30 * M
    assert ticket.sla_warn_at == now + 24 * M  # 80 % of 30 minutes
    assert ticket.sla_next_check_at == now + 24 * M


def test_taking_a_step_moves_the_marks_to_the_next_running_clock(ticket, staff, now):
    lifecycle.acknowledge(ticket, staff, now=now + 5 * M)
    assert ticket.sla_breach_at == now + 120 * M and ticket.sla_warn_at == now + 96 * M


def test_a_ticket_waiting_for_the_resident_carries_no_marks(ticket, staff, now):
    lifecycle.wait_for_resident(ticket, staff, "家中无人", now=now + 10 * M)
    assert (ticket.sla_warn_at, ticket.sla_breach_at, ticket.sla_next_check_at) == (None, None, None)


def test_resuming_marks_the_ticket_again_with_the_time_it_had_left(ticket, staff, now):
    lifecycle.wait_for_resident(ticket, staff, "家中无人", now=now + 10 * M)
    lifecycle.resume(ticket, staff, now=now + 70 * M)
    assert ticket.sla_breach_at == now + 90 * M


def test_a_resolved_ticket_carries_no_marks(ticket, staff, now):
    lifecycle.resolve(ticket, staff, "air_bled", now=now + 20 * M)
    assert (ticket.sla_warn_at, ticket.sla_breach_at, ticket.sla_next_check_at) == (None, None, None)


def test_once_the_warning_is_sent_the_next_check_is_the_breach(ticket, now):
    sweep(now + 25 * M)
    assert ticket.sla_next_check_at == now + 30 * M


def test_each_pause_is_kept_with_its_start_and_end(ticket, staff, now):
    lifecycle.wait_for_resident(ticket, staff, "家中无人", now=now + 10 * M)
    lifecycle.resume(ticket, staff, now=now + 70 * M)
    db.session.commit()
    pause = db.session.scalars(select(SlaPause).where(SlaPause.ticket_id == ticket.id)).one()
    assert (pause.started_at, pause.ended_at) == (now + 10 * M, now + 70 * M)


def test_cancelling_a_waiting_ticket_ends_its_pause(ticket, staff, now):
    lifecycle.wait_for_resident(ticket, staff, "家中无人", now=now + 10 * M)
    lifecycle.cancel(ticket, staff, "重复投诉", now=now + 20 * M)
    db.session.commit()
    assert db.session.scalars(select(SlaPause.ended_at)).one() == now + 20 * M


def test_a_change_of_priority_after_a_pause_still_leaves_the_pause_out(ticket, staff, now):
    lifecycle.wait_for_resident(ticket, staff, "家中无人", now=now + 10 * M)
    lifecycle.resume(ticket, staff, now=now + 70 * M)  # an hour waiting for the resident
    lifecycle.reclassify(ticket, staff, ticket.category, Priority.HIGH, "核实后降级", now=now + 80 * M)
    assert ticket.respond_due_at == now + 60 * M + 60 * M  # high: respond in 60 min, plus the hour's pause
    assert ticket.resolve_due_at == now + 48 * 60 * M + 60 * M


def test_a_change_of_category_while_waiting_is_shifted_when_the_clocks_resume(ticket, staff, now):
    billing = db.session.scalar(select(Category).where(Category.code == "radiator_noise"))
    lifecycle.wait_for_resident(ticket, staff, "家中无人", now=now + 10 * M)
    lifecycle.reclassify(ticket, staff, billing, Priority.NORMAL, "", now=now + 20 * M)
    assert ticket.respond_due_at == now + 120 * M  # from intake; the running pause is not yet counted
    lifecycle.resume(ticket, staff, now=now + 40 * M)
    assert ticket.respond_due_at == now + 150 * M


def test_a_clock_met_before_the_pause_is_not_moved_by_a_recomputation(ticket, staff, now):
    lifecycle.acknowledge(ticket, staff, now=now + 5 * M)
    lifecycle.wait_for_resident(ticket, staff, "家中无人", now=now + 10 * M)
    lifecycle.resume(ticket, staff, now=now + 70 * M)
    lifecycle.reclassify(ticket, staff, ticket.category, Priority.HIGH, "", now=now + 80 * M)
    assert ticket.respond_due_at == now + 60 * M and ticket.respond_met is True


def test_the_sweep_leaves_tickets_whose_next_check_has_not_come(ticket, now):
    assert sweep(now + 23 * M) == 0
    assert db.session.scalars(select(SlaEscalation)).all() == []


def test_a_change_schedules_an_rq_check_at_the_next_escalation_time(app, ticket, now):
    registry = get_queue(app).scheduled_job_registry
    job_ids = registry.get_job_ids()
    assert any(job_id.endswith(f"sla-{ticket.reference}-{int((now + 24 * M).timestamp())}") for job_id in job_ids)


def test_the_scheduled_check_sends_what_is_due_and_a_second_run_sends_nothing(ticket, now, monkeypatch):
    monkeypatch.setattr("app.sla.escalation.utcnow", lambda: now + 31 * M)
    reference = ticket.reference
    db.session.commit()  # the job runs in its own app context and session, as in the worker
    assert check_ticket(reference) == 2  # warning and breach on the response clock
    assert check_ticket(reference) == 0


def test_the_sweep_finds_what_a_lost_scheduled_job_missed(app, ticket, now):
    get_queue(app).scheduled_job_registry.remove_jobs()  # as if Redis lost the scheduled check
    assert sweep(now + 31 * M) == 2


def test_a_level_another_worker_wrote_meanwhile_is_not_sent_again(ticket, now, monkeypatch):
    db.session.add(SlaEscalation(ticket_id=ticket.id, clock="respond", level="warning", created_at=now))
    db.session.commit()
    monkeypatch.setattr("app.sla.escalation._sent_for", lambda ids: {})  # read before the other worker wrote
    assert sweep(now + 25 * M) == 0
    assert [e for e in ticket.events if e.action == "escalate"] == []

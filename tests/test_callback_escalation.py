"""An overdue call-back: nobody called the unsatisfied resident back by the due time, so the sweep tells
the team's supervisors and the duty manager, once per call-back, and never once it is no longer owed."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.jobs.periodic import run_periodic
from app.messaging import notify
from app.routing.models import Team
from app.sla.escalation import callback_level, catch_up, sweep
from app.sla.models import CALLBACK, SlaEscalation
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Status
from app.tickets.references import format_reference
from tests.satisfaction_fixtures import (  # noqa: F401  (fixtures)
    SUPERVISOR_PHONE,
    outbox,
    resolved_at,
    resolved_ticket,
    supervisor_phones,
)

DUTY_MANAGER = "+8613900000019"
MINUTE = timedelta(minutes=1)


@pytest.fixture
def reopened(resolved_ticket, resolved_at, supervisor_phones):
    """The resident scored the repair 1 an hour after it was resolved: a supervisor owes a call-back."""
    lifecycle.rate(resolved_ticket, 1, "还是不热", now=resolved_at + timedelta(hours=1))
    db.session.commit()
    assert resolved_ticket.status is Status.REOPENED and resolved_ticket.callback_due_at is not None
    return resolved_ticket


@pytest.fixture
def supervisor(network):
    return Actor.staff(db.session.get(User, network["zhao"]))


def overdue_texts() -> list[str]:
    return [m.to_number for m in outbox("callback_overdue")]


def test_an_overdue_call_back_is_told_to_the_team_supervisors(reopened):
    assert catch_up(reopened.callback_due_at) == 1
    [text] = outbox("callback_overdue", reopened.id)
    assert text.to_number == SUPERVISOR_PHONE and format_reference(reopened.reference) in text.body


def test_an_overdue_call_back_is_told_once(reopened):
    due = reopened.callback_due_at
    catch_up(due)
    assert catch_up(due + MINUTE) == 0 and sweep(due + timedelta(hours=5)) == 0
    db.session.commit()
    assert overdue_texts() == [SUPERVISOR_PHONE]


def test_nothing_is_told_before_the_call_back_is_due(reopened):
    assert catch_up(reopened.callback_due_at - MINUTE) == 0
    assert overdue_texts() == []


def test_the_duty_manager_is_told_too_when_a_number_is_set(app, reopened, monkeypatch):
    monkeypatch.setitem(app.config, "DUTY_MANAGER_PHONE", DUTY_MANAGER)
    catch_up(reopened.callback_due_at)
    assert overdue_texts() == [SUPERVISOR_PHONE, DUTY_MANAGER]


def test_the_escalation_is_on_the_timeline_for_staff_only(reopened):
    catch_up(reopened.callback_due_at)
    [escalated] = [e for e in reopened.events if e.action == "escalate"]
    assert escalated.data == {"clock": CALLBACK, "level": callback_level(reopened.callback_due_at)}
    assert not escalated.public and escalated.actor_id is None


def test_nothing_is_told_after_the_supervisor_called_back(reopened, supervisor):
    due = reopened.callback_due_at
    lifecycle.close_after_callback(reopened, supervisor, "已回访，用户仍不满意", now=due - 10 * MINUTE)
    db.session.commit()
    assert catch_up(due + timedelta(hours=1)) == 0
    assert overdue_texts() == []


def test_nothing_is_told_once_the_ticket_has_moved_on(reopened, supervisor, network):
    due = reopened.callback_due_at
    lifecycle.transfer(reopened, db.session.get(Team, network["team_q"]), supervisor, "属青山区管辖",
                       now=due - 10 * MINUTE)
    db.session.commit()
    assert reopened.callback_due_at == due  # still set, but the call-back is no longer owed here
    assert catch_up(due + timedelta(hours=1)) == 0
    assert overdue_texts() == []


def test_a_later_call_back_on_the_same_ticket_is_told_again_once(reopened, supervisor):
    first_due = reopened.callback_due_at
    catch_up(first_due)
    lifecycle.close_after_callback(reopened, supervisor, "已回访", now=first_due + 10 * MINUTE)
    lifecycle.reopen(reopened, Actor.resident(), "还是不热", now=first_due + timedelta(hours=2))
    db.session.commit()
    second_due = reopened.callback_due_at
    assert second_due > first_due
    catch_up(second_due)
    catch_up(second_due + MINUTE)
    assert overdue_texts() == [SUPERVISOR_PHONE, SUPERVISOR_PHONE]


def test_a_call_back_another_sweep_already_claimed_is_not_told_again(reopened):
    due = reopened.callback_due_at
    db.session.add(SlaEscalation(ticket_id=reopened.id, clock=CALLBACK, level=callback_level(due), created_at=due))
    db.session.commit()
    assert catch_up(due) == 0
    assert overdue_texts() == []


def test_a_sweep_that_fails_after_telling_tells_once_on_the_next_run(reopened, monkeypatch):
    real, calls = notify.callback_overdue, []

    def failing(ticket, numbers, **kwargs):
        calls.append(ticket.id)
        real(ticket, numbers, **kwargs)
        raise RuntimeError("the worker dies before its commit")

    monkeypatch.setattr(notify, "callback_overdue", failing)
    run_periodic(reopened.callback_due_at)
    assert calls == [reopened.id] and overdue_texts() == []  # rolled back with its claim
    monkeypatch.setattr(notify, "callback_overdue", real)
    run_periodic(reopened.callback_due_at + MINUTE)
    run_periodic(reopened.callback_due_at + 2 * MINUTE)
    assert overdue_texts() == [SUPERVISOR_PHONE]
    assert db.session.scalars(select(SlaEscalation.clock).where(SlaEscalation.ticket_id == reopened.id,
                                                                SlaEscalation.clock == CALLBACK)).all() == [CALLBACK]

"""The lifecycle: every legal transition works and records an event; every illegal one is refused."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.core.errors import IllegalTransition, ValidationFailed
from app.extensions import db
from app.routing.models import Team
from app.tickets import lifecycle
from app.tickets.lifecycle import ALLOWED_FROM, STATUS_LABELS, Actor
from app.tickets.models import Closure, Status, TicketEvent


@pytest.fixture
def tech(ctx, network):
    return lambda name="wang": db.session.get(User, network[name])


@pytest.fixture
def ticket(make_ticket, tech, network):
    """An assigned ticket whose technician is 王建国."""
    t = make_ticket()
    if t.assignee_id != network["wang"]:
        lifecycle.assign(t, tech("wang"), Actor.staff(tech("zhao")))
        db.session.commit()
    return t


def staff(tech):
    return Actor.staff(tech("wang"))


def walk(ticket, tech, *steps):
    """Apply lifecycle steps by name as the technician."""
    actor = Actor.staff(tech("wang"))
    for step in steps:
        if step == "resolve":
            lifecycle.resolve(ticket, actor, "air_bled", "放气后正常")
        elif step == "wait_for_resident":
            lifecycle.wait_for_resident(ticket, actor, "家中无人")
        else:
            getattr(lifecycle, step)(ticket, actor)
    db.session.commit()


def actions(ticket):
    return [e.action for e in ticket.events]


def test_the_happy_path_runs_from_assigned_to_closed_with_an_event_for_every_step(ticket, tech):
    walk(ticket, tech, "acknowledge", "depart", "arrive", "resolve")
    lifecycle.rate(ticket, 5, "很满意")
    db.session.commit()
    assert ticket.status is Status.CLOSED
    assert ticket.closure is Closure.RATED
    assert actions(ticket)[-5:] == ["acknowledge", "depart", "arrive", "resolve", "rate"]
    assert [(e.from_status, e.to_status) for e in ticket.events[-5:]] == [
        (Status.ASSIGNED, Status.ACKNOWLEDGED), (Status.ACKNOWLEDGED, Status.EN_ROUTE),
        (Status.EN_ROUTE, Status.ON_SITE), (Status.ON_SITE, Status.RESOLVED), (Status.RESOLVED, Status.CLOSED),
    ]


def test_acknowledging_meets_the_response_clock_once(ticket, tech, now):
    lifecycle.acknowledge(ticket, staff(tech), now=now + timedelta(minutes=10))
    assert ticket.responded_at == now + timedelta(minutes=10)


def test_arriving_meets_the_on_site_clock(ticket, tech, now):
    lifecycle.acknowledge(ticket, staff(tech), now=now)
    lifecycle.arrive(ticket, staff(tech), now=now + timedelta(minutes=50))
    assert ticket.on_site_at == now + timedelta(minutes=50)


def test_an_event_records_the_actor_and_the_time(ticket, tech, now):
    event = lifecycle.acknowledge(ticket, staff(tech), now=now)
    db.session.commit()
    assert event.actor_id == tech("wang").id
    assert event.actor_kind.value == "staff"
    assert event.created_at == now


@pytest.mark.parametrize("action", sorted(a for a, sources in ALLOWED_FROM.items() if Status.CLOSED not in sources))
def test_every_action_but_reopen_is_refused_once_a_ticket_is_closed(ticket, tech, action):
    walk(ticket, tech, "acknowledge", "depart", "arrive", "resolve")
    lifecycle.rate(ticket, 5)
    db.session.commit()
    before = len(ticket.events)
    with pytest.raises(IllegalTransition) as refused:
        _call(action, ticket, tech)
    assert str(STATUS_LABELS[Status.CLOSED]) in str(refused.value.message)
    assert len(ticket.events) == before
    assert ticket.status is Status.CLOSED


def _call(action, ticket, tech):
    actor = Actor.staff(tech("wang"))
    other_team = db.session.scalar(select(Team).where(Team.id != ticket.team_id))
    arguments = {
        "assign": (ticket, tech("li"), actor),
        "wait_for_resident": (ticket, actor, "不在家"),
        "resolve": (ticket, actor, "air_bled"),
        "rate": (ticket, 4),
        "close_after_callback": (ticket, actor, "已回访"),
        "reopen": (ticket, actor, "还是不热"),
        "transfer": (ticket, other_team, actor, "不属于本区"),
        "cancel": (ticket, actor, "重复报修"),
        "reclassify": (ticket, actor, ticket.category, ticket.priority, "改为高优先级"),
    }
    return getattr(lifecycle, action)(*arguments.get(action, (ticket, actor)))


def test_a_technician_cannot_skip_from_assigned_to_en_route(ticket, tech):
    with pytest.raises(IllegalTransition):
        lifecycle.depart(ticket, staff(tech))


def test_a_ticket_cannot_be_rated_before_it_is_resolved(ticket):
    with pytest.raises(IllegalTransition):
        lifecycle.rate(ticket, 5)


def test_waiting_for_the_resident_pauses_the_clocks_and_resuming_gives_back_the_time_left(ticket, tech, now):
    lifecycle.acknowledge(ticket, staff(tech), now=now)
    due = ticket.resolve_due_at
    lifecycle.wait_for_resident(ticket, staff(tech), "家中无人，约明天", now=now + timedelta(hours=1))
    assert ticket.status is Status.WAITING
    assert ticket.sla_paused_at == now + timedelta(hours=1)
    lifecycle.resume(ticket, staff(tech), now=now + timedelta(hours=5))
    db.session.commit()
    assert ticket.status is Status.ACKNOWLEDGED  # back where it stopped
    assert ticket.sla_paused_at is None
    assert ticket.resolve_due_at == due + timedelta(hours=4)


def test_a_clock_already_met_is_not_moved_by_a_pause(ticket, tech, now):
    lifecycle.acknowledge(ticket, staff(tech), now=now)
    respond_due = ticket.respond_due_at
    lifecycle.wait_for_resident(ticket, staff(tech), "不在家", now=now + timedelta(minutes=20))
    lifecycle.resume(ticket, staff(tech), now=now + timedelta(hours=3))
    assert ticket.respond_due_at == respond_due


def test_waiting_needs_a_reason(ticket, tech):
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.wait_for_resident(ticket, staff(tech), "   ")
    assert "reason" in refused.value.errors


def test_a_score_of_three_or_more_closes_the_ticket(ticket, tech):
    walk(ticket, tech, "acknowledge", "arrive", "resolve")
    lifecycle.rate(ticket, 3, "一般")
    assert ticket.status is Status.CLOSED
    assert ticket.satisfaction_score == 3
    assert ticket.satisfaction_comment == "一般"


@pytest.mark.parametrize("score", [1, 2])
def test_a_score_of_one_or_two_reopens_the_ticket_for_a_supervisor_call_back(ticket, tech, score):
    walk(ticket, tech, "acknowledge", "arrive", "resolve")
    lifecycle.rate(ticket, score, "还是不热")
    db.session.commit()
    assert ticket.status is Status.REOPENED
    assert ticket.closure is None
    assert ticket.satisfaction_score == score


@pytest.mark.parametrize("score", [0, 6, -1, "5", None, True])
def test_a_score_outside_one_to_five_is_refused(ticket, tech, score):
    walk(ticket, tech, "acknowledge", "arrive", "resolve")
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.rate(ticket, score)
    assert "score" in refused.value.errors
    assert ticket.status is Status.RESOLVED


def test_the_supervisor_closes_a_reopened_ticket_only_with_the_reason_recorded(ticket, tech):
    walk(ticket, tech, "acknowledge", "arrive", "resolve")
    lifecycle.rate(ticket, 1)
    supervisor = Actor.staff(tech("zhao"))
    with pytest.raises(ValidationFailed):
        lifecycle.close_after_callback(ticket, supervisor, "")
    lifecycle.close_after_callback(ticket, supervisor, "已回访：室温达标，用户仍不满意，已解释标准")
    db.session.commit()
    assert ticket.status is Status.CLOSED
    assert ticket.closure is Closure.CALLBACK
    assert "室温达标" in ticket.events[-1].note


def test_a_reopened_ticket_can_be_dispatched_again(ticket, tech):
    walk(ticket, tech, "acknowledge", "arrive", "resolve")
    lifecycle.rate(ticket, 2)
    lifecycle.assign(ticket, tech("li"), Actor.staff(tech("zhao")))
    assert ticket.status is Status.ASSIGNED
    assert ticket.assignee.username == "li"


def test_no_response_closes_a_resolved_ticket_with_that_recorded(ticket, tech):
    walk(ticket, tech, "acknowledge", "arrive", "resolve")
    lifecycle.close_without_response(ticket, Actor.system())
    assert ticket.status is Status.CLOSED
    assert ticket.closure is Closure.NO_RESPONSE
    assert ticket.satisfaction_score is None


def test_a_closed_ticket_can_be_reopened_with_a_reason(ticket, tech):
    walk(ticket, tech, "acknowledge", "arrive", "resolve")
    lifecycle.rate(ticket, 4)
    lifecycle.reopen(ticket, Actor.staff(tech("zhao")), "用户来电：又不热了")
    db.session.commit()
    assert ticket.status is Status.REOPENED
    assert ticket.closure is None and ticket.closed_at is None


def test_cancelling_requires_a_reason_and_is_shown_to_the_resident(ticket, tech):
    with pytest.raises(ValidationFailed):
        lifecycle.cancel(ticket, staff(tech), "")
    event = lifecycle.cancel(ticket, staff(tech), "重复报修")
    db.session.commit()
    assert ticket.status is Status.CANCELLED
    assert event.public and event.note == "重复报修"


def test_cancelling_a_waiting_ticket_stops_its_clocks(ticket, tech):
    lifecycle.acknowledge(ticket, staff(tech))
    lifecycle.wait_for_resident(ticket, staff(tech), "不在家")
    lifecycle.cancel(ticket, staff(tech), "用户撤销")
    db.session.commit()
    assert ticket.sla_paused_at is None


def test_transfer_moves_the_ticket_to_another_team_without_an_assignee(ticket, tech, network):
    other = db.session.get(Team, network["team_q"])
    lifecycle.transfer(ticket, other, Actor.staff(tech("zhao")), "该楼由青山区负责")
    db.session.commit()
    assert ticket.status is Status.TRANSFERRED
    assert ticket.team_id == other.id and ticket.assignee_id is None
    lifecycle.assign(ticket, tech("sun"), Actor.staff(tech("zhao")))
    assert ticket.status is Status.ASSIGNED


def test_transfer_needs_a_reason_and_a_different_team(ticket, tech, network):
    with pytest.raises(ValidationFailed):
        lifecycle.transfer(ticket, db.session.get(Team, network["team_q"]), staff(tech), "")
    with pytest.raises(ValidationFailed):
        lifecycle.transfer(ticket, db.session.get(Team, network["team"]), staff(tech), "原因")


def test_assigning_a_technician_of_another_team_is_refused(ticket, tech):
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.assign(ticket, tech("sun"), Actor.staff(tech("zhao")))
    assert "assignee" in refused.value.errors


def test_only_an_active_technician_can_be_assigned(ticket, tech):
    with pytest.raises(ValidationFailed):
        lifecycle.assign(ticket, tech("zhao"), Actor.staff(tech("zhao")))  # a supervisor
    li = tech("li")
    li.active = False
    with pytest.raises(ValidationFailed):
        lifecycle.assign(ticket, li, Actor.staff(tech("zhao")))


def test_resolving_needs_a_known_resolution_code(ticket, tech):
    lifecycle.acknowledge(ticket, staff(tech))
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.resolve(ticket, staff(tech), "magic")
    assert "resolution_code" in refused.value.errors


def test_events_are_append_only(ticket):
    event = ticket.events[0]
    event.note = "rewritten history"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(TicketEvent, event.id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()


def test_every_status_has_a_label_in_both_languages():
    from app.tickets.lifecycle import ACTION_LABELS, STATUS_LABELS

    assert set(STATUS_LABELS) == set(Status)
    assert set(ALLOWED_FROM) | {"note", "call", "escalate"} == set(ACTION_LABELS)


def test_reclassifying_recomputes_the_due_times_from_intake_and_records_both(ticket, tech, network, now):
    from app.tickets.models import Category, Priority

    billing = db.session.get(Category, network["category_billing"])
    event = lifecycle.reclassify(ticket, Actor.staff(tech("zhao")), billing, Priority.NORMAL, "其实是缴费问题")
    db.session.commit()
    assert ticket.category.code == "billing" and ticket.on_site_due_at is None
    assert ticket.respond_due_at == now + timedelta(days=3)  # one working day from Friday 10:00
    assert event.data["before"]["category"] == "no_heat" and event.data["after"]["priority"] == "normal"


def test_reclassifying_to_the_same_category_and_priority_is_refused(ticket, tech):
    with pytest.raises(ValidationFailed):
        lifecycle.reclassify(ticket, Actor.staff(tech("zhao")), ticket.category, ticket.priority)


def test_meets_the_standard_needs_the_measured_temperature(ticket, tech):
    from decimal import Decimal

    lifecycle.acknowledge(ticket, staff(tech))
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.resolve(ticket, staff(tech), "meets_standard")
    assert "measured_temp" in refused.value.errors
    lifecycle.resolve(ticket, staff(tech), "meets_standard", "入户测温", measured_temp=Decimal("18.5"))
    assert ticket.measured_temp == Decimal("18.5")


def test_a_note_and_a_repeat_call_are_recorded_without_changing_the_state(ticket, tech):
    lifecycle.add_note(ticket, staff(tech), "楼道阀门需要更换", public=False)
    lifecycle.record_call(ticket, Actor.staff(tech("zhao")), "用户再次来电催促")
    db.session.commit()
    assert [e.action for e in ticket.events[-2:]] == ["note", "call"]
    assert ticket.status is Status.ASSIGNED
    assert not ticket.events[-1].public

"""The staff ticket page: every role sees what it may and does what it may, and nothing is lost."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.tickets.models import Status, Ticket, TicketEvent
from tests.conftest import csrf_token_of


@pytest.fixture
def ticket(make_ticket, network):
    """An assigned no-heat ticket of the Kundulun team, assigned to 王建国 (wang)."""
    t = make_ticket()
    if t.assignee_id != network["wang"]:
        from app.auth.models import User
        from app.tickets import lifecycle
        from app.tickets.lifecycle import Actor

        lifecycle.assign(t, db.session.get(User, network["wang"]), Actor.system())
        db.session.commit()
    return t


def page_of(client, ticket):
    return client.get(f"/desk/tickets/{ticket.reference}")


def act(client, ticket, action, version=None, **fields):
    page = page_of(client, ticket).get_data(as_text=True)
    data = {"csrf_token": csrf_token_of(page), "version": str(version if version is not None else current(ticket).version)}
    data.update(fields)
    return client.post(f"/desk/tickets/{ticket.reference}/{action}", data=data)


def current(ticket) -> Ticket:
    db.session.expire_all()
    found = db.session.get(Ticket, ticket.id)
    db.session.rollback()
    return found


@pytest.mark.parametrize("username", ["agent", "admin", "zhao", "wang", "li"])
def test_staff_who_may_see_the_ticket_get_its_page(staff_client, ticket, username):
    response = page_of(staff_client(username), ticket)
    assert response.status_code == 200
    assert ticket.reference[:3] in response.get_data(as_text=True)


@pytest.mark.parametrize("username", ["sun", "qian"])
def test_another_teams_ticket_answers_404(staff_client, ticket, username):
    assert page_of(staff_client(username), ticket).status_code == 404
    assert act(staff_client("agent"), ticket, "note", note="x").status_code == 302  # the ticket exists
    assert staff_client(username).post(f"/desk/tickets/{ticket.reference}/note",
                                       data={"note": "probe"}).status_code in (400, 404)


def test_a_technician_works_his_own_job_step_by_step(staff_client, ticket):
    wang = staff_client("wang")
    for action, status in [("acknowledge", Status.ACKNOWLEDGED), ("depart", Status.EN_ROUTE),
                           ("arrive", Status.ON_SITE)]:
        assert act(wang, ticket, action).status_code == 302
        assert current(ticket).status is status
    response = act(wang, ticket, "resolve", resolution_code="air_bled", note="放气后正常")
    assert response.status_code == 302
    assert current(ticket).status is Status.RESOLVED


def test_a_technician_may_not_act_on_a_colleagues_job(staff_client, ticket):
    response = act(staff_client("li"), ticket, "acknowledge")
    assert response.status_code == 403
    assert current(ticket).status is Status.ASSIGNED


def test_an_agent_may_not_do_the_technicians_steps(staff_client, ticket):
    assert act(staff_client("agent"), ticket, "acknowledge").status_code == 403


def test_an_unknown_action_is_refused(staff_client, ticket):
    assert act(staff_client("admin"), ticket, "teleport").status_code == 403


def test_an_illegal_transition_is_a_clear_message_not_an_error(staff_client, ticket):
    response = act(staff_client("zhao"), ticket, "depart")  # not acknowledged yet
    assert response.status_code == 403 or response.status_code == 422
    assert current(ticket).status is Status.ASSIGNED


def test_a_supervisor_reassigns_within_the_team(staff_client, ticket, network):
    assert act(staff_client("zhao"), ticket, "assign", assignee=str(network["li"])).status_code == 302
    assert current(ticket).assignee_id == network["li"]


def test_reassigning_to_another_teams_technician_shows_the_error_and_changes_nothing(staff_client, ticket, network):
    response = act(staff_client("zhao"), ticket, "assign", assignee=str(network["sun"]))
    assert response.status_code == 422
    assert 'id="assign-assignee-error"' in response.get_data(as_text=True)
    assert current(ticket).assignee_id == network["wang"]


def test_a_reason_is_required_to_cancel_and_what_was_typed_is_kept(staff_client, ticket):
    response = act(staff_client("agent"), ticket, "cancel", reason="   ")
    assert response.status_code == 422
    assert 'id="cancel-reason-error"' in response.get_data(as_text=True)
    response = act(staff_client("agent"), ticket, "transfer", team="", reason="楼栋归属青山区")
    assert response.status_code == 422
    assert "楼栋归属青山区" in response.get_data(as_text=True)
    assert current(ticket).status is Status.ASSIGNED


def test_a_second_save_on_a_stale_page_gets_a_conflict_and_loses_nothing(staff_client, ticket, network):
    agent, supervisor = staff_client("agent"), staff_client("zhao")
    seen = current(ticket).version
    assert act(supervisor, ticket, "assign", version=seen, assignee=str(network["li"])).status_code == 302
    response = act(agent, ticket, "cancel", version=seen, reason="用户来电撤销")
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "用户来电撤销" in body  # the agent's typing is still there
    assert current(ticket).status is Status.ASSIGNED and current(ticket).assignee_id == network["li"]


def test_an_internal_note_is_not_shown_to_the_resident_and_a_public_one_is(staff_client, ticket, client):
    agent = staff_client("agent")
    assert act(agent, ticket, "note", note="内部：阀门型号待查").status_code == 302
    assert act(agent, ticket, "note", note="师傅明早九点上门", public="1").status_code == 302
    notes = {e.note: e.public for e in db.session.scalars(select(TicketEvent).where(TicketEvent.action == "note"))}
    assert notes == {"内部：阀门型号待查": False, "师傅明早九点上门": True}


def test_changing_the_priority_recomputes_the_due_times(staff_client, ticket):
    before = current(ticket).resolve_due_at
    response = act(staff_client("agent"), ticket, "reclassify", category="no_heat", priority="low", reason="已有热水")
    assert response.status_code == 302
    assert current(ticket).resolve_due_at > before


def test_posted_fields_a_role_may_not_change_are_ignored(staff_client, ticket, network):
    """A note form with extra fields cannot move the ticket, its assignee, priority or due times."""
    before = current(ticket)
    act(staff_client("wang"), ticket, "note", note="已电话联系", assignee=str(network["li"]), priority="low",
        resolve_due_at="2030-01-01T00:00:00Z", district_id=str(network["qingshan"]), status="closed")
    after = current(ticket)
    assert (after.assignee_id, after.priority, after.resolve_due_at, after.district_id, after.status) == (
        before.assignee_id, before.priority, before.resolve_due_at, before.district_id, before.status)


def test_actions_the_role_may_not_take_are_not_offered(staff_client, ticket):
    wang_page = page_of(staff_client("wang"), ticket).get_data(as_text=True)
    assert 'data-action="acknowledge"' in wang_page and 'data-action="cancel"' not in wang_page
    agent_page = page_of(staff_client("agent"), ticket).get_data(as_text=True)
    assert 'data-action="cancel"' in agent_page and 'data-action="acknowledge"' not in agent_page


def test_meets_the_standard_from_the_desk_needs_the_measured_temperature(staff_client, ticket):
    zhao = staff_client("zhao")
    act(zhao, ticket, "acknowledge")
    refused = act(zhao, ticket, "resolve", resolution_code="meets_standard", measured_temp="")
    assert refused.status_code == 422
    assert 'id="resolve-measured_temp-error"' in refused.get_data(as_text=True)
    assert act(zhao, ticket, "resolve", resolution_code="meets_standard", measured_temp="18,5℃").status_code == 302
    assert str(current(ticket).measured_temp) == "18.5"

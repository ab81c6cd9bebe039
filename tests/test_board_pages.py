"""The board pages: who may open them, reassigning in one step, closing after the call-back.

The pages read the real clock, so tickets here are received relative to it (`ago`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.core.time import utcnow
from app.extensions import db
from app.intake.service import submit_complaint
from app.reports import board as service
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Category, Closure, Status, Ticket
from tests.conftest import STAFF_PASSWORD, csrf_token_of

BOARD = "/desk/board/"


@dataclass(frozen=True)
class Seen:
    """What a test needs to know about a ticket, read in a short app context of its own."""

    id: int
    reference: str
    version: int
    status: Status
    assignee_id: int | None
    team_id: int | None
    closure: Closure | None
    phone: str
    respond_due_at: datetime | None

    @classmethod
    def of(cls, ticket: Ticket) -> "Seen":
        return cls(ticket.id, ticket.reference, ticket.version, ticket.status, ticket.assignee_id, ticket.team_id,
                   ticket.closure, ticket.phone, ticket.respond_due_at)


# The data is made in contexts that end before any request: a context left pushed (as `ctx` is)
# would share its `g` with the test client's requests, and with it Flask-Login's cached user and
# Flask-WTF's cached CSRF token, so a second client, or a form after sign-in, would misbehave.
@pytest.fixture
def data(app, network):
    """Run `change()` in a request context of its own and commit; a ticket it returns comes back as Seen."""

    def run(change):
        with app.test_request_context():
            result = change()
            db.session.commit()
            return Seen.of(result) if isinstance(result, Ticket) else result

    return run


@pytest.fixture
def ticket_of(data, complaint, network):
    """Factory: a ticket received `ago` before now and dispatched to `username`."""

    def make(username: str | None, ago: timedelta = timedelta(0), **overrides) -> Seen:
        def create():
            at = utcnow() - ago
            ticket = submit_complaint(complaint(**overrides), Actor.resident(), now=at)
            if username and ticket.assignee_id != network[username]:
                lifecycle.assign(ticket, db.session.get(User, network[username]), Actor.system(), now=at)
            return ticket

        return data(create)

    return make


def change(data, seen: Seen, step) -> Seen:
    """Apply `step` (lifecycle calls) to the ticket, in a context of its own."""

    def apply() -> Ticket:
        ticket = db.session.get(Ticket, seen.id)
        step(ticket)
        return ticket

    return data(apply)


@pytest.fixture
def wangs(ticket_of):
    """A calm ticket of 王建国 (wang)."""
    return ticket_of("wang", category="radiator_noise")


@pytest.fixture
def reopened(ticket_of, data, network):
    """Resolved by wang, then rated 1 by the resident: waiting for the supervisor's call-back."""
    ticket = ticket_of("wang", timedelta(hours=3))

    def resolve_and_rate(t):
        lifecycle.resolve(t, Actor.staff(db.session.get(User, network["wang"])), "air_bled")
        lifecycle.rate(t, 1, "师傅走了还是不热")

    return change(data, ticket, resolve_and_rate)


@pytest.fixture
def current(app):
    """The ticket as the database holds it now."""

    def read(ticket: Seen) -> Seen:
        with app.app_context():
            return Seen.of(db.session.get(Ticket, ticket.id))

    return read


def form_fields(html: str, reference: str, action: str) -> dict[str, str]:
    """The hidden fields of the board's form for `action` on the ticket."""
    match = re.search(r'<form method="post" action="/desk/board/tickets/%s/%s".*?</form>' % (reference, action),
                      html, re.S)
    assert match, f"no {action} form for {reference}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', match.group(0)))


def board(client) -> str:
    return client.get(BOARD).get_data(as_text=True)


def post(client, ticket: Seen, action: str, html: str | None = None, **fields):
    """Post the board's form for `action` as it was in `html` (the board as it is now, if not given)."""
    return client.post(f"/desk/board/tickets/{ticket.reference}/{action}",
                       data={**form_fields(html or board(client), ticket.reference, action), **fields})


def rows(html: str) -> list[str]:
    return re.findall(r'<tr class="board-row" id="ticket-\d+" data-reference="(\d+)"', html)


# --- access -----------------------------------------------------------------------------------------

def test_a_supervisor_lands_on_the_board_after_signing_in(app, network):
    client = app.test_client()
    token = csrf_token_of(client.get("/staff/sign-in").get_data(as_text=True))
    response = client.post("/staff/sign-in", data={"csrf_token": token, "username": "zhao", "password": STAFF_PASSWORD})
    assert response.headers["Location"].endswith(BOARD)


def test_the_board_is_in_the_staff_navigation_of_supervisors(staff_client):
    assert f'href="{BOARD}" aria-current="page"' in board(staff_client("zhao"))


@pytest.mark.parametrize("username", ["wang", "agent"])
def test_technicians_and_agents_may_not_open_the_board(staff_client, username):
    assert staff_client(username).get(BOARD).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client, network):
    response = client.get(BOARD)
    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]


def test_a_technician_may_not_reassign_from_the_board(staff_client, wangs, network, current):
    wang = staff_client("wang")
    token = csrf_token_of(wang.get("/report").get_data(as_text=True))
    response = wang.post(f"/desk/board/tickets/{wangs.reference}/assign",
                         data={"csrf_token": token, "version": wangs.version, "assignee": network["li"]})
    assert response.status_code == 403
    assert current(wangs).assignee_id == network["wang"]


# --- what the board shows ----------------------------------------------------------------------

def test_the_board_lists_each_ticket_with_its_link_category_address_status_and_due_time(staff_client, wangs):
    html = board(staff_client("zhao"))
    assert f'href="/desk/tickets/{wangs.reference}"' in html
    assert "暖气有异响" in html and "阿尔丁小区3号楼" in html
    assert 'data-status="assigned"' in html
    assert f'datetime="{wangs.respond_due_at.isoformat()}"' in html


def test_a_breached_ticket_is_listed_first(staff_client, ticket_of, wangs):
    li_calm = ticket_of("li", category="radiator_noise")
    breached = ticket_of("li", timedelta(hours=4))
    html = board(staff_client("zhao"))
    assert rows(html)[0] == breached.reference
    assert set(rows(html)) == {wangs.reference, li_calm.reference, breached.reference}
    assert f'data-reference="{breached.reference}" data-sla="breached"' in html


def test_each_technicians_load_is_shown_with_their_group(staff_client, ticket_of, network):
    ticket_of("wang"), ticket_of("wang")
    html = board(staff_client("zhao"))
    assert f'data-group="tech-{network["wang"]}" data-load="2"' in html
    assert f'data-group="tech-{network["li"]}" data-load="0"' in html


def test_tickets_nobody_works_yet_are_grouped_together(staff_client, ticket_of):
    triage = ticket_of(None, building="不存在的小区9号楼")
    html = board(staff_client("zhao"))
    group = html[html.index('data-group="unassigned"'):]
    assert triage.reference in rows(group[:group.index("</section>")])


def test_the_other_teams_supervisor_does_not_see_the_teams_tickets(staff_client, wangs):
    assert wangs.reference not in board(staff_client("qian"))


def test_an_admin_starts_on_the_first_team_and_may_choose_another(staff_client, wangs, ticket_of, network):
    qingshan = ticket_of("sun", district_id=network["qingshan"], building="富强小区1号楼", unit="", flat="")
    admin = staff_client("admin")
    first = board(admin)
    assert rows(first) == [wangs.reference] and 'id="team-selector"' in first
    chosen = admin.get(f"{BOARD}?team={network['team_q']}").get_data(as_text=True)
    assert rows(chosen) == [qingshan.reference]


def test_a_ticket_reopened_by_a_low_score_shows_score_comment_and_phone_to_call(staff_client, reopened):
    html = board(staff_client("zhao"))
    callbacks = html[html.index('id="callbacks"'):]
    assert f'data-reference="{reopened.reference}"' in callbacks
    assert 'data-score="1"' in callbacks and "师傅走了还是不热" in callbacks
    assert f'href="tel:{reopened.phone}"' in callbacks
    assert reopened.reference not in rows(html)


# --- reassigning in one step -------------------------------------------------------------------

def test_a_supervisor_reassigns_a_ticket_in_one_step(staff_client, wangs, network, current):
    zhao = staff_client("zhao")
    response = post(zhao, wangs, "assign", assignee=str(network["li"]))
    assert response.status_code == 302 and response.headers["Location"].endswith(BOARD)
    assert current(wangs).assignee_id == network["li"]
    assert 'class="flash flash-success"' in board(zhao)


def test_an_admin_returns_to_the_team_they_were_looking_at(staff_client, wangs, network):
    response = post(staff_client("admin"), wangs, "assign", assignee=str(network["li"]))
    assert response.headers["Location"].endswith(f"{BOARD}?team={network['team']}")


@pytest.mark.parametrize("who", ["unknown", "other_team", "nobody"])
def test_a_bad_technician_is_shown_at_the_field_and_changes_nothing(staff_client, wangs, network, current, who):
    assignee = {"unknown": "999999", "other_team": str(network["sun"]), "nobody": ""}[who]
    response = post(staff_client("zhao"), wangs, "assign", assignee=assignee)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'aria-invalid="true" aria-describedby="assignee-{wangs.reference}-error"' in html
    assert f'id="assignee-{wangs.reference}-error"' in html
    assert current(wangs) == wangs


def test_the_second_of_two_forms_loaded_together_gets_the_conflict_and_the_first_stands(staff_client, wangs,
                                                                                         network, current):
    zhao, admin = staff_client("zhao"), staff_client("admin")
    first_page, second_page = board(zhao), board(admin)
    assert post(zhao, wangs, "assign", html=first_page, assignee=str(network["li"])).status_code == 302
    response = post(admin, wangs, "assign", html=second_page, assignee=str(network["wang"]))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'id="board-problem"' in html
    form = html[html.index(f"/desk/board/tickets/{wangs.reference}/assign"):]
    assert f'<option value="{network["wang"]}" selected>' in form[:form.index("</form>")]  # the choice is kept
    assert current(wangs).assignee_id == network["li"]


def test_another_teams_ticket_answers_404(staff_client, wangs, network, current):
    qian = staff_client("qian")
    token = csrf_token_of(board(qian))
    response = qian.post(f"/desk/board/tickets/{wangs.reference}/assign",
                         data={"csrf_token": token, "version": wangs.version, "assignee": network["sun"]})
    assert response.status_code == 404
    assert current(wangs) == wangs


def test_a_post_without_its_csrf_token_is_refused(staff_client, wangs, network, current):
    response = staff_client("zhao").post(f"/desk/board/tickets/{wangs.reference}/assign",
                                         data={"assignee": str(network["li"]), "version": str(wangs.version)})
    assert response.status_code == 400
    assert current(wangs) == wangs


def test_a_ticket_on_hold_offers_no_dispatch_form(staff_client, wangs, data):
    change(data, wangs, lambda t: lifecycle.wait_for_resident(t, Actor.system(), "家中无人"))
    html = board(staff_client("zhao"))
    assert f"/desk/board/tickets/{wangs.reference}/assign" not in html
    assert f'data-reference="{wangs.reference}" data-sla="paused"' in html


def test_an_untriaged_ticket_in_the_teams_district_is_dispatched_into_the_team(staff_client, ticket_of, network,
                                                                               current):
    triage = ticket_of(None, building="不存在的小区9号楼")
    assert post(staff_client("zhao"), triage, "assign", assignee=str(network["li"])).status_code == 302
    after = current(triage)
    assert (after.team_id, after.assignee_id) == (network["team"], network["li"])


# --- the call-back ----------------------------------------------------------------------------

def test_closing_after_the_call_back_with_a_reason_closes_the_ticket(staff_client, reopened, current):
    response = post(staff_client("zhao"), reopened, "close-after-callback", reason="已回访：用户同意等待换热站检修")
    assert response.status_code == 302
    after = current(reopened)
    assert (after.status, after.closure) == (Status.CLOSED, Closure.CALLBACK)


def test_closing_after_the_call_back_without_a_reason_is_refused_at_the_field(staff_client, reopened, current):
    response = post(staff_client("zhao"), reopened, "close-after-callback", reason="   ")
    assert response.status_code == 422
    assert f'id="reason-{reopened.reference}-error"' in response.get_data(as_text=True)
    assert current(reopened) == reopened


def test_a_reason_typed_on_an_out_of_date_board_is_kept(staff_client, reopened, data, current):
    zhao = staff_client("zhao")
    stale = board(zhao)
    change(data, reopened, lambda t: lifecycle.reclassify(  # an agent takes a call meanwhile
        t, Actor.system(), db.session.scalar(select(Category).where(Category.code == "leak")), t.priority))
    response = post(zhao, reopened, "close-after-callback", html=stale, reason="用户仍不满意，已解释")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'id="board-problem"' in html
    assert f'name="reason" rows="2" maxlength="2000" required>用户仍不满意，已解释</textarea>' in html
    assert current(reopened).status is Status.REOPENED


def test_a_reason_is_kept_even_when_the_ticket_has_left_the_call_backs(staff_client, reopened, network, current):
    zhao = staff_client("zhao")
    stale = board(zhao)
    assert post(zhao, reopened, "assign", assignee=str(network["li"])).status_code == 302
    response = post(zhao, reopened, "close-after-callback", html=stale, reason="用户仍不满意，已解释")
    assert response.status_code == 409
    assert "用户仍不满意，已解释" in response.get_data(as_text=True)
    assert current(reopened).status is Status.ASSIGNED


def test_a_reopened_ticket_may_be_dispatched_again(staff_client, reopened, network, current):
    assert post(staff_client("zhao"), reopened, "assign", assignee=str(network["li"])).status_code == 302
    after = current(reopened)
    assert (after.status, after.assignee_id) == (Status.ASSIGNED, network["li"])


def test_a_long_group_lists_its_most_urgent_tickets_and_counts_them_all(staff_client, ticket_of, network,
                                                                       monkeypatch):
    monkeypatch.setattr(service, "rows_per_group", lambda groups: 2)
    overdue = ticket_of("wang", timedelta(hours=4))
    ticket_of("wang", category="radiator_noise"), ticket_of("wang", category="radiator_noise")
    html = board(staff_client("zhao"))
    assert rows(html)[0] == overdue.reference and len(rows(html)) == 2
    assert f'data-group="tech-{network["wang"]}" data-load="3"' in html and 'data-not-shown="1"' in html


@pytest.fixture
def two_call_backs(ticket_of, data, network) -> tuple[Seen, Seen]:
    """Two of wang's tickets scored 1 by the resident: (the later call-back, the one due first)."""
    wang = lambda: db.session.get(User, network["wang"])  # noqa: E731

    def low_score(at):
        def resolve_and_rate(t):
            lifecycle.resolve(t, Actor.staff(wang()), "air_bled", now=at)
            lifecycle.rate(t, 1, "还是不热", now=at)
        return resolve_and_rate

    later = change(data, ticket_of("wang", timedelta(hours=3)), low_score(utcnow() - timedelta(minutes=10)))
    first = change(data, ticket_of("wang", timedelta(hours=3)), low_score(utcnow() - timedelta(hours=2)))
    return later, first


def test_the_call_backs_due_first_are_listed_and_the_rest_counted(staff_client, two_call_backs, monkeypatch):
    monkeypatch.setattr(service, "CALLBACKS_SHOWN", 1)
    later, first = two_call_backs
    html = board(staff_client("zhao"))
    assert f'data-reference="{first.reference}"' in html and f'data-reference="{later.reference}"' not in html
    assert 'data-not-shown="1"' in html


def test_a_long_group_opens_to_list_more_and_its_dispatch_returns_to_it(staff_client, ticket_of, network, monkeypatch):
    monkeypatch.setattr(service, "rows_per_group", lambda groups: 1)
    first, *_ = [ticket_of("wang", category="radiator_noise") for _ in range(3)]
    zhao = staff_client("zhao")
    key = f"tech-{network['wang']}"
    assert f'data-open-group="{key}"' in board(zhao)
    li = ticket_of("li", category="radiator_noise")
    opened = zhao.get(f"{BOARD}?open={key}").get_data(as_text=True)
    assert len(rows(opened)) == 3 and "data-close-group" in opened
    assert li.reference not in rows(opened) and f'data-open-group="tech-{network["li"]}"' in opened
    response = post(zhao, first, "assign", html=opened, assignee=str(network["li"]))
    assert response.status_code == 302 and f"open={key}" in response.headers["Location"]


def test_an_unknown_group_in_the_url_shows_the_usual_board(staff_client, ticket_of):
    ticket_of("wang", category="radiator_noise")
    response = staff_client("zhao").get(f"{BOARD}?open=tech-x%27")
    assert response.status_code == 200 and "data-close-group" not in response.get_data(as_text=True)


def test_a_refused_call_back_beyond_the_first_ones_keeps_its_form(staff_client, two_call_backs, current, monkeypatch):
    monkeypatch.setattr(service, "CALLBACKS_SHOWN", 1)
    later, first = two_call_backs
    zhao = staff_client("zhao")
    fields = form_fields(board(zhao), first.reference, "close-after-callback")
    response = zhao.post(f"/desk/board/tickets/{later.reference}/close-after-callback",
                         data={**fields, "version": str(later.version), "reason": " "})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="reason-{later.reference}-error"' in html
    assert current(later) == later


def test_the_board_page_carries_its_words_and_a_csrf_token_on_every_form(staff_client, wangs):
    html = board(staff_client("zhao"))
    assert "<th scope=\"col\">工单</th>" in html or "<th scope=\"col\">Ticket</th>" in html
    tokens = re.findall(r'name="csrf_token" value="([^"]*)"', html)
    assert tokens and all(tokens)

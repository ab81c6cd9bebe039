"""The staff outbox page at /desk/outbox: who sees which messages, masked numbers, the status filter."""
from __future__ import annotations

import re

import pytest

PAGE = "/desk/outbox/"
TECH_PHONE = "+8613900139000"


@pytest.fixture
def messages(make_ticket, ctx, network, run_jobs, app):
    """The demo's case: a resident's "received" text (no provider: not sent), and a text to a technician."""
    from app.extensions import db
    from app.messaging.outbox import queue_sms

    app.extensions.pop("heatdesk.sms", None)
    ticket = make_ticket()
    reference = ticket.reference
    queue_sms(to=TECH_PHONE, body="New job assigned", language="en", kind="staff_assigned")
    db.session.commit()
    run_jobs()
    return reference


def page(client, query: str = ""):
    response = client.get(PAGE + query)
    return response, response.get_data(as_text=True)


def test_the_demo_message_is_listed_as_not_sent_no_provider(staff_client, messages):
    response, html = page(staff_client("agent"))
    assert response.status_code == 200
    assert 'data-status="not_sent"' in html and "not sent: no provider" in html


def test_an_agent_sees_every_message_with_its_ticket_link(staff_client, messages):
    _, html = page(staff_client("agent"))
    assert f"/desk/tickets/{messages}" in html
    assert "New job assigned" in html


def test_the_segment_count_is_shown(staff_client, messages):
    _, html = page(staff_client("agent"))
    assert 'data-segments="1"' in html


def test_numbers_are_masked_except_the_last_four_digits_for_non_admins(staff_client, messages):
    _, html = page(staff_client("agent"))
    assert "•••• 8000" in html and "+8613800138000" not in html


def test_an_admin_sees_whole_numbers(staff_client, messages):
    _, html = page(staff_client("admin"))
    assert "+8613800138000" in html


def test_a_supervisor_sees_the_messages_of_their_districts_tickets(staff_client, messages):
    _, html = page(staff_client("zhao"))
    assert f"/desk/tickets/{messages}" in html
    assert "New job assigned" not in html  # not about a ticket: the desk's, not the team's


def test_another_teams_supervisor_sees_none_of_them(staff_client, messages):
    _, html = page(staff_client("qian"))
    assert f"/desk/tickets/{messages}" not in html and 'id="outbox-empty"' in html


def test_the_status_filter_lists_only_that_status(staff_client, messages):
    client = staff_client("agent")
    _, html = page(client, "?status=not_sent")
    assert set(re.findall(r'data-status="(\w+)"', html)) == {"not_sent"}
    _, html = page(client, "?status=delivered")
    assert 'data-status=' not in html.split('id="outbox-filters"')[1].split("</form>")[1]
    assert 'id="outbox-empty"' in html


def test_an_unknown_status_filter_is_shown_at_its_field_with_422(staff_client, messages):
    response, html = page(staff_client("agent"), "?status=lost")
    assert response.status_code == 422
    assert 'id="status-error"' in html and 'aria-invalid="true"' in html
    assert 'id="outbox"' not in html


def test_a_technician_may_not_see_the_outbox(staff_client, network):
    assert staff_client("wang").get(PAGE).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, network):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]


def test_the_outbox_is_in_the_staff_navigation_for_agents(staff_client, network):
    html = staff_client("agent").get(PAGE).get_data(as_text=True)
    assert f'href="{PAGE}"' in html


def test_a_failed_message_shows_its_error_and_code(staff_client, ctx, network, messages):
    from app.extensions import db
    from app.messaging.models import MessageStatus, OutboxMessage

    db.session.add(OutboxMessage(kind="resolved", to_number="+8613700137000", body="x", language="zh_Hans",
                                 segments=1, status=MessageStatus.FAILED, attempts=1, error_code=21211,
                                 error="Twilio 400: invalid number"))
    db.session.commit()
    _, html = page(staff_client("agent"), "?status=failed")
    assert "Twilio 400: invalid number" in html and "21211" in html


# --- the service, without HTTP ------------------------------------------------------------------

def test_problems_for_a_ticket_are_its_messages_that_did_not_reach_the_resident(ctx, messages):
    from sqlalchemy import select

    from app.extensions import db
    from app.messaging.outbox import problems_for_ticket
    from app.tickets.models import Ticket

    ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.reference == messages))
    [problem] = problems_for_ticket(ticket_id)
    assert problem.error == "not sent: no provider"


def test_the_ticket_page_snippet_lists_a_failed_message_with_its_code(app, staff_client, ctx, messages):
    from flask import render_template
    from flask_login import login_user
    from sqlalchemy import select

    from app.auth.models import User
    from app.extensions import db
    from app.messaging.models import MessageStatus, OutboxMessage
    from app.messaging.outbox import problems_for_ticket
    from app.tickets.models import Ticket

    ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.reference == messages))
    db.session.add(OutboxMessage(ticket_id=ticket_id, kind="resolved", to_number="+8613700137000", body="x",
                                 language="zh_Hans", segments=1, status=MessageStatus.FAILED, attempts=1,
                                 error_code=21614, error="Twilio 400: not a mobile number"))
    db.session.flush()
    login_user(db.session.scalar(select(User).where(User.username == "agent")))
    html = render_template("messaging/_ticket_messages.html", sms_problems=problems_for_ticket(ticket_id))
    assert 'id="sms-problems"' in html and "not a mobile number" in html and "21614" in html
    assert "not sent: no provider" in html

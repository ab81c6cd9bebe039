"""Staff sign-in: one generic error, throttled, sessions that really end."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.auth.passwords import password_problems
from app.extensions import db
from tests.conftest import STAFF_PASSWORD, csrf_token_of


def post_sign_in(client, username, password, **extra):
    token = csrf_token_of(client.get("/staff/sign-in").get_data(as_text=True))
    return client.post("/staff/sign-in", data={"csrf_token": token, "username": username,
                                               "password": password, **extra})


@pytest.fixture
def user(app, network):
    def get(username):
        with app.app_context():
            return db.session.scalar(select(User).where(User.username == username))
    return get


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client, network):
    wrong_password = post_sign_in(client, "agent", "not-the-password")
    unknown_user = post_sign_in(client, "nobody", STAFF_PASSWORD)
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.get_data(as_text=True).count('class="error"') == 1
    assert _error(wrong_password) == _error(unknown_user)


def _error(response):
    import re

    return re.search(r'<p class="error"[^>]*>([^<]*)</p>', response.get_data(as_text=True)).group(1)


def test_the_username_is_kept_and_the_password_is_not(client, network):
    page = post_sign_in(client, "agent", "not-the-password").get_data(as_text=True)
    assert 'value="agent"' in page
    assert "not-the-password" not in page


def test_signing_in_changes_the_session_cookie(client, network):
    client.get("/staff/sign-in")
    before = client.get_cookie("session", domain="heatdesk.test").value
    response = post_sign_in(client, "agent", STAFF_PASSWORD)
    assert response.status_code == 302
    assert client.get_cookie("session", domain="heatdesk.test").value != before


def test_the_session_cookie_is_httponly_and_samesite(client, network):
    response = post_sign_in(client, "agent", STAFF_PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_remember_me_is_off_by_default(client, network):
    response = post_sign_in(client, "agent", STAFF_PASSWORD)
    assert "remember_token" not in " ".join(response.headers.getlist("Set-Cookie"))


def test_a_staff_page_sends_an_anonymous_visitor_to_sign_in_and_back(client, make_ticket):
    ticket = make_ticket()
    response = client.get(f"/desk/tickets/{ticket.reference}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/sign-in?next=")


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(client, network):
    assert post_sign_in(client, "agent", STAFF_PASSWORD).status_code == 302
    other = client.application.test_client()
    token = csrf_token_of(other.get("/staff/sign-in").get_data(as_text=True))
    response = other.post("/staff/sign-in?next=https://evil.example/", data={
        "csrf_token": token, "username": "agent", "password": STAFF_PASSWORD})
    assert not response.headers["Location"].startswith("https://evil.example")


def test_a_replayed_cookie_is_refused_after_sign_out(staff_client, make_ticket):
    ticket = make_ticket()
    agent = staff_client("agent")
    page = f"/desk/tickets/{ticket.reference}"
    assert agent.get(page).status_code == 200
    stolen = agent.get_cookie("session", domain="heatdesk.test").value
    token = csrf_token_of(agent.get(page).get_data(as_text=True))
    assert agent.post("/staff/sign-out", data={"csrf_token": token}).status_code == 302
    replay = agent.application.test_client()
    replay.set_cookie("session", stolen, domain="heatdesk.test")
    assert replay.get(page).status_code == 302  # back to sign-in


def test_a_deactivated_user_is_signed_out_at_the_next_request(app, staff_client, make_ticket, user):
    ticket = make_ticket()
    agent = staff_client("agent")
    from app.auth.service import deactivate

    with app.app_context():
        deactivate(db.session.merge(user("agent")))
        db.session.commit()
    assert agent.get(f"/desk/tickets/{ticket.reference}").status_code == 302
    assert post_sign_in(app.test_client(), "agent", STAFF_PASSWORD).status_code == 401


def test_an_idle_session_ends(app, staff_client, make_ticket, monkeypatch):
    ticket = make_ticket()
    agent = staff_client("agent")
    with agent.session_transaction() as session:
        session["last_seen"] -= app.config["STAFF_IDLE_MINUTES"] * 60 + 1
    assert agent.get(f"/desk/tickets/{ticket.reference}").status_code == 302


def test_a_session_ends_after_the_longest_shift_even_when_busy(app, staff_client, make_ticket):
    ticket = make_ticket()
    agent = staff_client("agent")
    with agent.session_transaction() as session:
        session["signed_in_at"] -= app.config["STAFF_SESSION_HOURS"] * 3600 + 1
    assert agent.get(f"/desk/tickets/{ticket.reference}").status_code == 302


def test_failed_sign_ins_are_throttled_per_account(app, client, network, monkeypatch):
    monkeypatch.setitem(app.config, "LIMIT_SIGN_IN_PER_ACCOUNT", "3/hour")
    for _ in range(3):
        assert post_sign_in(client, "agent", "wrong-password").status_code == 401
    assert post_sign_in(client, "agent", STAFF_PASSWORD).status_code == 429


def test_failed_sign_ins_are_throttled_per_address(app, client, network, monkeypatch):
    monkeypatch.setitem(app.config, "LIMIT_SIGN_IN_PER_ADDRESS", "3/hour")
    for name in ("agent", "wang", "li"):
        post_sign_in(client, name, "wrong-password")
    assert post_sign_in(client, "zhao", STAFF_PASSWORD).status_code == 429


def test_successful_sign_ins_do_not_use_up_the_throttle(app, client, network, monkeypatch):
    monkeypatch.setitem(app.config, "LIMIT_SIGN_IN_PER_ACCOUNT", "2/hour")
    for _ in range(4):
        fresh = app.test_client()
        assert post_sign_in(fresh, "agent", STAFF_PASSWORD).status_code == 302


@pytest.mark.parametrize(("password", "username", "ok"), [
    ("short", "", False),
    ("password", "", False),
    ("12345678", "", False),
    ("qwertyuiop", "", False),
    ("aaaaaaaaaa", "", False),
    ("wang-heating-2026", "wang", False),
    ("锅炉房-暖气-19度", "wang", True),
    ("correct horse battery", "wang", True),
])
def test_the_password_policy(password, username, ok):
    assert (password_problems(password, username) == []) is ok

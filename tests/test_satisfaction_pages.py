"""The web survey over HTTP (`/s/<token>`), and the call-back due time on the supervisor's board.

Every POST carries the CSRF token its page gave, as a browser would.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext

from app.core.time import utcnow
from app.extensions import db
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Closure, Status, Ticket
from tests.conftest import csrf_token_of
from tests.satisfaction_fixtures import (  # noqa: F401  (fixtures)
    SUPERVISOR_PHONE,
    outbox,
    resolve,
    resolved_at,
    resolved_ticket,
    supervisor_phones,
    survey_path,
)

ACCEPT = {"zh_Hans": "zh-CN,zh;q=0.9", "en": "en-US,en;q=0.8"}


@pytest.fixture
def link(resolved_ticket) -> str:
    """The path of the survey link the resident was texted."""
    return survey_path(resolved_ticket)


def words(msgid: str, lang: str = "zh_Hans", **params) -> str:
    """A message as the page shows it in `lang` (these tests keep passing once it is translated)."""
    with force_locale(lang):
        return gettext(msgid, **params)


def ticket_now(ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def submit(client, link: str, lang: str = "zh_Hans", **fields):
    """Open the survey and send it with `fields` (a button's name and value, the comment)."""
    page = client.get(link, headers={"Accept-Language": ACCEPT[lang]})
    data = {"csrf_token": csrf_token_of(page.get_data(as_text=True)), **fields}
    return client.post(link, data=data, headers={"Accept-Language": ACCEPT[lang]})


# --- the page ----------------------------------------------------------------------------------

def test_the_survey_shows_the_reference_what_was_done_and_five_scores(client, link, resolved_ticket):
    response = client.get(link, headers={"Accept-Language": ACCEPT["zh_Hans"]})
    html = response.get_data(as_text=True)

    assert response.status_code == 200 and '<html lang="zh-Hans">' in html
    assert f'data-reference="{resolved_ticket.reference}"' in html
    assert words("Valve adjusted") in html and "调整了单元阀门，暖气片已热" in html
    assert re.findall(r'name="score" value="(\d)"', html) == ["5", "4", "3", "2", "1"]
    assert words("5 – very satisfied") in html and words("1 – very dissatisfied") in html
    assert 'name="not_fixed" value="1"' in html and 'name="csrf_token"' in html


def test_the_survey_speaks_english_to_an_english_browser(client, link):
    html = client.get(link, headers={"Accept-Language": ACCEPT["en"]}).get_data(as_text=True)

    assert '<html lang="en">' in html and words("How was the repair?", "en") in html


# --- answers -----------------------------------------------------------------------------------

def test_a_score_of_5_closes_the_ticket_and_thanks_the_resident(client, link, resolved_ticket):
    response = submit(client, link, score="5", comment="王师傅很负责")

    assert response.status_code == 302 and response.headers["Location"].endswith(link)
    thanks = client.get(link).get_data(as_text=True)
    assert 'id="survey-thanks"' in thanks and 'data-outcome="closed"' in thanks
    ticket = ticket_now(resolved_ticket)
    assert (ticket.status, ticket.closure, ticket.satisfaction_score, ticket.satisfaction_comment) == (
        Status.CLOSED, Closure.RATED, 5, "王师傅很负责")


def test_a_score_of_1_reopens_it_with_a_call_back_due_and_the_supervisor_texted(
        client, link, resolved_ticket, supervisor_phones):
    before = utcnow()
    submit(client, link, score="1", comment="师傅走了还是不热")

    ticket = ticket_now(resolved_ticket)
    assert ticket.status is Status.REOPENED and ticket.satisfaction_score == 1
    assert before + timedelta(hours=4) <= ticket.callback_due_at <= utcnow() + timedelta(hours=4)
    assert [m.to_number for m in outbox("callback", ticket.id)] == [SUPERVISOR_PHONE]
    thanks = client.get(link).get_data(as_text=True)
    assert 'data-outcome="reopened"' in thanks
    assert words("Thank you. We are sorry it is not right yet: a supervisor will call you back.") in thanks


def test_still_not_fixed_reopens_the_ticket_with_the_comment_as_the_reason(client, link, resolved_ticket):
    submit(client, link, not_fixed="1", comment="卧室还是冰凉")

    ticket = ticket_now(resolved_ticket)
    assert ticket.status is Status.REOPENED and ticket.satisfaction_score is None
    assert (ticket.events[-1].action, ticket.events[-1].note) == ("reopen", "卧室还是冰凉")
    assert ticket.callback_due_at is not None


def test_an_answered_survey_thanks_again_and_takes_no_second_answer(client, link, resolved_ticket):
    submit(client, link, score="5")

    again = client.get(link)
    second = client.post(link, data={"csrf_token": csrf_token_of(client.get("/track").get_data(as_text=True)),
                                     "score": "1"})

    assert again.status_code == 200 and 'id="survey-thanks"' in again.get_data(as_text=True)
    assert 'name="score"' not in again.get_data(as_text=True)
    assert second.status_code == 200 and 'id="survey-thanks"' in second.get_data(as_text=True)
    ticket = ticket_now(resolved_ticket)
    assert (ticket.status, ticket.satisfaction_score) == (Status.CLOSED, 5)


# --- refusals ----------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
def test_an_invalid_link_is_a_clear_404_in_the_visitors_language(client, link, lang):
    response = client.get(link[:-3] + "abc", headers={"Accept-Language": ACCEPT[lang]})
    html = response.get_data(as_text=True)

    assert response.status_code == 404
    assert 'data-code="404"' in html and words("Survey link not found", lang) in html


def test_a_link_from_before_a_reopen_is_gone(client, link, resolved_ticket, network):
    from app.auth.models import User

    lifecycle.reopen(resolved_ticket, Actor.staff(db.session.get(User, network["agent"])), "用户来电说不热")
    db.session.commit()

    response = client.get(link)

    assert response.status_code == 410
    assert words("This survey is closed") in response.get_data(as_text=True)


def test_a_survey_closed_for_no_response_is_gone(client, link, resolved_ticket, resolved_at):
    from app.satisfaction.survey import close_unanswered

    close_unanswered(resolved_at + timedelta(days=3))
    db.session.commit()

    assert client.get(link).status_code == 410


def test_without_the_csrf_token_the_answer_is_refused_and_nothing_changes(client, link, resolved_ticket):
    response = client.post(link, data={"score": "5"})

    assert response.status_code == 400
    assert ticket_now(resolved_ticket).status is Status.RESOLVED


@pytest.mark.parametrize("score", ["7", "0", "", "五"])
def test_a_bad_score_gets_a_message_keeps_the_comment_and_changes_nothing(client, link, resolved_ticket, score):
    response = submit(client, link, score=score, comment="还可以")
    html = response.get_data(as_text=True)

    assert response.status_code == 422
    assert words("Choose a score from 1 to 5.") in html and 'id="score-error"' in html
    assert "还可以</textarea>" in html
    ticket = ticket_now(resolved_ticket)
    assert (ticket.status, ticket.satisfaction_score) == (Status.RESOLVED, None)


def test_a_comment_over_2000_characters_is_refused_at_its_field(client, link, resolved_ticket):
    response = submit(client, link, score="4", comment="好" * 2001)

    assert response.status_code == 422 and 'id="comment-error"' in response.get_data(as_text=True)
    assert ticket_now(resolved_ticket).status is Status.RESOLVED


def test_the_survey_is_rate_limited_per_address(app, client, link, monkeypatch):
    monkeypatch.setitem(app.config, "LIMIT_SURVEY_PER_ADDRESS", "2/minute")

    codes = [client.get(link).status_code for _ in range(3)]

    assert codes == [200, 200, 429]


# --- the board ---------------------------------------------------------------------------------

def test_the_board_shows_when_the_call_back_is_due_and_marks_it_overdue(
        client, link, resolved_ticket, staff_client):
    submit(client, link, not_fixed="1")
    board = staff_client("zhao")
    due_html = board.get("/desk/board/").get_data(as_text=True)

    ticket = ticket_now(resolved_ticket)
    ticket.callback_due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    overdue_html = board.get("/desk/board/").get_data(as_text=True)

    callbacks = due_html[due_html.index('id="callbacks"'):]
    assert f'data-reference="{ticket.reference}"' in callbacks and 'data-callback-due="due"' in callbacks
    overdue = overdue_html[overdue_html.index('id="callbacks"'):]
    assert re.search(r'<time class="badge badge-breached"[^>]*data-callback-due="overdue"', overdue)


def test_the_page_never_names_the_residents_phone(client, link):
    html = client.get(link).get_data(as_text=True)

    assert "13800138000" not in html and "138 0013 8000" not in html

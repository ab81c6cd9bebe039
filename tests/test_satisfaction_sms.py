"""Answering the survey by text: "还是不热" (no score) reopens the resolved ticket for a call-back."""
from __future__ import annotations

import itertools
import xml.etree.ElementTree as ElementTree
from datetime import timedelta

import pytest
from twilio.request_validator import RequestValidator

from app.extensions import db
from app.satisfaction.replies import means_not_fixed
from app.tickets.models import ActorKind, Status, Ticket
from app.tickets.references import format_reference
from tests.conftest import RESIDENT_PHONE
from tests.satisfaction_fixtures import (  # noqa: F401  (fixtures)
    SUPERVISOR_PHONE,
    outbox,
    resolve,
    resolved_at,
    resolved_ticket,
    supervisor_phones,
)

TOKEN = "0123456789abcdef0123456789abcdef"
URL = "http://heatdesk.test/twilio/sms"
_sids = itertools.count(1)


@pytest.fixture
def text_us(app, client, network, monkeypatch):
    """Send a text to the desk as Twilio would (signed); returns the one reply's text."""
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", TOKEN)

    def send(body: str, sender: str = RESIDENT_PHONE) -> str:
        params = {"MessageSid": f"SM{next(_sids):032d}", "AccountSid": "AC" + "1" * 32,
                  "From": sender, "To": "+8610690000", "Body": body}
        signature = RequestValidator(TOKEN).compute_signature(URL, params)
        response = client.post(URL, data=params, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 200, response.get_data(as_text=True)
        [reply] = [m.text or "" for m in ElementTree.fromstring(response.get_data(as_text=True)).iter("Message")]
        return reply

    return send


def reloaded(ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def test_still_not_warm_reopens_the_resolved_ticket_with_the_residents_words(resolved_ticket, text_us):
    reply = text_us("还是不热")

    ticket = reloaded(resolved_ticket)
    event = ticket.events[-1]
    assert ticket.status is Status.REOPENED
    assert (event.action, event.actor_kind, event.note) == ("reopen", ActorKind.RESIDENT, "还是不热")
    assert format_reference(ticket.reference) in reply


def test_the_reply_says_a_supervisor_will_call_and_the_supervisor_is_texted(
        app, resolved_ticket, supervisor_phones, text_us):
    from flask_babel import force_locale, gettext

    reply = text_us("没修好，屋里还是十五度")

    with force_locale("zh_Hans"):
        expected = gettext("Sorry about reference %(ref)s. A supervisor will call you back.",
                           ref=format_reference(resolved_ticket.reference))
    assert reply.endswith(expected)
    ticket = reloaded(resolved_ticket)
    assert ticket.callback_due_at is not None
    assert [m.to_number for m in outbox("callback", ticket.id)] == [SUPERVISOR_PHONE]


@pytest.mark.parametrize("words", ["没修好", "还不热", "不热", "没好", "not fixed", "Still cold!", "还是不热，家里有老人"])
def test_words_meaning_not_fixed_reopen_the_resolved_ticket(resolved_ticket, text_us, words):
    text_us(words)

    assert reloaded(resolved_ticket).status is Status.REOPENED


def test_a_score_with_words_is_still_a_score(resolved_ticket, text_us):
    text_us("1 还是不热")

    ticket = reloaded(resolved_ticket)
    assert ticket.status is Status.REOPENED and ticket.satisfaction_score == 1
    assert ticket.events[-1].action == "rate"


def test_not_fixed_words_about_an_open_ticket_are_added_to_it(make_ticket, text_us):
    ticket = make_ticket()

    text_us("还是不热")

    ticket = reloaded(ticket)
    assert ticket.status is Status.ASSIGNED and ticket.events[-1].action == "call"


def test_after_the_auto_close_not_warm_is_a_new_complaint(resolved_ticket, resolved_at, text_us):
    from app.satisfaction.survey import close_unanswered

    close_unanswered(resolved_at + timedelta(days=3))
    db.session.commit()

    text_us("暖气还是不热")

    assert reloaded(resolved_ticket).status is Status.CLOSED
    assert db.session.query(Ticket).count() == 2


@pytest.mark.parametrize("text", ["修好了，谢谢", "很满意", "漏水了", "thanks, it is warm now", "5", ""])
def test_other_words_do_not_mean_not_fixed(text):
    assert not means_not_fixed(text)

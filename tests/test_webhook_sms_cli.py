"""`flask sms simulate` and `flask sms expire`: the SMS flow with no Twilio account."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.extensions import db
from app.messaging.models import SmsConversation
from app.tickets.models import Ticket
from tests.conftest import RESIDENT_PHONE


@pytest.fixture
def posts(app, client, monkeypatch):
    """requests.post handed to the test client instead of the network; the requests it made."""
    import requests

    made = []

    def post(url, data, headers, timeout):
        made.append((url, data, headers))
        response = client.post(url, data=data, headers=headers)
        return SimpleNamespace(status_code=response.status_code, text=response.get_data(as_text=True))

    monkeypatch.setattr(requests, "post", post)
    return made


def test_simulate_sends_a_signed_text_and_prints_the_reply(app, network, posts):
    result = app.test_cli_runner().invoke(
        args=["sms", "simulate", "--from", RESIDENT_PHONE, "--url", "http://heatdesk.test", "暖气不热"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
    assert ticket is not None and ticket.reference[:3] in result.output
    assert result.output.startswith("【包头热力】")
    [(url, data, headers)] = posts
    assert url == "http://heatdesk.test/twilio/sms" and data["From"] == RESIDENT_PHONE


def test_simulate_refuses_in_production_without_a_token(app, network, posts, monkeypatch):
    monkeypatch.setitem(app.config, "HEATDESK_ENV", "production")
    result = app.test_cli_runner().invoke(args=["sms", "simulate", "--from", RESIDENT_PHONE, "暖气不热"])
    assert result.exit_code != 0 and "TWILIO_AUTH_TOKEN" in result.output
    assert posts == []


def test_expire_sends_unanswered_conversations_to_triage(app, network):
    from app.core.time import utcnow

    with app.app_context():
        db.session.add(SmsConversation(number="+8613900139000", state="awaiting_address", language="zh_Hans",
                                       complaint_text="暖气不热", expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["sms", "expire"])
    assert result.exit_code == 0 and "1 " in result.output
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.building_id is None and ticket.description == "暖气不热"


def test_voice_simulate_walks_the_menu_with_signed_requests(app, network, posts):
    result = app.test_cli_runner().invoke(
        args=["voice", "simulate", "--from", RESIDENT_PHONE, "--url", "http://heatdesk.test", "--digits", "9,1"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
    assert ticket is not None and ticket.channel.value == "voice"
    assert "For English, press 9." in result.output and "pressed 1" in result.output
    assert " ".join(ticket.reference[:3]) in result.output  # the reference is read back digit by digit
    assert [url for url, _data, _headers in posts] == [
        "http://heatdesk.test/twilio/voice", "http://heatdesk.test/twilio/voice/menu?lang=zh&step=1&tries=0",
        "http://heatdesk.test/twilio/voice/menu?lang=en&step=2&tries=0"]
    assert all("X-Twilio-Signature" in headers for _url, _data, headers in posts)

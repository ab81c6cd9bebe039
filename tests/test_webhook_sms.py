"""POST /twilio/sms: residents complain, follow, rate and opt out by text message."""
from __future__ import annotations

import itertools
import xml.etree.ElementTree as ElementTree
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from app.extensions import db
from app.messaging.models import InboundMessage, MessageStatus, OutboxMessage, SmsConversation
from app.messaging.segments import segment_count
from app.tickets.models import Channel, Status, Ticket
from app.tickets.references import format_reference
from tests.conftest import RESIDENT_PHONE

TOKEN = "0123456789abcdef0123456789abcdef"
URL = "http://heatdesk.test/twilio/sms"
STRANGER = "+8613900139000"
_sids = itertools.count(1)


@pytest.fixture
def twilio_token(app, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", TOKEN)
    return TOKEN


@pytest.fixture
def text_us(client, network, twilio_token):
    """Send a text to the desk as Twilio would (signed with the real RequestValidator); returns the response."""

    def send(body: str, sender: str = RESIDENT_PHONE, sid: str | None = None, **extra):
        params = {"MessageSid": sid or f"SM{next(_sids):032d}", "AccountSid": "AC" + "1" * 32,
                  "From": sender, "To": "+8610690000", "Body": body, **extra}
        params = {k: v for k, v in params.items() if v is not None}
        signature = RequestValidator(TOKEN).compute_signature(URL, params)
        return client.post(URL, data=params, headers={"X-Twilio-Signature": signature})

    return send


def replies(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml"
    return [m.text or "" for m in ElementTree.fromstring(response.get_data(as_text=True)).iter("Message")]


def only_reply(response) -> str:
    texts = replies(response)
    assert len(texts) == 1, texts
    return texts[0]


def count(ctx_app, model) -> int:
    with ctx_app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def tickets(app) -> list[Ticket]:
    with app.app_context():
        found = list(db.session.scalars(select(Ticket).order_by(Ticket.id)))
        db.session.expunge_all()
        return found


# --- the signature --------------------------------------------------------------------------------

def test_a_bad_signature_is_refused_and_nothing_is_stored(app, client, network, twilio_token):
    params = {"MessageSid": "SM" + "9" * 32, "From": RESIDENT_PHONE, "Body": "暖气不热"}
    response = client.post(URL, data=params, headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
    assert response.status_code == 403
    assert count(app, InboundMessage) == 0 and count(app, Ticket) == 0


def test_a_missing_signature_is_refused(app, client, network, twilio_token):
    response = client.post(URL, data={"MessageSid": "SM1", "From": RESIDENT_PHONE, "Body": "暖气不热"})
    assert response.status_code == 403
    assert count(app, InboundMessage) == 0


def test_a_signature_over_other_fields_is_refused(app, client, network, twilio_token):
    signed = {"MessageSid": "SM1", "From": RESIDENT_PHONE, "Body": "暖气不热"}
    signature = RequestValidator(TOKEN).compute_signature(URL, signed)
    response = client.post(URL, data={**signed, "Body": "改过的内容"}, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_behind_a_proxy_the_signature_covers_the_public_url(app, client, network, twilio_token, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://heat.example.cn")
    params = {"MessageSid": "SM1", "From": RESIDENT_PHONE, "Body": "暖气不热"}
    internal = RequestValidator(TOKEN).compute_signature(URL, params)
    public = RequestValidator(TOKEN).compute_signature("https://heat.example.cn/twilio/sms", params)
    assert client.post(URL, data=params, headers={"X-Twilio-Signature": internal}).status_code == 403
    assert client.post(URL, data=params, headers={"X-Twilio-Signature": public}).status_code == 200


def test_without_a_token_development_accepts_the_documented_dev_token(app, client, network):
    from app.webhooks.twilio import DEV_AUTH_TOKEN

    assert app.config["TWILIO_AUTH_TOKEN"] is None
    params = {"MessageSid": "SM1", "From": RESIDENT_PHONE, "Body": "HELP"}
    signature = RequestValidator(DEV_AUTH_TOKEN).compute_signature(URL, params)
    assert client.post(URL, data=params, headers={"X-Twilio-Signature": signature}).status_code == 200


def test_without_a_token_production_refuses_every_webhook(app, client, network, monkeypatch):
    from app.webhooks.twilio import DEV_AUTH_TOKEN

    monkeypatch.setitem(app.config, "HEATDESK_ENV", "production")
    params = {"MessageSid": "SM1", "From": RESIDENT_PHONE, "Body": "HELP"}
    signature = RequestValidator(DEV_AUTH_TOKEN).compute_signature(URL, params)
    assert client.post(URL, data=params, headers={"X-Twilio-Signature": signature}).status_code == 403


# --- complaints from a known number ---------------------------------------------------------------

def test_a_text_from_a_known_number_becomes_a_complaint_at_the_accounts_flat(app, text_us, network):
    text_us("3号楼暖气不热，家里只有14度")
    [ticket] = tickets(app)
    assert ticket.channel is Channel.SMS
    assert ticket.category_id == network["category_no_heat"]
    assert ticket.account_id == network["account"] and ticket.building_id == network["building"]
    assert (ticket.unit, ticket.flat) == ("2", "301")
    assert ticket.sms_consent is True and ticket.language == "zh_Hans"
    assert ticket.description == "3号楼暖气不热，家里只有14度"


def test_the_reply_confirms_the_reference_in_chinese_within_one_segment(app, text_us):
    reply = only_reply(text_us("家里漏水了"))
    [ticket] = tickets(app)
    assert reply.startswith("【包头热力】")
    assert format_reference(ticket.reference) in reply
    assert segment_count(reply) == 1


def test_an_english_text_gets_an_english_reply_and_ticket(app, text_us, network):
    reply = only_reply(text_us("No heat in my flat since yesterday"))
    [ticket] = tickets(app)
    assert reply.startswith("[Baotou Heating] ")
    assert format_reference(ticket.reference) in reply
    assert ticket.language == "en" and ticket.category_id == network["category_no_heat"]


def test_words_we_do_not_recognise_make_an_other_complaint_for_triage(app, text_us, network):
    text_us("请尽快派人来看看")
    [ticket] = tickets(app)
    assert ticket.category_id == network["category_other"]


def test_the_confirmation_goes_out_as_the_reply_not_a_second_time(app, text_us, run_jobs, sms_sent):
    text_us("暖气不热")
    run_jobs()
    assert sms_sent == []
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "received"))
        assert message.status is MessageStatus.SENT


def test_a_replayed_message_sid_is_answered_again_without_a_second_ticket(app, text_us):
    first = text_us("暖气不热", sid="SM" + "7" * 32)
    second = text_us("暖气不热", sid="SM" + "7" * 32)
    assert second.get_data() == first.get_data()
    assert len(tickets(app)) == 1
    assert count(app, InboundMessage) == 1


# --- an unknown number ----------------------------------------------------------------------------

def test_an_unknown_number_is_asked_for_its_account_or_address(app, text_us):
    reply = only_reply(text_us("暖气不热", sender=STRANGER))
    assert reply.startswith("【包头热力】") and segment_count(reply) == 1
    assert tickets(app) == []
    with app.app_context():
        conversation = db.session.scalar(select(SmsConversation))
        assert (conversation.number, conversation.state, conversation.complaint_text) == (
            STRANGER, "awaiting_address", "暖气不热")


def test_an_account_number_answer_makes_the_complaint_with_the_first_text(app, text_us, network):
    text_us("暖气不热", sender=STRANGER)
    reply = only_reply(text_us("bt 0000 0001", sender=STRANGER))
    [ticket] = tickets(app)
    assert format_reference(ticket.reference) in reply
    assert ticket.account_id == network["account"] and ticket.phone == STRANGER
    assert ticket.description == "暖气不热" and ticket.category_id == network["category_no_heat"]
    with app.app_context():
        assert db.session.scalar(select(SmsConversation.state)) == "done"


def test_an_address_answer_finds_the_building(app, text_us, network):
    text_us("漏水", sender=STRANGER)
    text_us("昆都仑区阿尔丁小区3号楼2单元301室", sender=STRANGER)
    [ticket] = tickets(app)
    assert ticket.building_id == network["building"] and ticket.account_id == network["account"]
    assert ticket.category_id == network["category_leak"]


def test_an_address_we_cannot_place_still_makes_a_triage_ticket(app, text_us):
    text_us("暖气不热", sender=STRANGER)
    reply = only_reply(text_us("火星小区", sender=STRANGER))
    [ticket] = tickets(app)
    assert ticket.building_id is None and ticket.address_text == "火星小区"
    assert format_reference(ticket.reference) in reply


def test_a_conversation_nobody_answers_goes_to_triage_when_it_expires(app, ctx, text_us):
    from app.core.time import utcnow
    from app.webhooks.sms import expire_conversations

    text_us("暖气不热", sender=STRANGER)
    now = utcnow()
    assert expire_conversations(now) == []  # not yet expired
    later = now + timedelta(minutes=app.config["SMS_CONVERSATION_MINUTES"] + 1)
    [ticket] = expire_conversations(later)
    db.session.commit()
    assert ticket.building_id is None and ticket.district_id is None and ticket.phone == STRANGER
    assert ticket.description == "暖气不热"
    assert db.session.scalar(select(SmsConversation.state)) == "expired"


# --- commands -------------------------------------------------------------------------------------

def test_status_tells_the_latest_tickets_status_in_the_residents_language(app, text_us):
    text_us("暖气不热")
    [ticket] = tickets(app)
    reply = only_reply(text_us("查询"))
    assert format_reference(ticket.reference) in reply and reply.startswith("【包头热力】")
    english = only_reply(text_us("STATUS"))
    assert "Dispatched" in english and english.startswith("[Baotou Heating]")


def test_a_reference_with_spaces_tells_that_tickets_status(app, text_us):
    text_us("No heat")
    [ticket] = tickets(app)
    reply = only_reply(text_us(format_reference(ticket.reference)))
    assert format_reference(ticket.reference) in reply and "Dispatched" in reply


def test_someone_elses_reference_is_not_found(app, text_us):
    text_us("No heat")
    [ticket] = tickets(app)
    reply = only_reply(text_us(ticket.reference, sender=STRANGER))
    assert "no ticket" in reply.lower() and format_reference(ticket.reference) not in reply


def test_status_without_any_ticket_says_so(text_us):
    assert "no complaint" in only_reply(text_us("STATUS")).lower()


def test_help_explains_the_commands(text_us):
    reply = only_reply(text_us("HELP"))
    assert "STATUS" in reply and "STOP" in reply and segment_count(reply) == 1


def test_stop_opts_the_number_out_and_is_confirmed_once(app, text_us):
    from app.messaging.optout import is_opted_out

    assert len(replies(text_us("退订"))) == 1
    assert replies(text_us("STOP")) == []
    with app.app_context():
        assert is_opted_out(RESIDENT_PHONE)


def test_after_stop_a_complaint_is_taken_but_nothing_is_sent(app, text_us, run_jobs, sms_sent):
    text_us("STOP")
    assert replies(text_us("暖气不热")) == []
    [ticket] = tickets(app)
    assert ticket.sms_consent is False
    run_jobs()
    assert sms_sent == []
    assert count(app, OutboxMessage) == 0


def test_start_opts_the_number_back_in(app, text_us):
    from app.messaging.optout import is_opted_out

    text_us("STOP")
    assert len(replies(text_us("订阅"))) == 1
    with app.app_context():
        assert not is_opted_out(RESIDENT_PHONE)
    assert len(replies(text_us("HELP"))) == 1


# --- bad input --------------------------------------------------------------------------------------

def test_a_2000_character_text_is_kept_to_the_complaint_limit(app, text_us):
    reply = only_reply(text_us("暖气不热" + "很" * 2000))
    [ticket] = tickets(app)
    assert len(ticket.description) == 2000
    assert format_reference(ticket.reference) in reply


def test_emoji_and_mixed_chinese_english_are_taken(app, text_us, network):
    reply = only_reply(text_us("🥶🥶 radiator 不热 since 昨天 😡"))
    [ticket] = tickets(app)
    assert ticket.category_id == network["category_no_heat"] and "🥶" in ticket.description
    assert reply.startswith("【包头热力】")


def test_an_unparsable_number_gets_a_clear_reply_and_no_ticket(app, text_us):
    reply = only_reply(text_us("暖气不热", sender="not-a-number"))
    assert reply.startswith("【包头热力】")
    assert tickets(app) == []


@pytest.mark.parametrize("missing", ["MessageSid", "From"])
def test_a_request_without_its_sid_or_sender_is_refused_and_not_stored(app, client, network, twilio_token, missing):
    params = {"MessageSid": "SM1", "From": RESIDENT_PHONE, "Body": "暖气不热"}
    del params[missing]
    signature = RequestValidator(TOKEN).compute_signature(URL, params)
    response = client.post(URL, data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 400
    assert count(app, InboundMessage) == 0 and count(app, Ticket) == 0


def test_an_empty_text_gets_the_help_text_not_a_ticket(app, text_us):
    assert "STATUS" in only_reply(text_us(""))
    assert tickets(app) == []


# --- scores, end to end ---------------------------------------------------------------------------

def _resolve_latest(app, network):
    from app.auth.models import User
    from app.tickets import lifecycle
    from app.tickets.lifecycle import Actor

    with app.app_context():
        ticket = db.session.scalar(select(Ticket).order_by(Ticket.id.desc()))
        lifecycle.resolve(ticket, Actor.staff(db.session.get(User, network["wang"])), "valve_adjusted")
        db.session.commit()


def test_sms_complaint_resolved_then_rated_by_sms_is_closed_with_the_score(app, text_us, network, run_jobs, sms_sent):
    text_us("暖气不热")
    [ticket] = tickets(app)
    assert ticket.status is Status.ASSIGNED and ticket.assignee_id in (network["wang"], network["li"])
    _resolve_latest(app, network)
    run_jobs()
    assert [to for to, _body in sms_sent] == [RESIDENT_PHONE]  # the request for a score

    reply = only_reply(text_us("5 很满意"))

    [ticket] = tickets(app)
    assert ticket.status is Status.CLOSED
    assert (ticket.satisfaction_score, ticket.satisfaction_comment) == (5, "很满意")
    assert format_reference(ticket.reference) in reply
    run_jobs()
    assert len(sms_sent) == 1  # the thanks went out as the reply, not again


def test_a_low_score_reopens_the_ticket_for_a_call_back(app, text_us, network):
    text_us("暖气不热")
    _resolve_latest(app, network)
    reply = only_reply(text_us("1 还是不热"))
    [ticket] = tickets(app)
    assert ticket.status is Status.REOPENED and ticket.satisfaction_comment == "还是不热"
    assert format_reference(ticket.reference) in reply


def test_a_second_text_after_the_conversation_expired_does_not_lose_the_first(app, ctx, text_us):
    from app.core.time import utcnow

    text_us("暖气不热", sender=STRANGER)
    db.session.scalar(select(SmsConversation)).expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    text_us("漏水", sender=STRANGER)
    [ticket] = tickets(app)
    assert ticket.description == "暖气不热" and ticket.building_id is None
    assert sorted(db.session.scalars(select(SmsConversation.state))) == ["awaiting_address", "expired"]


def test_a_bare_score_with_nothing_to_rate_gets_the_help_text(app, text_us):
    assert "STATUS" in only_reply(text_us("5"))
    assert tickets(app) == []


def test_a_second_text_about_an_open_ticket_is_added_to_it_not_a_new_ticket(app, text_us):
    text_us("暖气不热")
    reply = only_reply(text_us("还是不热，家里有老人"))
    [ticket] = tickets(app)
    assert format_reference(ticket.reference) in reply
    with app.app_context():
        from app.tickets.models import TicketEvent

        calls = db.session.scalars(select(TicketEvent).where(TicketEvent.action == "call")).all()
        assert [(e.note, e.data["channel"]) for e in calls] == [("还是不热，家里有老人", "sms")]

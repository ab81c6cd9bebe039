"""POST /twilio/status: signed delivery reports that move a message forward, never back."""
from __future__ import annotations

import pytest
from sqlalchemy import select

URL = "http://heatdesk.test/twilio/status"
SID = "SM" + "a" * 32
TO = "+8613800138000"


@pytest.fixture
def sent_message(ctx):
    """A message Twilio accepted, with its SID stored."""
    from app.extensions import db
    from app.messaging.models import MessageStatus, OutboxMessage

    message = OutboxMessage(kind="received", to_number=TO, body="【包头热力】您的投诉已受理。", language="zh_Hans",
                            segments=1, status=MessageStatus.SENT, attempts=1, provider_sid=SID)
    db.session.add(message)
    db.session.commit()
    message_id = message.id
    db.session.rollback()
    return message_id


@pytest.fixture
def report(client):
    """POST one signed status callback, as Twilio would."""
    from app.webhooks.twilio import sign

    def post(status: str, sid: str = SID, error_code: str | None = None, signature: str | None = None):
        params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "1" * 32}
        if error_code:
            params["ErrorCode"] = error_code
        headers = {"X-Twilio-Signature": sign(URL, params) if signature is None else signature}
        return client.post("/twilio/status", data=params, headers=headers)

    return post


def stored(message_id):
    from app.extensions import db
    from app.messaging.models import OutboxMessage

    db.session.rollback()
    return db.session.get(OutboxMessage, message_id)


def test_delivered_is_recorded_with_its_time(report, sent_message):
    from app.messaging.models import MessageStatus

    assert report("delivered").status_code == 204
    message = stored(sent_message)
    assert message.status is MessageStatus.DELIVERED and message.delivered_at is not None


def test_the_same_callback_twice_changes_nothing_the_second_time(report, sent_message):
    report("delivered")
    first = stored(sent_message).delivered_at
    assert report("delivered").status_code == 204
    assert stored(sent_message).delivered_at == first


def test_a_late_sent_after_delivered_is_ignored(report, sent_message):
    from app.messaging.models import MessageStatus

    report("delivered")
    report("sent")
    report("queued")
    assert stored(sent_message).status is MessageStatus.DELIVERED


def test_out_of_order_callbacks_end_at_the_final_status(report, sent_message):
    from app.messaging.models import MessageStatus

    for status in ("undelivered", "sending", "sent", "delivered"):
        report(status, error_code="30003" if status == "undelivered" else None)
    message = stored(sent_message)
    assert (message.status, message.error_code) == (MessageStatus.UNDELIVERED, 30003)


def test_undelivered_stores_the_error_code(report, sent_message):
    from app.messaging.models import MessageStatus

    report("undelivered", error_code="30005")
    message = stored(sent_message)
    assert (message.status, message.error_code) == (MessageStatus.UNDELIVERED, 30005)
    assert "30005" in message.error


def test_failed_with_21610_marks_the_number_opted_out(report, sent_message):
    from app.extensions import db
    from app.messaging.models import MessageStatus, PhoneOptOut

    report("failed", error_code="21610")
    assert stored(sent_message).status is MessageStatus.FAILED
    opt_out = db.session.scalar(select(PhoneOptOut).where(PhoneOptOut.number == TO))
    assert (opt_out.opted_out, opt_out.source) == (True, "carrier")


def test_an_unknown_sid_is_acknowledged_and_ignored(report, sent_message):
    from app.messaging.models import MessageStatus

    assert report("delivered", sid="SM" + "f" * 32).status_code == 204
    assert stored(sent_message).status is MessageStatus.SENT


def test_a_bad_signature_is_refused_and_nothing_changes(report, sent_message):
    from app.messaging.models import MessageStatus

    assert report("delivered", signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert stored(sent_message).status is MessageStatus.SENT


def test_a_missing_signature_is_refused(report, sent_message):
    from app.messaging.models import MessageStatus

    assert report("delivered", signature="").status_code == 403
    assert stored(sent_message).status is MessageStatus.SENT


def test_the_signature_covers_the_public_url_when_one_is_configured(app, client, sent_message, monkeypatch):
    from app.messaging.models import MessageStatus
    from app.webhooks.twilio import sign

    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://desk.example.cn")
    params = {"MessageSid": SID, "MessageStatus": "delivered"}
    refused = client.post("/twilio/status", data=params, headers={"X-Twilio-Signature": sign(URL, params)})
    assert refused.status_code == 403
    accepted = client.post("/twilio/status", data=params, headers={
        "X-Twilio-Signature": sign("https://desk.example.cn/twilio/status", params)})
    assert accepted.status_code == 204
    assert stored(sent_message).status is MessageStatus.DELIVERED


# --- the service, without HTTP ------------------------------------------------------------------

def test_an_unknown_twilio_status_is_ignored(sent_message):
    from app.messaging.status import apply_status

    assert apply_status(SID, "exploded") == "ignored"


def test_a_message_never_sent_cannot_be_moved_by_a_callback(ctx):
    from app.messaging.status import apply_status

    assert apply_status("", "delivered") == "unknown"

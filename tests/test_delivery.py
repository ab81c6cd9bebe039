"""The delivery job drives the real twilio Client against a local fake of the Messages API."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

ACCOUNT = "AC" + "1" * 32
TOKEN = "test-auth-token"
FROM = "+8610690000"
SERVICE = "MG" + "2" * 32
TO = "+8613800138000"


class FakeMessagesApi:
    """An HTTP server on 127.0.0.1 that answers like Twilio's Messages API and records each request."""

    def __init__(self):
        self.requests: list[dict] = []
        self.replies: list[tuple[int, dict]] = []  # scripted answers, then 201 Created
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                fake.requests.append({"path": self.path, "form": form, "auth": self.headers.get("Authorization")})
                status, payload = fake.replies.pop(0) if fake.replies else (201, fake.created(form))
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def created(self, form: dict) -> dict:
        sid = f"SM{len(self.requests):032x}"
        return {"sid": sid, "account_sid": ACCOUNT, "to": form.get("To"), "from": form.get("From"),
                "body": form.get("Body"), "status": "queued", "num_segments": "1", "error_code": None}

    def fail(self, status: int, code: int | None = None, message: str = "error") -> None:
        self.replies.append((status, {"code": code, "message": message, "status": status,
                                      "more_info": f"https://www.twilio.com/docs/errors/{code}"}))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def twilio_api(app, monkeypatch):
    """The app configured for Twilio, its client's requests sent to a FakeMessagesApi."""
    from twilio.http.http_client import TwilioHttpClient

    fake = FakeMessagesApi()

    class ToFake(TwilioHttpClient):
        def request(self, method, url, *args, **kwargs):
            parts = urlsplit(url)
            return super().request(method, fake.base + parts.path + (f"?{parts.query}" if parts.query else ""),
                                   *args, **kwargs)

    for key, value in {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM_NUMBER": FROM,
                       "TWILIO_MESSAGING_SERVICE_SID": None, "PUBLIC_BASE_URL": "https://desk.example.cn",
                       "SMS_RETRY_DELAYS": (0, 0)}.items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.setitem(app.extensions, "heatdesk.twilio_http", ToFake(timeout=5))
    app.extensions.pop("heatdesk.sms", None)
    yield fake
    fake.close()


@pytest.fixture
def outbox(ctx):
    """Factory: one committed outbox message (its delivery job is enqueued on commit)."""
    from app.extensions import db
    from app.messaging.outbox import queue_sms

    def make(body: str = "【包头热力】您的投诉已受理。", to: str = TO, language: str = "zh_Hans"):
        message_id = queue_sms(to=to, body=body, language=language, kind="received").id
        db.session.commit()  # no read afterwards: an open SQLite transaction would lock out the job
        return message_id

    return make


def message(message_id):
    from app.extensions import db
    from app.messaging.models import OutboxMessage

    db.session.rollback()
    return db.session.get(OutboxMessage, message_id)


def test_the_job_sends_the_exact_request_with_a_status_callback(twilio_api, outbox, run_jobs):
    from app.messaging.models import MessageStatus

    message_id = outbox()
    run_jobs()
    [request] = twilio_api.requests
    assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert request["form"] == {"To": TO, "From": FROM, "Body": "【包头热力】您的投诉已受理。",
                               "StatusCallback": "https://desk.example.cn/twilio/status"}
    sent = message(message_id)
    assert (sent.status, sent.provider_sid, sent.attempts) == (MessageStatus.SENT, f"SM{1:032x}", 1)
    assert sent.sent_at is not None


def test_a_messaging_service_replaces_the_from_number(twilio_api, outbox, run_jobs, app, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_MESSAGING_SERVICE_SID", SERVICE)
    outbox()
    run_jobs()
    form = twilio_api.requests[0]["form"]
    assert form["MessagingServiceSid"] == SERVICE and "From" not in form


def test_without_a_public_base_url_no_status_callback_is_asked_for(twilio_api, outbox, run_jobs, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", None)
    outbox()
    run_jobs()
    assert "StatusCallback" not in twilio_api.requests[0]["form"]


def test_mixed_chinese_english_and_emoji_text_is_sent_unchanged_and_its_segments_recorded(twilio_api, outbox, run_jobs):
    body = "【包头热力】Reference BT-2026-0001 已解决 🔥 " + "请回复1-5评分。" * 12
    message_id = outbox(body=body)
    run_jobs()
    assert twilio_api.requests[0]["form"]["Body"] == body
    assert message(message_id).segments == 3


def test_a_transient_failure_is_retried_until_it_is_sent(twilio_api, outbox, run_jobs):
    from app.messaging.models import MessageStatus

    twilio_api.fail(500, None, "Internal error")
    twilio_api.fail(503, None, "Service unavailable")
    message_id = outbox()
    run_jobs()
    assert len(twilio_api.requests) == 3
    sent = message(message_id)
    assert (sent.status, sent.attempts, sent.error) == (MessageStatus.SENT, 3, None)


def test_a_retry_waits_for_its_backoff_in_rq_scheduled_registry(twilio_api, outbox, run_jobs, app, monkeypatch):
    from app.jobs.queue import get_queue
    from app.messaging.models import MessageStatus

    monkeypatch.setitem(app.config, "SMS_RETRY_DELAYS", (30, 120))
    twilio_api.fail(429, 20429, "Too many requests")
    message_id = outbox()
    run_jobs()
    scheduled = get_queue(app, "default").scheduled_job_registry.get_job_ids()
    assert scheduled == [app.config["JOB_ID_PREFIX"] + f"outbox-{message_id}-r1"]
    pending = message(message_id)
    assert (pending.status, pending.attempts) == (MessageStatus.PENDING, 1)
    assert "429" in pending.error


def test_too_many_transient_failures_fail_the_message_for_staff(twilio_api, outbox, run_jobs):
    from app.messaging.models import MessageStatus

    for _ in range(3):
        twilio_api.fail(500, None, "Internal error")
    message_id = outbox()
    run_jobs()
    failed = message(message_id)
    assert len(twilio_api.requests) == 3
    assert failed.status is MessageStatus.FAILED
    assert failed.error.startswith("too many attempts (3)")


def test_an_invalid_number_fails_at_once_with_its_error_code(twilio_api, outbox, run_jobs):
    from app.messaging.models import MessageStatus

    twilio_api.fail(400, 21211, "The 'To' number is not a valid phone number.")
    message_id = outbox()
    run_jobs()
    failed = message(message_id)
    assert len(twilio_api.requests) == 1
    assert (failed.status, failed.error_code) == (MessageStatus.FAILED, 21211)
    assert "not a valid phone number" in failed.error


def test_a_carrier_opt_out_21610_marks_the_number_and_is_never_retried(twilio_api, outbox, run_jobs):
    from app.extensions import db
    from app.messaging.models import MessageStatus, PhoneOptOut

    twilio_api.fail(400, 21610, "Attempt to send to unsubscribed recipient")
    message_id = outbox()
    run_jobs()
    assert len(twilio_api.requests) == 1
    assert (message(message_id).status, message(message_id).error_code) == (MessageStatus.FAILED, 21610)
    opt_out = db.session.scalar(select(PhoneOptOut).where(PhoneOptOut.number == TO))
    assert (opt_out.opted_out, opt_out.source) == (True, "carrier")


def test_an_opted_out_number_is_never_sent_to(twilio_api, outbox, run_jobs, ctx):
    from app.extensions import db
    from app.messaging.models import MessageStatus
    from app.messaging.outbox import opt_out

    opt_out(TO, "keyword")
    db.session.commit()
    message_id = outbox()
    run_jobs()
    assert twilio_api.requests == []
    assert (message(message_id).status, message(message_id).error) == (MessageStatus.NOT_SENT, "opted out")


def test_a_job_run_twice_sends_once(twilio_api, outbox):
    from app.messaging.delivery import deliver_message

    message_id = outbox()
    assert deliver_message(message_id) == "sent"
    assert deliver_message(message_id) == "skipped"
    assert len(twilio_api.requests) == 1


def test_a_second_job_for_a_sent_message_in_rq_sends_nothing(twilio_api, outbox, run_jobs, app):
    from app.jobs.queue import get_queue

    message_id = outbox()
    get_queue(app, "default").enqueue("app.messaging.delivery.deliver_message", message_id,
                                      job_id=app.config["JOB_ID_PREFIX"] + "duplicate")
    run_jobs()
    assert len(twilio_api.requests) == 1


def test_without_twilio_credentials_a_message_is_recorded_not_sent(outbox, run_jobs, app):
    from app.messaging.models import MessageStatus

    app.extensions.pop("heatdesk.sms", None)
    message_id = outbox()
    run_jobs()
    recorded = message(message_id)
    assert (recorded.status, recorded.error, recorded.attempts) == (MessageStatus.NOT_SENT, "not sent: no provider", 1)


def test_an_unreachable_provider_is_a_transient_failure(app, outbox, run_jobs, monkeypatch):
    from app.messaging.gateway import TwilioGateway
    from app.messaging.models import MessageStatus

    monkeypatch.setitem(app.config, "SMS_RETRY_DELAYS", (60,))
    closed_port = FakeMessagesApi()
    closed_port.close()  # nothing listens there any more: connection refused

    from twilio.http.http_client import TwilioHttpClient

    class ToNowhere(TwilioHttpClient):
        def request(self, method, url, *args, **kwargs):
            return super().request(method, closed_port.base + urlsplit(url).path, *args, **kwargs)

    monkeypatch.setitem(app.extensions, "heatdesk.sms",
                        TwilioGateway(ACCOUNT, TOKEN, FROM, None, http_client=ToNowhere(timeout=2)))
    message_id = outbox()
    run_jobs()
    pending = message(message_id)
    assert (pending.status, pending.attempts) == (MessageStatus.PENDING, 1)
    assert pending.error

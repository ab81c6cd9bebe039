"""Notifications go through the outbox: written with the ticket, delivered by a job after commit, at most once."""
from __future__ import annotations

import pytest
from redis import Redis
from sqlalchemy import select

from app.extensions import db
from app.intake.service import submit_complaint
from app.jobs.queue import get_queue
from app.messaging.delivery import deliver_message
from app.messaging.models import MessageStatus, OutboxMessage
from app.tickets.lifecycle import Actor


def messages():
    """The outbox as it is now; the read transaction is ended so other sessions (jobs) can write."""
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    for row in rows:
        db.session.expunge(row)
    db.session.rollback()
    return rows


def queued_job_ids(app) -> list[str]:
    return get_queue(app, "default").job_ids


def test_the_delivery_job_is_enqueued_only_after_commit(app, ctx, complaint):
    submit_complaint(complaint(), Actor.resident())
    db.session.flush()
    assert queued_job_ids(app) == []
    db.session.commit()
    [message] = messages()
    assert queued_job_ids(app) == [f"{app.config['JOB_ID_PREFIX']}outbox-{message.id}"]


def test_a_rolled_back_complaint_enqueues_nothing(app, ctx, complaint):
    submit_complaint(complaint(), Actor.resident())
    db.session.rollback()
    db.session.commit()
    assert queued_job_ids(app) == []
    assert messages() == []


def test_the_worker_delivers_the_message_and_stores_the_provider_id(make_ticket, run_jobs, sms_sent):
    make_ticket()
    assert run_jobs() == 1
    [message] = messages()
    assert message.status is MessageStatus.SENT
    assert message.provider_sid == "SM" + "0" * 31 + "1"
    assert message.attempts == 1 and message.sent_at is not None
    assert sms_sent == [("+8613800138000", message.body)]


def test_a_job_run_twice_sends_once(make_ticket, run_jobs, sms_sent):
    make_ticket()
    run_jobs()
    [message] = messages()
    assert deliver_message(message.id) == "skipped"
    assert len(sms_sent) == 1


def test_without_a_provider_the_message_is_recorded_as_not_sent(make_ticket, run_jobs):
    make_ticket()
    run_jobs()
    [message] = messages()
    assert message.status is MessageStatus.NOT_SENT
    assert message.error == "not sent: no provider"


def test_a_provider_error_keeps_the_message_pending_with_the_reason(app, make_ticket, run_jobs):
    class Down:
        def send(self, to, body):
            raise ConnectionError("provider unreachable")

    app.extensions["heatdesk.sms"] = Down()
    try:
        make_ticket()
        run_jobs()
    finally:
        app.extensions.pop("heatdesk.sms")
    [message] = messages()
    assert message.status is MessageStatus.PENDING
    assert message.attempts == 1
    assert "provider unreachable" in message.error


def test_with_redis_down_the_complaint_is_saved_and_the_sweep_delivers_later(app, make_ticket, run_jobs, sms_sent):
    working = app.extensions["heatdesk.redis"]
    app.extensions["heatdesk.redis"] = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    try:
        ticket = make_ticket()
    finally:
        app.extensions["heatdesk.redis"] = working
    assert ticket.id is not None
    [message] = messages()
    assert message.status is MessageStatus.PENDING
    assert run_jobs() == 0  # nothing reached the queue

    result = app.test_cli_runner().invoke(args=["outbox", "flush", "--older-than", "0"])
    assert "1 pending message(s) dispatched" in result.output
    run_jobs()
    assert messages()[0].status is MessageStatus.SENT
    assert len(sms_sent) == 1


def test_without_redis_jobs_run_inline_right_after_commit(app, make_ticket, sms_sent, monkeypatch):
    monkeypatch.delitem(app.extensions, "heatdesk.redis")
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    make_ticket()
    [message] = messages()
    assert message.status is MessageStatus.SENT
    assert len(sms_sent) == 1


def test_chinese_messages_are_counted_in_ucs2_segments():
    from app.messaging.segments import segment_count

    assert segment_count("a" * 160) == 1
    assert segment_count("a" * 161) == 2
    assert segment_count("热" * 70) == 1
    assert segment_count("热" * 71) == 2
    assert segment_count("热" * 134) == 2
    assert segment_count("热" * 135) == 3
    assert segment_count("🙏" * 35) == 1  # an emoji is two UTF-16 units
    assert segment_count("€" * 80) == 1  # GSM-7 extension characters count double


@pytest.mark.parametrize(
    ("number", "textable"),
    [("+8613800138000", True), ("+12025550143", False), ("+861065529988", False)],
)
def test_only_mobiles_in_the_region_may_be_texted(ctx, number, textable):
    from app.messaging.numbers import may_text

    assert may_text(number) is textable


def test_a_number_that_opted_out_gets_no_more_notifications(make_ticket):
    from app.messaging.models import PhoneOptOut

    db.session.add(PhoneOptOut(number="+8613800138000", opted_out=True, source="keyword"))
    db.session.commit()
    make_ticket()
    assert messages() == []


def test_the_periodic_jobs_turn_unanswered_sms_conversations_into_triage_tickets(ctx, network, now):
    from datetime import timedelta

    from app.jobs.periodic import run_periodic
    from app.messaging.models import SmsConversation
    from app.tickets.models import Ticket

    db.session.add(SmsConversation(number="+8613912345678", state="awaiting_address", language="zh_Hans",
                                   complaint_text="暖气不热", expires_at=now - timedelta(minutes=1)))
    db.session.commit()
    run_periodic(now)
    [ticket] = db.session.scalars(select(Ticket)).all()
    assert ticket.in_triage and "暖气不热" in ticket.description


def test_a_technician_is_texted_a_new_job(ctx, network, complaint):
    from app.auth.models import User
    from app.intake.service import submit_complaint
    from app.tickets.lifecycle import Actor

    for name, number in (("wang", "+8613900000001"), ("li", "+8613900000002")):
        db.session.get(User, network[name]).phone = number
    db.session.commit()
    ticket = submit_complaint(complaint(sms_consent=False), Actor.resident())
    db.session.commit()
    [message] = messages()
    assert message.kind == "new_job" and message.to_number == ticket.assignee.phone
    assert ticket.reference[:3] in message.body and "阿尔丁小区3号楼" in message.body
    assert message.segments == 1

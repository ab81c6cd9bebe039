"""The outbox relay (`flask outbox flush` and the worker's sweep): each pending row queued once."""
from __future__ import annotations

from datetime import timedelta

import pytest

TO = "+8613800138000"
LATER = timedelta(minutes=10)


@pytest.fixture
def pending(ctx):
    """Factory: a committed pending message whose delivery job was never enqueued (Redis was down)."""
    from app.extensions import db
    from app.messaging.models import MessageStatus, OutboxMessage

    def make(attempts: int = 0) -> int:
        message = OutboxMessage(kind="received", to_number=TO, body="【包头热力】您的投诉已受理。",
                                language="zh_Hans", segments=1, status=MessageStatus.PENDING, attempts=attempts)
        db.session.add(message)
        db.session.flush()
        message_id = message.id
        db.session.commit()
        return message_id

    return make


@pytest.fixture
def queue(app):
    from app.jobs.queue import get_queue

    return get_queue(app, "default")


def flush():
    from app.core.time import utcnow
    from app.messaging.relay import flush as relay_flush

    return relay_flush(now=utcnow() + LATER)


def test_a_pending_message_never_enqueued_is_enqueued_under_its_row_id(app, pending, queue):
    message_id = pending()
    assert flush().enqueued == 1
    assert queue.get_job_ids() == [app.config["JOB_ID_PREFIX"] + f"outbox-{message_id}"]


def test_flushing_twice_never_enqueues_a_row_twice(pending, queue):
    pending()
    flush()
    second = flush()
    assert (second.enqueued, second.already_queued) == (0, 1)
    assert queue.count == 1


def test_a_row_whose_job_is_already_queued_after_commit_is_not_queued_again(ctx, queue):
    from app.extensions import db
    from app.messaging.outbox import queue_sms

    queue_sms(to=TO, body="您好", language="zh_Hans", kind="received")
    db.session.commit()
    assert flush().enqueued == 0
    assert queue.count == 1


def test_a_recent_pending_message_is_left_to_its_own_job(pending, queue):
    from app.messaging.relay import flush as relay_flush

    pending()
    assert relay_flush().enqueued == 0


def test_a_message_waiting_for_its_retry_is_not_queued_again(app, pending, queue):
    from app.messaging.delivery import schedule_retry

    message_id = pending(attempts=1)
    schedule_retry(app, message_id, 1, 300)
    assert flush().enqueued == 0
    assert queue.count == 0
    assert app.config["JOB_ID_PREFIX"] + f"outbox-{message_id}-r1" in queue.scheduled_job_registry.get_job_ids()


def test_a_row_whose_job_died_is_enqueued_again(app, pending, queue, sms_sent, run_jobs):
    from rq.job import Job

    message_id = pending()
    flush()
    job = Job.fetch(app.config["JOB_ID_PREFIX"] + f"outbox-{message_id}", connection=queue.connection,
                    serializer=queue.serializer)
    queue.remove(job)
    job.set_status("failed")  # as rq leaves a job whose work horse was killed
    assert flush().enqueued == 1
    run_jobs()
    assert len(sms_sent) == 1


def test_flushed_messages_are_sent_once_by_the_worker(pending, sms_sent, run_jobs):
    pending()
    pending()
    flush()
    flush()
    run_jobs()
    assert len(sms_sent) == 2
    assert flush().enqueued == 0


def test_without_redis_the_sweep_delivers_inline(app, pending, sms_sent, monkeypatch):
    from app.messaging import relay

    monkeypatch.setattr(relay, "get_queue", lambda app, name="default": None)
    pending()
    assert flush().enqueued == 1
    assert len(sms_sent) == 1


def test_the_worker_sweep_schedules_one_next_tick_however_many_workers_ask(app, queue):
    from app.core.time import utcnow
    from app.messaging.relay import schedule_next_tick

    now = utcnow().replace(second=5)
    assert schedule_next_tick(app, now) is True
    assert schedule_next_tick(app, now.replace(second=50)) is False
    assert len(queue.scheduled_job_registry.get_job_ids()) == 1


def test_flush_starts_the_worker_sweep(app, queue, ctx):
    flush()
    assert [j for j in queue.scheduled_job_registry.get_job_ids() if "outbox-relay-" in j]


def test_a_relay_tick_sweeps_and_schedules_the_next(app, pending, queue, sms_sent, ctx):
    from app.extensions import db
    from app.messaging.models import OutboxMessage
    from app.messaging.relay import relay_tick

    message_id = pending()
    db.session.get(OutboxMessage, message_id).updated_at -= LATER
    db.session.commit()
    assert relay_tick() == 1
    assert queue.count == 1
    assert [j for j in queue.scheduled_job_registry.get_job_ids() if "outbox-relay-" in j]

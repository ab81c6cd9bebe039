"""The worker's SLA catch-up: committed round by round, each level sent once even across a crash, and
a round's events and texts written in bulk exactly as the one-at-a-time path writes them."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.orm.exc import StaleDataError

from app.auth.models import User
from app.extensions import db
from app.jobs.periodic import run_periodic
from app.jobs.queue import get_queue
from app.messaging.models import OutboxMessage
from app.messaging.outbox import queue_sms
from app.sla import escalation
from app.sla.escalation import catch_up, sweep
from app.sla.models import SlaEscalation
from app.sla.service import save_marks
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Ticket, TicketEvent

TICKETS = 5
LATE = timedelta(minutes=31)  # past the response clock's breach: a warning and a breach due on each ticket
SUPERVISOR = "+8613900000003"
MINUTE = timedelta(minutes=1)


@pytest.fixture
def phones(ctx, network):
    """Staff phones: wang and li (technicians), zhao (their supervisor)."""
    for name, number in (("wang", "+8613900000001"), ("li", "+8613900000002"), ("zhao", SUPERVISOR)):
        db.session.get(User, network[name]).phone = number
    db.session.commit()


@pytest.fixture
def small_rounds(monkeypatch):
    """Rounds of two tickets, so that five tickets take three rounds."""
    monkeypatch.setattr(escalation, "SWEEP_BATCH", 2)


@pytest.fixture
def tickets(make_ticket, phones, now):
    """Five no-heat tickets received at `now` (respond 30 min), no resident SMS."""
    return [make_ticket(at=now, sms_consent=False) for _ in range(TICKETS)]


@pytest.fixture
def commits(monkeypatch):
    """The escalations in the database at each commit of the session, in order."""
    seen: list[int] = []
    real_commit = db.session.commit

    def commit() -> None:
        seen.append(db.session.scalar(select(func.count()).select_from(SlaEscalation)))
        real_commit()

    monkeypatch.setattr(db.session, "commit", commit)
    return seen


def escalations() -> list[tuple[int, str, str]]:
    return sorted(db.session.execute(select(SlaEscalation.ticket_id, SlaEscalation.clock, SlaEscalation.level)).all())


def sla_texts() -> list[tuple[int, str, str]]:
    return sorted(db.session.execute(select(OutboxMessage.ticket_id, OutboxMessage.kind, OutboxMessage.to_number)
                                     .where(OutboxMessage.kind.like("sla_%"))).all())


def queued_job_ids(app) -> set[str]:
    return {job_id.removeprefix(app.config["JOB_ID_PREFIX"]) for job_id in get_queue(app, "default").job_ids}


def test_a_catch_up_commits_after_each_round(tickets, small_rounds, commits, now):
    assert catch_up(now + LATE) == 2 * TICKETS
    assert commits[:3] == [4, 8, 10]  # two tickets, two levels each, per round


def test_a_catch_up_sends_each_level_once(tickets, small_rounds, now):
    catch_up(now + LATE)
    assert catch_up(now + LATE + timedelta(minutes=1)) == 0
    expected = sorted((t.id, "respond", level) for t in tickets for level in ("warning", "breach"))
    assert escalations() == expected
    assert sla_texts() == sorted([(t.id, "sla_warning", t.assignee.phone) for t in tickets]
                                 + [(t.id, "sla_breach", SUPERVISOR) for t in tickets])


def test_a_crash_in_round_two_keeps_round_one_and_the_rerun_sends_the_rest_once(app, tickets, small_rounds,
                                                                                  monkeypatch, now):
    real_round, calls = escalation.sweep_round, []

    def crashing_round(*args, **kwargs):
        calls.append(1)
        result = real_round(*args, **kwargs)
        if len(calls) == 2:
            raise RuntimeError("the worker dies in round 2")
        return result

    monkeypatch.setattr(escalation, "sweep_round", crashing_round)
    run_periodic(now + LATE)  # logs the failure, rolls back round 2
    assert len(escalations()) == 4 and len(sla_texts()) == 4
    monkeypatch.setattr(escalation, "sweep_round", real_round)
    run_periodic(now + LATE)
    assert len(escalations()) == len(set(escalations())) == 2 * TICKETS
    assert len(sla_texts()) == len(set(sla_texts())) == 2 * TICKETS


def test_the_delivery_jobs_are_queued_after_each_round_commits_and_only_for_committed_rows(
        app, tickets, small_rounds, monkeypatch, now):
    real_round, earlier = escalation.sweep_round, queued_job_ids(app)  # the technicians' new-job texts
    queued_before_round: list[int] = []

    def watched_round(*args, **kwargs):
        queued_before_round.append(len(queued_job_ids(app) - earlier))
        result = real_round(*args, **kwargs)
        if len(queued_before_round) == 2:
            raise RuntimeError("the worker dies in round 2")
        return result

    monkeypatch.setattr(escalation, "sweep_round", watched_round)
    run_periodic(now + LATE)
    committed = db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.kind.like("sla_%"))).all()
    assert queued_before_round == [0, len(committed)]  # round 1's jobs went out with its commit
    assert queued_job_ids(app) - earlier == {f"outbox-{i}" for i in committed}  # round 2's never did


def test_a_round_writes_its_claims_events_texts_marks_and_report_counts_in_one_statement_each(app, tickets, now):
    writes: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        words = statement.split()
        if words[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(f"{words[0].upper()} {words[2 if words[0].upper() == 'INSERT' else 1].strip(chr(34))}")

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert sweep(now + LATE) == 2 * TICKETS
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert sorted(writes) == ["INSERT outbox_messages", "INSERT received_days", "INSERT sla_escalations",
                              "INSERT ticket_events", "UPDATE tickets"]


def test_the_marks_are_saved_with_the_version_counted_up_and_the_tickets_left_clean(tickets, now):
    ticket = tickets[0]
    version = ticket.version
    sweep(now + LATE)
    assert ticket.version == version + 1 and ticket not in db.session.dirty
    db.session.commit()
    db.session.refresh(ticket)
    on_site_warning = now + 96 * MINUTE
    assert (ticket.version, ticket.respond_met, ticket.sla_next_check_at) == (version + 1, False, on_site_warning)


def test_saving_the_marks_of_a_ticket_changed_meanwhile_fails(tickets, now):
    ticket = tickets[0]
    db.session.execute(update(Ticket.__table__).where(Ticket.__table__.c.id == ticket.id)
                       .values(version=Ticket.__table__.c.version + 1))  # another transaction's change
    ticket.sla_next_check_at = now + LATE
    with pytest.raises(StaleDataError), db.session.no_autoflush:
        save_marks([ticket])


def test_bulk_written_events_equal_what_record_writes(make_ticket, now):
    one, many = make_ticket(at=now, sms_consent=False), make_ticket(at=now, sms_consent=False)
    data, at = {"clock": "respond", "level": "warning"}, now + timedelta(minutes=25)
    lifecycle.record(one, Actor.system(), "escalate", now=at, data=data)
    lifecycle.record_many([(many, data)], Actor.system(), "escalate", now=at)
    db.session.commit()

    def last_event(ticket) -> dict:
        row = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                 .order_by(TicketEvent.id.desc()).limit(1)).one()
        return {c.key: getattr(row, c.key) for c in TicketEvent.__table__.columns if c.key not in ("id", "ticket_id")}

    assert last_event(many) == last_event(one)
    assert (many.sla_warn_at, many.sla_breach_at, many.sla_next_check_at) == (
        one.sla_warn_at, one.sla_breach_at, one.sla_next_check_at)


def test_a_timeline_read_before_the_sweep_shows_its_escalations(tickets, now):
    ticket = tickets[0]
    before = len(ticket.events)
    sweep(now + LATE)
    assert [(e.action, e.data["level"]) for e in ticket.events[before:]] == [("escalate", "warning"),
                                                                          ("escalate", "breach")]


def test_bulk_written_texts_equal_what_queue_sms_writes(app, tickets, now):
    earlier = queued_job_ids(app)  # the technicians' new-job texts
    sweep(now + timedelta(minutes=25))  # the warnings: one text to each assignee
    bulk = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "sla_warning")
                              .order_by(OutboxMessage.id).limit(1)).one()
    single = queue_sms(to=bulk.to_number, body=bulk.body, language=bulk.language, kind=bulk.kind,
                       ticket_id=bulk.ticket_id)
    db.session.flush()
    columns = [c.key for c in OutboxMessage.__table__.columns if c.key not in ("id", "created_at", "updated_at")]
    assert [getattr(bulk, c) for c in columns] == [getattr(single, c) for c in columns]
    assert bulk.created_at is not None and bulk.updated_at is not None
    assert queued_job_ids(app) == earlier  # nothing before the commit
    db.session.commit()
    texts = db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.kind == "sla_warning")).all()
    assert queued_job_ids(app) - earlier == {f"outbox-{i}" for i in texts}


def test_a_round_loads_what_it_needs_of_its_tickets_with_the_batch_not_one_by_one(tickets, now):
    db.session.expunge_all()  # tickets as the worker meets them: not in the session yet
    selects: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert sweep(now + LATE) == 2 * TICKETS
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert not [s for s in selects if "WHERE tickets.id = " in s]  # no lazy load of a ticket's columns
    assert len(selects) < 12

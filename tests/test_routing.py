"""Routing: the district's team, and its technician with the fewest open tickets, also under concurrency."""
from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db
from app.intake.service import submit_complaint
from app.tickets.lifecycle import Actor
from app.tickets.models import Ticket


def test_the_technician_with_fewer_open_tickets_gets_the_next_one(make_ticket, network):
    first = make_ticket(phone="13900000001")
    second = make_ticket(phone="13900000002")
    assert {first.assignee_id, second.assignee_id} == {network["wang"], network["li"]}


def test_closed_and_cancelled_tickets_do_not_count_as_load(make_ticket, network):
    from app.tickets import lifecycle

    busy = make_ticket(phone="13900000001")
    lifecycle.cancel(busy, Actor.system(), "重复")
    db.session.commit()
    assert make_ticket(phone="13900000002").assignee_id == busy.assignee_id


def test_an_inactive_technician_gets_nothing(make_ticket, network):
    db.session.get(User, network["wang"]).active = False
    db.session.commit()
    assert {make_ticket(phone=f"1390000000{n}").assignee_id for n in range(3)} == {network["li"]}


def test_a_team_without_technicians_keeps_the_ticket_new_in_its_queue(make_ticket, network):
    for name in ("wang", "li"):
        db.session.get(User, network[name]).active = False
    db.session.commit()
    ticket = make_ticket()
    assert ticket.team_id == network["team"]
    assert ticket.assignee_id is None and ticket.status.value == "new"


def test_a_complaint_from_another_district_goes_to_that_districts_team(make_ticket, network):
    ticket = make_ticket(district_id=network["qingshan"], building="富强小区1号楼", unit="1", flat="101")
    assert ticket.team_id == network["team_q"]
    assert ticket.assignee_id == network["sun"]


def _submit_together(app, complaint, count: int) -> list[BaseException]:
    """Submit `count` complaints from as many threads, released at the same instant."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def one(n: int) -> None:
        try:
            with app.test_request_context():
                start.wait(timeout=10)
                submit_complaint(complaint(phone=f"1391234{n:04d}"), Actor.resident())
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_concurrent_complaints_never_read_the_same_stale_load(app, network, complaint):
    errors = _submit_together(app, complaint, 8)
    assert errors == []
    with app.app_context():
        load = Counter(db.session.scalars(select(Ticket.assignee_id)))
    assert load == {network["wang"]: 4, network["li"]: 4}


def test_twenty_concurrent_writers_all_succeed(app, network, complaint):
    """On SQLite this needs WAL, a busy timeout and immediate transactions: no 'database is locked'."""
    errors = _submit_together(app, complaint, 20)
    assert errors == []
    with app.app_context():
        assert db.session.scalar(select(func.count(Ticket.id))) == 20
        assert len(set(db.session.scalars(select(Ticket.reference)))) == 20

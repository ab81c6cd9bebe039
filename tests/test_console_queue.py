"""The ticket queue (no HTTP): each filter, search (Chinese too), keyset pages, visibility."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete
from werkzeug.datastructures import MultiDict

from app.auth.models import User
from app.console.queue import (QueueFilters, decode_cursor, encode_cursor, parse_filters, queue_page,
                               sla_badge)
from app.core.errors import ValidationFailed
from app.extensions import db
from app.sla.models import SlaPolicy
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Priority

OTHER_PHONE = "139 0471 0000"


@pytest.fixture
def user(ctx, network):
    return lambda username="agent": db.session.get(User, network[username])


@pytest.fixture
def agent(user):
    return user("agent")


@pytest.fixture
def listed(agent, now):
    """The references on the first page of the agent's queue for some filters."""
    def run(who=None, at=None, **filters) -> list[str]:
        return [t.reference for t in queue_page(who or agent, QueueFilters(**filters), at or now).tickets]
    return run


@pytest.fixture
def qingshan_ticket(make_ticket, network):
    return lambda **kw: make_ticket(phone=OTHER_PHONE, name="李秀英", district_id=network["qingshan"],
                                    building="富强小区1号楼", unit="1", flat="101", **kw)


def test_the_default_queue_is_every_open_ticket_newest_first(make_ticket, listed, now):
    older = make_ticket(at=now - timedelta(hours=2))
    newer = make_ticket(at=now - timedelta(hours=1))
    closed = make_ticket(at=now - timedelta(minutes=30))
    lifecycle.cancel(closed, Actor.system(), "withdrawn")
    db.session.commit()
    assert listed() == [newer.reference, older.reference]


def test_all_shows_closed_tickets_too(make_ticket, listed):
    ticket = make_ticket()
    lifecycle.cancel(ticket, Actor.system(), "withdrawn")
    db.session.commit()
    assert listed(status="all") == [ticket.reference]


def test_a_single_status_shows_only_that_status(make_ticket, listed):
    cancelled, assigned = make_ticket(), make_ticket()
    lifecycle.cancel(cancelled, Actor.system(), "withdrawn")
    db.session.commit()
    assert listed(status="cancelled") == [cancelled.reference]
    assert listed(status="assigned") == [assigned.reference]


def test_triage_is_every_open_ticket_without_a_team(make_ticket, listed):
    make_ticket()
    lost = make_ticket(phone=OTHER_PHONE, building="不存在小区9号楼", flat="1")
    assert lost.team_id is None
    assert listed(status="triage") == [lost.reference]


def test_the_district_filter(make_ticket, qingshan_ticket, listed, network):
    kundulun, qingshan = make_ticket(), qingshan_ticket()
    assert listed(district_id=network["qingshan"]) == [qingshan.reference]
    assert listed(district_id=network["kundulun"]) == [kundulun.reference]


def test_the_team_filter(make_ticket, qingshan_ticket, listed, network):
    kundulun, qingshan = make_ticket(), qingshan_ticket()
    assert listed(team_id=network["team_q"]) == [qingshan.reference]
    assert listed(team_id=network["team"]) == [kundulun.reference]


def test_the_category_filter(make_ticket, listed, network):
    make_ticket()
    billing = make_ticket(category="billing")
    assert listed(category_id=network["category_billing"]) == [billing.reference]


def test_the_priority_filter(make_ticket, listed):
    make_ticket()  # no heat: emergency
    billing = make_ticket(category="billing")  # normal
    assert listed(priority=Priority.NORMAL) == [billing.reference]
    assert listed(priority=Priority.LOW) == []


# --- SLA -------------------------------------------------------------------------------------------

@pytest.fixture
def clocks(make_ticket, now):
    """No-heat tickets (respond 30 min, on site 2 h, resolve 24 h): one overdue, one due soon, one on time."""
    overdue = make_ticket(at=now - timedelta(minutes=45))  # respond was due 15 minutes ago
    due_soon = make_ticket(at=now - timedelta(minutes=10))  # respond due in 20 minutes
    on_time = make_ticket(at=now - timedelta(hours=5))
    lifecycle.acknowledge(on_time, Actor.system(), now=now - timedelta(hours=5))
    lifecycle.arrive(on_time, Actor.system(), now=now - timedelta(hours=4))  # resolve due in 19 hours
    db.session.commit()
    return overdue, due_soon, on_time


def test_breached_shows_open_tickets_with_a_due_time_passed_and_its_clock_not_met(clocks, listed):
    overdue, _due_soon, _on_time = clocks
    assert listed(sla="breached") == [overdue.reference]


def test_due_soon_shows_open_tickets_whose_next_due_time_is_within_the_hour(clocks, listed):
    _overdue, due_soon, _on_time = clocks
    assert listed(sla="due_soon") == [due_soon.reference]


def test_a_met_clock_is_not_breached_even_after_its_due_time(clocks, listed, now):
    _overdue, _due_soon, on_time = clocks  # it responded and arrived late? No: on time, and both are met
    assert on_time.reference not in listed(sla="breached", at=now + timedelta(hours=3))


def test_a_ticket_waiting_for_the_resident_is_neither_due_soon_nor_breached(clocks, listed, now):
    overdue, _due_soon, _on_time = clocks
    lifecycle.acknowledge(overdue, Actor.system(), now=now)
    lifecycle.wait_for_resident(overdue, Actor.system(), "not at home", now=now)
    db.session.commit()
    assert overdue.reference not in listed(sla="breached", at=now + timedelta(hours=3))
    assert overdue.reference not in listed(sla="due_soon", at=now + timedelta(minutes=90))


def test_closed_tickets_are_never_breached(clocks, listed):
    overdue, _due_soon, _on_time = clocks
    lifecycle.cancel(overdue, Actor.system(), "withdrawn")
    db.session.commit()
    assert listed(sla="breached") == []


def test_the_row_badge_follows_the_same_rule(clocks, now):
    overdue, due_soon, on_time = clocks
    assert sla_badge(overdue, now) == ("breached", overdue.respond_due_at)
    assert sla_badge(due_soon, now) == ("due_soon", due_soon.respond_due_at)
    assert sla_badge(on_time, now) == (None, on_time.resolve_due_at)


def test_soonest_due_first_puts_tickets_without_promised_times_last(clocks, make_ticket, listed, network, now):
    overdue, due_soon, on_time = clocks
    db.session.execute(delete(SlaPolicy).where(SlaPolicy.category_id == network["category_other"]))
    db.session.commit()
    no_promise = make_ticket(category="other", at=now - timedelta(hours=9))
    assert no_promise.respond_due_at is None
    assert listed(sort="due") == [overdue.reference, due_soon.reference, on_time.reference, no_promise.reference]


# --- search ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["{ref}", "{a} {b} {c}", "{a}-{b}-{c}", " {ref} ", "{wide}"])
def test_search_by_reference_in_any_spacing(make_ticket, listed, typed):
    make_ticket()
    ticket = make_ticket()
    ref = ticket.reference
    wide = ref.translate({ord("0") + i: 0xFF10 + i for i in range(10)})
    search = typed.format(ref=ref, a=ref[:3], b=ref[3:6], c=ref[6:], wide=wide)
    assert listed(search=search) == [ref]


def test_a_reference_search_finds_the_ticket_whatever_the_other_filters(make_ticket, listed, network):
    ticket = make_ticket()
    lifecycle.cancel(ticket, Actor.system(), "withdrawn")
    db.session.commit()
    assert listed(search=ticket.reference, status="open", district_id=network["qingshan"]) == [ticket.reference]


@pytest.mark.parametrize("typed", ["13904710000", "139 0471 0000", "+86 139-0471-0000", "0086 13904710000"])
def test_search_by_phone_in_any_format(make_ticket, qingshan_ticket, listed, typed):
    make_ticket()
    theirs = qingshan_ticket()
    assert listed(search=typed) == [theirs.reference]


@pytest.mark.parametrize("typed", ["秀英", "李秀英", "富强", "富强小区1号楼", "小区1号"])
def test_search_by_chinese_name_or_address_substring(make_ticket, qingshan_ticket, listed, typed):
    make_ticket()  # 张桂兰, 阿尔丁小区3号楼
    theirs = qingshan_ticket()
    assert listed(search=typed) == [theirs.reference]


def test_search_by_account_number(make_ticket, qingshan_ticket, listed):
    mine = make_ticket()
    qingshan_ticket()
    assert listed(search="bt00000001") == [mine.reference]


def test_search_is_case_blind_for_latin_names(make_ticket, listed):
    ticket = make_ticket(name="Anna Smith")
    assert listed(search="anna") == [ticket.reference]


@pytest.mark.parametrize("typed", ["%", "_", "\\"])
def test_like_wildcards_in_a_search_are_plain_characters(make_ticket, listed, typed):
    make_ticket()
    assert listed(search=typed) == []


def test_search_and_filters_combine(make_ticket, qingshan_ticket, listed, network):
    make_ticket()
    theirs = qingshan_ticket()
    assert listed(search="小区", district_id=network["qingshan"]) == [theirs.reference]


# --- pages ----------------------------------------------------------------------------------------

def test_keyset_pages_walk_forwards_and_back_without_gaps_or_repeats(make_ticket, agent, now):
    tickets = [make_ticket(at=now - timedelta(minutes=m)) for m in range(7)]  # newest is tickets[0]
    newest_first = [t.reference for t in tickets]
    pages, filters = [], QueueFilters()
    while True:
        page = queue_page(agent, filters, now, page_size=3)
        pages.append([t.reference for t in page.tickets])
        if page.next_cursor is None:
            break
        filters = QueueFilters(after=decode_cursor(page.next_cursor))
    assert pages == [newest_first[0:3], newest_first[3:6], newest_first[6:7]]
    back = queue_page(agent, QueueFilters(before=decode_cursor(page.previous_cursor)), now, page_size=3)
    assert [t.reference for t in back.tickets] == newest_first[3:6]
    first = queue_page(agent, QueueFilters(before=decode_cursor(back.previous_cursor)), now, page_size=3)
    assert [t.reference for t in first.tickets] == newest_first[0:3]
    assert first.previous_cursor is None and first.next_cursor is not None


def test_a_full_last_page_has_no_next_page(make_ticket, agent, now):
    for m in range(4):
        make_ticket(at=now - timedelta(minutes=m))
    second = queue_page(agent, QueueFilters(after=decode_cursor(
        queue_page(agent, QueueFilters(), now, page_size=2).next_cursor)), now, page_size=2)
    assert len(second.tickets) == 2 and second.next_cursor is None and second.previous_cursor is not None


def test_the_first_page_has_no_previous_page_and_an_exact_fit_no_next(make_ticket, agent, now):
    make_ticket(), make_ticket(at=now - timedelta(minutes=1))
    page = queue_page(agent, QueueFilters(), now, page_size=2)
    assert len(page.tickets) == 2 and page.next_cursor is None and page.previous_cursor is None


def test_tickets_received_at_the_same_moment_are_paged_by_id(make_ticket, agent, now):
    same = [make_ticket(at=now) for _ in range(3)]
    first = queue_page(agent, QueueFilters(), now, page_size=2)
    rest = queue_page(agent, QueueFilters(after=decode_cursor(first.next_cursor)), now, page_size=2)
    assert [t.id for t in first.tickets + rest.tickets] == sorted((t.id for t in same), reverse=True)


def test_soonest_due_first_pages_in_due_order(clocks, agent, now):
    overdue, due_soon, on_time = clocks
    first = queue_page(agent, QueueFilters(sort="due"), now, page_size=2)
    rest = queue_page(agent, QueueFilters(sort="due", after=decode_cursor(first.next_cursor)), now, page_size=2)
    assert [t.id for t in first.tickets] == [overdue.id, due_soon.id]
    assert [t.id for t in rest.tickets] == [on_time.id] and rest.next_cursor is None
    back = queue_page(agent, QueueFilters(sort="due", before=decode_cursor(rest.previous_cursor)), now, page_size=2)
    assert [t.id for t in back.tickets] == [overdue.id, due_soon.id]


def test_overdue_soonest_due_first_pages_by_the_breach_mark(make_ticket, agent, now):
    late = [make_ticket(at=now - timedelta(minutes=m)) for m in (50, 40, 35)]  # respond due 30 min after
    filters = QueueFilters(sla="breached", sort="due")
    first = queue_page(agent, filters, now, page_size=2)
    rest = queue_page(agent, QueueFilters(sla="breached", sort="due", after=decode_cursor(first.next_cursor)),
                      now, page_size=2)
    assert [t.id for t in first.tickets + rest.tickets] == [t.id for t in late]
    assert all(t.sla_breach_at == t.respond_due_at for t in first.tickets)


def test_a_new_ticket_does_not_shift_the_next_page(make_ticket, agent, now):
    tickets = [make_ticket(at=now - timedelta(minutes=m)) for m in range(1, 5)]
    first = queue_page(agent, QueueFilters(), now, page_size=2)
    make_ticket(at=now)  # arrives while the agent reads page one
    second = queue_page(agent, QueueFilters(after=decode_cursor(first.next_cursor)), now, page_size=2)
    assert [t.id for t in second.tickets] == [tickets[2].id, tickets[3].id]


def test_a_cursor_round_trips(now):
    assert decode_cursor(encode_cursor((now, 42))) == (now, 42)
    assert decode_cursor("x.1") is None and decode_cursor("1") is None and decode_cursor("9" * 19 + ".1") is None


# --- visibility ---------------------------------------------------------------------------------

def test_a_supervisor_sees_only_the_teams_districts(make_ticket, qingshan_ticket, listed, user):
    kundulun, qingshan = make_ticket(), qingshan_ticket()
    assert listed(who=user("qian"), status="all") == [qingshan.reference]
    assert listed(who=user("zhao"), status="all") == [kundulun.reference]


def test_a_supervisor_cannot_find_another_teams_ticket_by_reference_or_phone(make_ticket, listed, user):
    ticket = make_ticket()
    assert listed(who=user("qian"), search=ticket.reference) == []
    assert listed(who=user("qian"), search="138 0013 8000") == []


def test_agents_and_admins_see_every_ticket(make_ticket, qingshan_ticket, listed, user):
    make_ticket(), qingshan_ticket()
    assert len(listed()) == len(listed(who=user("admin"))) == 2


# --- reading the filters ---------------------------------------------------------------------

def test_no_filters_mean_open_tickets_newest_first(ctx, network):
    assert parse_filters(MultiDict()) == QueueFilters()


def test_good_filters_are_read(ctx, network, now):
    filters = parse_filters(MultiDict({
        "status": "triage", "district": str(network["kundulun"]), "team": str(network["team"]), "category": "leak",
        "priority": "high", "sla": "due_soon", "q": "  阿尔丁 ", "sort": "due", "after": encode_cursor((now, 7)),
    }))
    assert filters == QueueFilters(status="triage", district_id=network["kundulun"], team_id=network["team"],
                                   category_id=network["category_leak"], priority=Priority.HIGH, sla="due_soon",
                                   search="阿尔丁", sort="due", after=(now, 7))


@pytest.mark.parametrize("name, value, field", [
    ("status", "bogus", "status"), ("district", "x", "district"), ("district", "99999", "district"),
    ("team", "-1", "team"), ("category", "nope", "category"), ("priority", "urgent", "priority"),
    ("sla", "late", "sla"), ("sort", "oldest", "sort"), ("q", "x" * 101, "q"), ("q", "a\x00b", "q"),
    ("after", "not-a-cursor", "page"), ("before", "1.2.3", "page"),
])
def test_bad_filters_name_the_field(ctx, network, name, value, field):
    with pytest.raises(ValidationFailed) as failed:
        parse_filters(MultiDict({name: value}))
    assert list(failed.value.errors) == [field]

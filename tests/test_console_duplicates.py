"""Possible duplicates and taking a call (no HTTP): the same flat, clusters in a time window, add-a-call."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.console import calls
from app.console.duplicates import Place, place_from_form, possible_duplicates
from app.core.errors import IllegalTransition, ValidationFailed
from app.customers.lookup import building_key
from app.customers.models import Building
from app.extensions import db
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Channel, Ticket, TicketEvent

OTHER_PHONE = "139 0471 0000"


@pytest.fixture
def agent(ctx, network):
    return db.session.get(User, network["agent"])


@pytest.fixture
def flat(network):
    """The resident's flat, as the lookup finds it."""
    return Place(account_id=network["account"], building_id=network["building"], substation_id=network["substation"],
                 unit="2", flat="301", phone="+8613800138000")


@pytest.fixture
def neighbour(make_ticket):
    """Factory: an open ticket from another flat of the same building (another phone, no account)."""
    return lambda flat="302", **kw: make_ticket(phone=OTHER_PHONE, flat=flat, **kw)


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


# --- the same flat ----------------------------------------------------------------------------

def test_an_open_ticket_of_the_same_account_is_a_duplicate(agent, make_ticket, network, now):
    ticket = make_ticket(account_number="BT00000001", phone=OTHER_PHONE, building="", district_id=None)
    found = possible_duplicates(agent, Place(account_id=network["account"]), now)
    assert [t.id for t in found.same_flat] == [ticket.id]


def test_an_open_ticket_of_the_same_building_unit_and_flat_is_a_duplicate(agent, neighbour, network, now):
    ticket = neighbour(flat="302")
    place = Place(building_id=network["building"], unit="2", flat="302")
    assert [t.id for t in possible_duplicates(agent, place, now).same_flat] == [ticket.id]


def test_an_open_ticket_from_the_same_phone_is_a_duplicate(agent, make_ticket, now):
    ticket = make_ticket(building="不存在小区9号楼", flat="1")
    assert [t.id for t in possible_duplicates(agent, Place(phone="+8613800138000"), now).same_flat] == [ticket.id]


def test_another_flat_of_the_building_is_not_the_same_flat(agent, neighbour, flat, now):
    neighbour(flat="302")
    assert possible_duplicates(agent, flat, now).same_flat == []


@pytest.mark.parametrize("finish", ["cancel", "resolve"])
def test_tickets_no_longer_open_are_not_duplicates(agent, make_ticket, flat, now, finish):
    ticket = make_ticket()
    if finish == "cancel":
        lifecycle.cancel(ticket, Actor.system(), "withdrawn")
    else:
        lifecycle.resolve(ticket, Actor.system(), "air_bled")
    db.session.commit()
    assert not possible_duplicates(agent, flat, now)


def test_an_old_open_ticket_of_the_same_flat_is_still_a_duplicate(agent, make_ticket, flat, now):
    ticket = make_ticket(at=now - timedelta(days=3))
    assert [t.id for t in possible_duplicates(agent, flat, now).same_flat] == [ticket.id]


def test_nothing_known_about_the_place_finds_nothing(agent, make_ticket, now):
    make_ticket()
    assert not possible_duplicates(agent, Place(), now)


# --- clusters in the building or behind the substation -----------------------------------------

def test_several_recent_open_tickets_in_the_building_make_a_cluster(agent, neighbour, flat, now, network):
    neighbour("302", at=now - timedelta(hours=1))
    neighbour("303", at=now - timedelta(hours=2))
    found = possible_duplicates(agent, flat, now, hours=6, at_least=2)
    building = next(c for c in found.clusters if c.scope == "building")
    assert building.count == 2
    assert building.place_id == network["building"]
    assert len(building.recent) == 2


def test_one_ticket_is_below_the_threshold(agent, neighbour, flat, now):
    neighbour("302", at=now - timedelta(hours=1))
    assert possible_duplicates(agent, flat, now, hours=6, at_least=2).clusters == []


def test_tickets_older_than_the_window_do_not_count(agent, neighbour, flat, now):
    neighbour("302", at=now - timedelta(hours=1))
    neighbour("303", at=now - timedelta(hours=6, minutes=1))
    assert possible_duplicates(agent, flat, now, hours=6, at_least=2).clusters == []
    assert possible_duplicates(agent, flat, now, hours=7, at_least=2).clusters != []


def test_a_ticket_at_the_edge_of_the_window_counts(agent, neighbour, flat, now):
    neighbour("302", at=now - timedelta(hours=1))
    neighbour("303", at=now - timedelta(hours=6))
    assert possible_duplicates(agent, flat, now, hours=6, at_least=2).clusters != []


def test_the_window_and_threshold_come_from_the_config(agent, neighbour, flat, now, app, monkeypatch):
    neighbour("302", at=now - timedelta(hours=3))
    neighbour("303", at=now - timedelta(hours=3))
    monkeypatch.setitem(app.config, "DUPLICATE_WINDOW_HOURS", 2)
    assert possible_duplicates(agent, flat, now).clusters == []
    monkeypatch.setitem(app.config, "DUPLICATE_WINDOW_HOURS", 4)
    monkeypatch.setitem(app.config, "DUPLICATE_THRESHOLD", 3)
    assert possible_duplicates(agent, flat, now).clusters == []
    monkeypatch.setitem(app.config, "DUPLICATE_THRESHOLD", 2)
    assert possible_duplicates(agent, flat, now).window_hours == 4
    assert possible_duplicates(agent, flat, now).clusters != []


def test_closed_tickets_do_not_make_a_cluster(agent, neighbour, flat, now):
    for number in ("302", "303"):
        lifecycle.cancel(neighbour(number, at=now - timedelta(hours=1)), Actor.system(), "duplicate")
    db.session.commit()
    assert possible_duplicates(agent, flat, now, hours=6, at_least=2).clusters == []


def test_tickets_from_other_buildings_behind_the_substation_make_a_substation_cluster(agent, make_ticket, flat,
                                                                                      network, now):
    other = Building(substation_id=network["substation"], name="阿尔丁小区5号楼", key=building_key("阿尔丁小区5号楼"))
    db.session.add(other)
    db.session.commit()
    for number in ("101", "102", "103"):
        make_ticket(phone=OTHER_PHONE, building="阿尔丁小区5号楼", flat=number, at=now - timedelta(minutes=30))
    found = possible_duplicates(agent, flat, now, hours=6, at_least=2)
    assert [(c.scope, c.count) for c in found.clusters] == [("substation", 3)]
    assert found.tokens() == {f"s{network['substation']}"}


def test_a_supervisor_of_another_team_is_shown_no_duplicates_he_cannot_see(ctx, network, make_ticket, flat, now):
    make_ticket()
    qian = db.session.get(User, network["qian"])
    assert not possible_duplicates(qian, flat, now)


# --- seen warnings -------------------------------------------------------------------------------

def test_a_warning_not_yet_shown_is_unseen(agent, make_ticket, flat, now):
    ticket = make_ticket()
    found = possible_duplicates(agent, flat, now)
    assert found.tokens() == {f"t{ticket.id}"}
    assert found.unseen("")
    assert not found.unseen(f"t{ticket.id}")
    assert found.unseen("t999999")


def test_the_form_finds_the_place_the_way_intake_will(ctx, network):
    by_account = place_from_form("bt00000001", None, "", "", "", "138 0013 8000")
    by_address = place_from_form("", network["kundulun"], "阿尔丁3栋", "2单元", "301室", "")
    assert by_account == replace(by_address, phone="+8613800138000")
    assert by_address.account_id == network["account"]
    assert place_from_form("", network["kundulun"], "阿尔丁3栋", "2", "302", "").account_id is None


# --- taking the call -----------------------------------------------------------------------------

@pytest.fixture
def call(network):
    """Factory: a phone complaint from the resident about no heat."""
    return lambda **kw: calls.phone_complaint(**{
        "name": "张桂兰", "phone": "138 0013 8000", "category": "no_heat", "account_number": "BT00000001",
        "indoor_temp": "15", "description": "暖气不热", "sms_consent": True, **kw})


def test_a_call_becomes_a_phone_ticket_filed_by_the_agent(agent, call, now):
    ticket = calls.take_call(agent, call(), now=now)
    db.session.commit()
    assert ticket.channel is Channel.PHONE
    assert ticket.account_id is not None and ticket.team_id is not None
    created = ticket.events[0]
    assert (created.action, created.actor_id) == ("create", agent.id)


def test_a_second_call_for_the_same_flat_is_stopped_until_the_agent_has_seen_the_warning(agent, call, make_ticket,
                                                                                          now):
    first = make_ticket()
    with pytest.raises(calls.DuplicatesToSee) as stopped:
        calls.take_call(agent, call(), now=now)
    db.session.rollback()
    assert [t.id for t in stopped.value.duplicates.same_flat] == [first.id]
    assert count(Ticket) == 1
    second = calls.take_call(agent, call(), seen=f"t{first.id}", now=now)  # "save a new ticket anyway"
    db.session.commit()
    assert second.id != first.id and count(Ticket) == 2


def test_bad_input_saves_nothing(agent, call):
    with pytest.raises(ValidationFailed) as failed:
        calls.take_call(agent, call(phone="12", category="nonsense"))
    db.session.rollback()
    assert set(failed.value.errors) == {"phone", "category"}
    assert count(Ticket) == 0


def test_adding_a_call_records_an_event_and_makes_no_ticket(agent, make_ticket, now):
    ticket = make_ticket()
    events = count(TicketEvent)
    event = calls.add_call(agent, ticket, "  居民再次来电，仍然不热 ", now=now)
    db.session.commit()
    assert (event.action, event.actor_id, event.note) == ("call", agent.id, "居民再次来电，仍然不热")
    assert count(Ticket) == 1 and count(TicketEvent) == events + 1
    assert ticket.status.value == "assigned"  # the call changes nothing else


def test_a_call_cannot_be_added_to_a_ticket_no_longer_open(agent, make_ticket):
    ticket = make_ticket()
    lifecycle.cancel(ticket, Actor.system(), "withdrawn")
    db.session.commit()
    with pytest.raises(IllegalTransition):
        calls.add_call(agent, ticket, "")


def test_a_call_note_over_the_limit_is_refused(agent, make_ticket):
    ticket = make_ticket()
    with pytest.raises(ValidationFailed) as failed:
        calls.add_call(agent, ticket, "冷" * 2001)
    assert "note" in failed.value.errors

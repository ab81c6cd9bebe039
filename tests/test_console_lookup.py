"""Caller lookup (no HTTP): by phone in any format, by account number, by address; with the caller's tickets."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from app.auth.models import User
from app.console.lookup import LookupQuery, find_caller, parse_query
from app.core.errors import ValidationFailed
from app.extensions import db
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from tests.conftest import RESIDENT_PHONE


@pytest.fixture
def user(ctx, network):
    """Factory: one of the network's staff, by username."""
    return lambda username="agent": db.session.get(User, network[username])


@pytest.fixture
def agent(user):
    return user("agent")


@pytest.mark.parametrize("typed", ["138 0013 8000", "13800138000", "+86 138-0013-8000", "0086 138 0013 8000",
                                   "(+86) 13800138000", "１３８００１３８０００"])
def test_a_phone_in_any_format_finds_the_account(agent, network, typed):
    found = find_caller(agent, LookupQuery(key=typed))
    assert found.kind == "phone"
    assert found.phone == RESIDENT_PHONE
    assert [a.account_number for a in found.accounts] == ["BT00000001"]
    assert found.account.id == network["account"]


def test_the_lookup_shows_address_district_and_substation(agent, network):
    found = find_caller(agent, LookupQuery(key="13800138000"))
    assert found.building.id == network["building"]
    assert (found.unit, found.flat) == ("2", "301")
    assert found.district.id == network["kundulun"]
    assert found.substation.id == network["substation"]


@pytest.mark.parametrize("typed", ["BT00000001", "bt00000001", " BT00000001 ", "ＢＴ０００００００１"])
def test_an_account_number_finds_the_account(agent, network, typed):
    found = find_caller(agent, LookupQuery(key=typed))
    assert found.kind == "account"
    assert found.account.id == network["account"]
    assert found.phone is None


@pytest.mark.parametrize("building, unit, flat", [("阿尔丁小区3号楼", "2", "301"), ("阿尔丁3栋", "2单元", "301室"),
                                                  ("阿尔丁小区 3#", "２", "３０１")])
def test_an_address_finds_the_building_and_the_flats_account(agent, network, building, unit, flat):
    query = parse_query(MultiDict({"district": str(network["kundulun"]), "building": building,
                                   "unit": unit, "flat": flat}))
    found = find_caller(agent, query)
    assert found.kind == "address"
    assert found.building.id == network["building"]
    assert found.account.id == network["account"]


def test_an_address_without_a_flat_finds_the_building_only(agent, network):
    found = find_caller(agent, LookupQuery(district_id=network["kundulun"], building="阿尔丁小区3号楼"))
    assert found.building.id == network["building"]
    assert found.account is None
    assert found.substation.id == network["substation"]


def test_an_address_in_another_district_is_not_found(agent, network):
    found = find_caller(agent, LookupQuery(district_id=network["qingshan"], building="阿尔丁小区3号楼", flat="301"))
    assert found.building is None and not found.found


def test_an_unknown_phone_keeps_the_number_for_the_form(agent, network):
    found = find_caller(agent, LookupQuery(key="139 0471 0000"))
    assert found.kind == "phone" and not found.found
    assert found.prefill() == {"phone": "+8613904710000"}


def test_a_known_caller_prefills_the_whole_form(agent, network):
    values = find_caller(agent, LookupQuery(key="138 0013 8000")).prefill()
    assert values == {"phone": RESIDENT_PHONE, "name": "张桂兰", "account_number": "BT00000001",
                      "district": str(network["kundulun"]), "building": "阿尔丁小区3号楼", "unit": "2", "flat": "301"}


def test_a_lookup_by_account_prefills_the_accounts_first_phone(agent):
    assert find_caller(agent, LookupQuery(key="BT00000001")).prefill()["phone"] == RESIDENT_PHONE


@pytest.fixture
def second_flat(network, ctx):
    """Another account in the same building on the resident's phone (she pays for her mother's flat too)."""
    from app.customers.models import Building, CustomerAccount, CustomerPhone

    account = CustomerAccount(account_number="BT00000002", name="张母", building=db.session.get(Building, network["building"]),
                              unit="1", flat="101")
    account.phones.append(CustomerPhone(number=RESIDENT_PHONE))
    db.session.add(account)
    db.session.commit()
    return account


def test_a_phone_on_several_accounts_lists_them_all_and_picks_none(agent, second_flat):
    found = find_caller(agent, LookupQuery(key="13800138000"))
    assert [a.account_number for a in found.accounts] == ["BT00000001", "BT00000002"]
    assert found.account is None
    assert "account_number" not in found.prefill()


def test_the_agent_picks_one_of_several_accounts(agent, second_flat):
    found = find_caller(agent, LookupQuery(key="13800138000", pick="bt00000002"))
    assert found.account.account_number == "BT00000002"
    assert (found.unit, found.flat) == ("1", "101")


# --- the caller's tickets -----------------------------------------------------------------------

def test_open_and_past_tickets_are_found_by_account(agent, make_ticket):
    open_one = make_ticket()
    closed_one = make_ticket()
    lifecycle.cancel(closed_one, Actor.system(), "duplicate")
    db.session.commit()
    found = find_caller(agent, LookupQuery(key="BT00000001"))
    assert [t.id for t in found.open_tickets] == [open_one.id]
    assert [t.id for t in found.past_tickets] == [closed_one.id]


def test_tickets_are_found_by_phone_even_without_an_account(agent, make_ticket):
    elsewhere = make_ticket(phone="139 0471 0000", building="不存在小区9号楼", flat="1")
    found = find_caller(agent, LookupQuery(key="+86 139 0471 0000"))
    assert found.accounts == []
    assert [t.id for t in found.open_tickets] == [elsewhere.id]


def test_tickets_of_the_flat_are_found_by_address(agent, make_ticket, network):
    from_neighbour_phone = make_ticket(phone="139 0471 0000", account_number="BT00000001")
    found = find_caller(agent, LookupQuery(district_id=network["kundulun"], building="阿尔丁3栋", unit="2", flat="301"))
    assert [t.id for t in found.open_tickets] == [from_neighbour_phone.id]


def test_other_flats_tickets_are_not_the_callers(agent, make_ticket):
    make_ticket(phone="139 0471 0000", flat="302")
    found = find_caller(agent, LookupQuery(key="BT00000001"))
    assert found.open_tickets == []


def test_a_supervisor_sees_only_tickets_of_the_teams_districts(user, make_ticket):
    make_ticket()
    assert find_caller(user("qian"), LookupQuery(key="BT00000001")).open_tickets == []
    assert len(find_caller(user("zhao"), LookupQuery(key="BT00000001")).open_tickets) == 1


def test_an_empty_query_looks_nothing_up(agent):
    assert find_caller(agent, LookupQuery()).kind == ""


# --- checking what was typed -------------------------------------------------------------------

@pytest.mark.parametrize("args, field", [
    ({"building": "阿尔丁小区3号楼"}, "district"),
    ({"district": "abc", "building": "阿尔丁小区3号楼"}, "district"),
    ({"district": "999999", "building": "阿尔丁小区3号楼"}, "district"),
    ({"flat": "301"}, "building"),
    ({"q": "138\x00"}, "q"),
    ({"q": "1" * 41}, "q"),
    ({"district": "1", "building": "楼" * 101}, "building"),
])
def test_bad_lookup_input_names_the_field(ctx, network, args, field):
    with pytest.raises(ValidationFailed) as failed:
        parse_query(MultiDict(args))
    assert field in failed.value.errors


def test_good_lookup_input_is_cleaned(ctx, network):
    query = parse_query(MultiDict({"q": "  138 0013 8000 ", "district": str(network["kundulun"]),
                                   "building": "阿尔丁  3栋", "unit": "2单元", "flat": "301室"}))
    assert (query.key, query.building, query.unit, query.flat) == ("138 0013 8000", "阿尔丁 3栋", "2", "301")

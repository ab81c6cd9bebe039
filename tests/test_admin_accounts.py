"""Customer accounts: the flat, the holder and the phones intake recognises; search and pages."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.admin.accounts import AccountInput, create_account, search_accounts, update_account
from app.customers import lookup
from app.customers.models import CustomerAccount
from app.extensions import db
from tests.conftest import RESIDENT_PHONE
from tests.test_admin_access import admin, assert_refused, assert_saved, database, refused  # noqa: F401




@pytest.fixture
def account_input(network):
    def make(**overrides) -> AccountInput:
        values = dict(account_number="bt00000002", name="李秀英", district_id=network["kundulun"],
                      building="阿尔丁3栋", unit="2单元", flat="302", phones="139 1234 5678; 0472-5123456")
        values.update(overrides)
        return AccountInput(**values)

    return make


@pytest.fixture
def existing(ctx, network) -> CustomerAccount:
    return db.session.get(CustomerAccount, network["account"])


# === services =================================================================================

def test_an_account_is_created_as_intake_will_find_it(ctx, network, account_input):
    account = create_account(account_input())
    assert lookup.account_by_number("BT00000002") is account
    assert (account.building_id, account.unit, account.flat) == (network["building"], "2", "302")
    assert [p.number for p in account.phones] == ["+8613912345678", "+864725123456"]
    assert lookup.accounts_by_phone("+8613912345678") == [account]


def test_an_account_number_in_use_is_refused(ctx, network, account_input):
    assert "account_number" in refused(create_account, account_input(account_number="ＢＴ00000001"))


@pytest.mark.parametrize("number", ["", "BT 0001", "户号1", "X" * 33])
def test_an_account_number_is_letters_digits_and_dashes(ctx, network, account_input, number):
    assert "account_number" in refused(create_account, account_input(account_number=number))


def test_the_building_must_be_listed_in_the_chosen_district(ctx, network, account_input):
    assert "building" in refused(create_account, account_input(district_id=network["qingshan"]))
    assert "building" in refused(create_account, account_input(building="不存在小区9号楼"))


def test_a_district_must_be_chosen(ctx, network, account_input):
    assert "district_id" in refused(create_account, account_input(district_id=None))


def test_an_invalid_phone_is_refused_naming_it(ctx, network, account_input):
    errors = refused(create_account, account_input(phones="13912345678; 12345"))
    assert "12345" in errors["phones"]


def test_an_account_may_have_no_phone(ctx, network, account_input):
    assert create_account(account_input(phones="")).phones == []


def test_the_same_phone_twice_is_kept_once(ctx, network, account_input):
    account = create_account(account_input(phones="13912345678\n+86 139-1234-5678"))
    assert [p.number for p in account.phones] == ["+8613912345678"]


def test_at_most_five_phones(ctx, network, account_input):
    phones = ";".join(f"1391234567{n}" for n in range(6))
    assert "phones" in refused(create_account, account_input(phones=phones))


def test_an_account_is_edited_and_its_phones_replaced(ctx, network, existing, account_input):
    update_account(existing, account_input(account_number="BT00000001", name="张桂兰", phones="13912345678"))
    db.session.flush()
    assert existing.flat == "302" and [p.number for p in existing.phones] == ["+8613912345678"]


def test_an_account_keeps_its_own_number_when_edited(ctx, network, existing, account_input):
    update_account(existing, account_input(account_number="BT00000001", name="张桂英", phones=RESIDENT_PHONE))
    assert existing.name == "张桂英"


def test_a_refused_account_edit_changes_nothing(ctx, network, existing, account_input):
    refused(update_account, existing, account_input(account_number="BT00000001", phones="not a phone"))
    assert (existing.name, existing.flat) == ("张桂兰", "301")
    assert [p.number for p in existing.phones] == [RESIDENT_PHONE]


# --- search -----------------------------------------------------------------------------------

@pytest.fixture
def many(ctx, network, account_input):
    for n in range(2, 62):
        create_account(account_input(account_number=f"BT{n:08d}", name=f"住户{n}", flat=str(100 + n),
                                     phones=f"1391234{n:04d}"))
    return 61


@pytest.mark.parametrize("q", ["BT00000001", "bt0000000", "张桂", "138 0013 8000", "+8613800138000", "0013800"])
def test_accounts_are_found_by_number_name_or_phone(ctx, network, q):
    assert [a.account_number for a in search_accounts(q).items] == ["BT00000001"]


def test_a_search_that_matches_nothing_finds_nothing(ctx, network):
    assert search_accounts("王五").total == 0


def test_search_wildcards_are_taken_literally(ctx, network):
    assert search_accounts("%").total == 0 and search_accounts("_").total == 0


def test_accounts_come_a_page_at_a_time(ctx, many):
    first, second = search_accounts("", 1), search_accounts("", 2)
    assert (first.total, len(first.items), len(second.items), first.pages) == (61, 50, 11, 2)
    assert {a.id for a in first.items}.isdisjoint({a.id for a in second.items})


# === pages ====================================================================================

@pytest.fixture
def form(network):
    return {"account_number": "BT00000002", "name": "李秀英", "district_id": str(network["kundulun"]),
            "building": "阿尔丁小区3号楼", "unit": "2", "flat": "302", "phones": "13912345678"}


def test_an_account_is_added_through_the_form(app, admin, form):
    page = assert_saved(admin, "/admin/accounts/new", form)
    assert 'data-account="BT00000002"' in page.text


@pytest.mark.parametrize("bad, field", [
    ({"account_number": "BT00000001"}, "account_number"), ({"account_number": ""}, "account_number"),
    ({"name": ""}, "name"), ({"district_id": ""}, "district_id"), ({"building": "没有这栋楼"}, "building"),
    ({"phones": "13912345678\n12345"}, "phones"), ({"unit": "1" * 17}, "unit"),
])
def test_a_bad_new_account_is_refused_at_its_field(app, admin, form, bad, field):
    assert_refused(app, admin, "/admin/accounts/new", {**form, **bad}, field)


def test_an_account_is_edited_through_the_form(app, admin, network, form):
    assert_saved(admin, f"/admin/accounts/{network['account']}", {**form, "account_number": "BT00000001"})
    with database(app) as session:
        account = session.get(CustomerAccount, network["account"])
        assert account.flat == "302" and [p.number for p in account.phones] == ["+8613912345678"]


def test_a_bad_account_edit_is_refused_at_its_field(app, admin, network, form):
    assert_refused(app, admin, f"/admin/accounts/{network['account']}",
                   {**form, "account_number": "BT00000001", "phones": "call me"}, "phones")


def test_the_edit_form_starts_with_the_accounts_values(admin, network):
    from tests.test_resident_pages import Page

    page = Page(admin.get(f"/admin/accounts/{network['account']}"))
    assert (page.values["account_number"], page.values["building"], page.values["phones"]) == (
        "BT00000001", "阿尔丁小区3号楼", RESIDENT_PHONE)
    assert page.values["district_id"] == str(network["kundulun"])


def test_the_account_list_searches_by_phone(admin, network):
    page = admin.get("/admin/accounts?q=13800138000").get_data(as_text=True)
    assert 'data-account="BT00000001"' in page


def test_the_account_list_pages_through_many_accounts(app, admin, network):
    with database(app) as session:
        building = session.scalar(select(CustomerAccount)).building
        for n in range(2, 62):
            session.add(CustomerAccount(account_number=f"BT{n:08d}", name=f"住户{n}", building=building))
        session.commit()
    first = admin.get("/admin/accounts").get_data(as_text=True)
    second = admin.get("/admin/accounts?page=2").get_data(as_text=True)
    assert first.count("data-account=") == 50 and second.count("data-account=") == 11
    assert 'rel="next"' in first and 'rel="prev"' in second

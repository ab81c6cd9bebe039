"""Importing customer accounts from CSV: good rows kept, each bad row reported by line, bad files refused whole."""
from __future__ import annotations

import io
import os

import pytest
from flask_babel import gettext as t
from sqlalchemy import func, select

from app.admin import csv_import
from app.admin.csv_import import ImportRefused, import_accounts, template_csv
from app.customers import lookup
from app.customers.lookup import building_key
from app.customers.models import Building, CustomerAccount, Substation
from app.extensions import db
from tests.conftest import RESIDENT_PHONE, csrf_token_of
from tests.test_admin_access import admin, database, reference_data  # noqa: F401
from tests.test_resident_pages import Page, translated

HEADER = "account_number,name,district,building,unit,flat,phones"


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return "\r\n".join([header, *rows]).encode(encoding)


GOOD_ROWS = (
    "BT00000002,李秀英,昆都仑区,阿尔丁小区3号楼,2,302,13912345678;0472-5123456",
    "BT00000003,王建华,qingshan,富强1号楼,1,101,13712345678|13612345678",
)


def accounts_count() -> int:
    return db.session.scalar(select(func.count(CustomerAccount.id)))


def problems(report) -> list[tuple[int, str]]:
    return [(p.line, p.message) for p in report.problems]


# === good files ===============================================================================

def test_a_good_file_creates_every_account(ctx, network):
    report = import_accounts(csv_bytes(*GOOD_ROWS))
    assert (report.created, report.updated, report.skipped) == (2, 0, 0)
    account = lookup.account_by_number("BT00000003")
    assert account.building.key == building_key("富强小区1号楼")
    assert [p.number for p in account.phones] == ["+8613712345678", "+8613612345678"]


def test_a_file_with_a_byte_order_mark_is_read_as_utf8(ctx, network):
    report = import_accounts(b"\xef\xbb\xbf" + csv_bytes(*GOOD_ROWS))
    assert (report.created, report.encoding) == (2, "UTF-8")


def test_a_gb18030_file_is_read_when_it_is_not_utf8(ctx, network):
    report = import_accounts(csv_bytes(*GOOD_ROWS, encoding="gb18030"))
    assert (report.created, report.encoding) == (2, "GB18030")
    assert lookup.account_by_number("BT00000002").name == "李秀英"


def test_chinese_column_names_are_understood(ctx, network):
    report = import_accounts(csv_bytes(GOOD_ROWS[0], header="用户编号,姓名,区,楼,单元,室,电话"))
    assert report.created == 1


def test_columns_may_come_in_any_order_and_unknown_ones_are_listed(ctx, network):
    data = csv_bytes("302,李秀英,x,BT00000002,阿尔丁3栋,昆都仑区", header="flat,name,remark,account_number,building,district")
    report = import_accounts(data)
    assert report.created == 1 and report.ignored_columns == ["remark"]
    assert lookup.account_by_number("BT00000002").flat == "302"


def test_blank_lines_are_skipped_silently(ctx, network):
    report = import_accounts(csv_bytes(GOOD_ROWS[0], "", ",,,,,,", GOOD_ROWS[1]))
    assert (report.created, report.skipped) == (2, 0)


def test_the_downloadable_template_imports_as_it_is(ctx, network):
    data = template_csv()
    assert data.startswith(b"\xef\xbb\xbf" + HEADER.replace("building", "substation,building").encode())
    assert import_accounts(data).created == 1


# === bad rows =================================================================================

@pytest.mark.parametrize("row, reason", [
    (",李秀英,昆都仑区,阿尔丁小区3号楼,2,302,13912345678", "The account number is missing."),
    ("BT00000002,,昆都仑区,阿尔丁小区3号楼,2,302,13912345678", "The name is missing."),
    ("BT 2,李秀英,昆都仑区,阿尔丁小区3号楼,2,302,13912345678",
     "Use at most 32 letters, digits and '-', for example BT00012345."),
])
def test_a_row_missing_what_it_needs_is_reported_by_line_and_skipped(ctx, network, row, reason):
    report = import_accounts(csv_bytes(GOOD_ROWS[1], row))
    assert problems(report) == [(3, t(reason))]
    assert report.created == 1


def test_an_unknown_district_is_reported(ctx, network):
    report = import_accounts(csv_bytes("BT00000002,李秀英,东河区,阿尔丁小区3号楼,2,302,"))
    assert problems(report) == [(2, t("Unknown district “%(district)s”.", district="东河区"))]


def test_an_unknown_building_is_reported(ctx, network):
    report = import_accounts(csv_bytes("BT00000002,李秀英,青山区,阿尔丁小区3号楼,2,302,"))
    assert problems(report) == [(2, t("No building “%(building)s” is listed in %(district)s.",
                                      building="阿尔丁小区3号楼", district="青山区"))]


def test_an_invalid_phone_is_reported_naming_it(ctx, network):
    report = import_accounts(csv_bytes("BT00000002,李秀英,昆都仑区,阿尔丁小区3号楼,2,302,13912345678;555"))
    assert problems(report) == [(2, t("“%(phone)s” is not a valid phone number.", phone="555"))]


def test_every_reason_of_a_bad_row_is_given(ctx, network):
    report = import_accounts(csv_bytes(",,东河区,,,,"))
    assert len(report.problems) == 1 and len(report.problems[0].reasons) == 4


def test_line_numbers_count_the_lines_of_quoted_multi_line_cells(ctx, network):
    data = csv_bytes('BT00000002,"李秀英\n（户主）",昆都仑区,阿尔丁小区3号楼,2,302,', "BT00000003,王建华,火星区,富强1号楼,1,101,")
    report = import_accounts(data)
    assert [line for line, _ in problems(report)] == [4]


def test_an_account_number_twice_in_the_file_keeps_the_first_and_reports_the_second(ctx, network):
    report = import_accounts(csv_bytes(GOOD_ROWS[0], GOOD_ROWS[1], GOOD_ROWS[0].replace("李秀英", "李秀云")))
    assert problems(report) == [(4, t("This account number is already on line %(line)d of the file.", line=2))]
    assert lookup.account_by_number("BT00000002").name == "李秀英"


def test_a_duplicate_of_a_refused_row_is_still_a_duplicate(ctx, network):
    report = import_accounts(csv_bytes("BT00000002,李秀英,火星区,x,,,", GOOD_ROWS[0]))
    assert [line for line, _ in problems(report)] == [2, 3]


def test_good_rows_are_kept_while_bad_rows_are_skipped(ctx, network):
    report = import_accounts(csv_bytes(GOOD_ROWS[0], "BT00000009,赵六,火星区,x,,,", GOOD_ROWS[1]))
    assert (report.created, report.skipped) == (2, 1)
    assert accounts_count() == 3


def test_a_row_with_control_characters_is_refused(ctx, network):
    report = import_accounts(csv_bytes("BT00000002,李\x07秀英,昆都仑区,阿尔丁小区3号楼,2,302,"))
    assert report.skipped == 1


# === accounts already known ===================================================================

def test_an_existing_account_is_updated_from_the_file(ctx, network):
    report = import_accounts(csv_bytes("bt00000001,张桂兰,昆都仑区,阿尔丁小区3号楼,2,302,13912345678"))
    assert (report.created, report.updated) == (0, 1)
    account = lookup.account_by_number("BT00000001")
    assert account.flat == "302" and [p.number for p in account.phones] == ["+8613912345678"]


def test_an_existing_account_the_file_agrees_with_is_unchanged(ctx, network):
    report = import_accounts(csv_bytes(f"BT00000001,张桂兰,昆都仑区,阿尔丁小区3号楼,2,301,{RESIDENT_PHONE}"))
    assert (report.updated, report.unchanged) == (0, 1)


def test_an_empty_phones_cell_keeps_the_phones_the_desk_has(ctx, network):
    import_accounts(csv_bytes("BT00000001,张桂兰,昆都仑区,阿尔丁小区3号楼,2,302,"))
    assert [p.number for p in lookup.account_by_number("BT00000001").phones] == [RESIDENT_PHONE]


def test_existing_accounts_are_reported_when_updates_are_not_wanted(ctx, network):
    report = import_accounts(csv_bytes("BT00000001,张三,昆都仑区,阿尔丁小区3号楼,2,302,"), update_existing=False)
    assert problems(report) == [(2, t("This account already exists; it was left as it is."))]
    assert lookup.account_by_number("BT00000001").name == "张桂兰"


def test_a_substation_column_tells_apart_two_buildings_of_one_key(ctx, network):
    station = db.session.get(Substation, network["substation"])
    other = Substation(district_id=station.district_id, code="kdl-2", name="昆都仑区2号换热站")
    db.session.add(Building(substation=other, name="阿尔丁小区3号楼", key=building_key("阿尔丁小区3号楼")))
    db.session.flush()
    ambiguous = import_accounts(csv_bytes("BT00000002,李秀英,昆都仑区,阿尔丁小区3号楼,2,302,"))
    assert ambiguous.skipped == 1
    header = "account_number,name,district,substation,building"
    report = import_accounts(csv_bytes("BT00000002,李秀英,昆都仑区,kdl-2,阿尔丁小区3号楼", header=header))
    assert report.created == 1 and lookup.account_by_number("BT00000002").building.substation.code == "kdl-2"


# === files refused whole ======================================================================

def refusal(data: bytes, **kwargs) -> str:
    with pytest.raises(ImportRefused) as caught:
        import_accounts(data, **kwargs)
    return str(caught.value.message)


def test_too_many_rows_refuse_the_whole_file(ctx, network):
    message = refusal(csv_bytes(*GOOD_ROWS, "BT00000004,孙七,昆都仑区,阿尔丁小区3号楼,,,"), max_rows=2)
    assert message == t("The file has more than %(n)d accounts: split it into smaller files.", n=2)
    assert accounts_count() == 1


def test_a_file_over_the_size_limit_is_refused(ctx, network):
    assert refusal(csv_bytes(*GOOD_ROWS), max_bytes=100) == t(
        "The file is larger than %(n)d MB: split it into smaller files.", n=1)


@pytest.mark.parametrize("data", [os.urandom(4096), bytes(range(256)) * 8, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
                                  b"\xff\xd8\xff\xe0garbage\x01\x02"])
def test_binary_garbage_is_refused_as_not_a_csv_file(ctx, network, data):
    assert refusal(data) == t("This is not a CSV text file. Upload the accounts as CSV (UTF-8 or GB18030), "
                              "one account a line.")


def test_an_excel_workbook_gets_told_how_to_save_as_csv(ctx, network):
    assert "CSV UTF-8" in refusal(b"PK\x03\x04\x14\x00\x06\x00" + os.urandom(512))


def test_utf16_text_gets_told_how_to_save_as_csv(ctx, network):
    assert "UTF-16" in refusal(csv_bytes(*GOOD_ROWS, encoding="utf-16"))


@pytest.mark.parametrize("data", [b"", b"  \r\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(ctx, network, data):
    assert refusal(data) == t("The file is empty.")


def test_a_file_without_the_needed_columns_is_refused(ctx, network):
    assert "district" in refusal(csv_bytes("BT1,x", header="account_number,name"))


def test_a_broken_quote_is_refused_with_its_line(ctx, network):
    message = refusal(csv_bytes(GOOD_ROWS[0], 'BT3,"王"建华,qingshan,富强1号楼,,,'))
    assert message == t("Line %(line)d cannot be read as CSV: check its quotation marks.", line=3)


# === the page =================================================================================

def upload(client, data: bytes, filename: str = "accounts.csv", **fields):
    token = csrf_token_of(client.get("/admin/accounts/import").get_data(as_text=True))
    return client.post("/admin/accounts/import", content_type="multipart/form-data", data={
        "csrf_token": token, "update_existing": "y", **fields, "file": (io.BytesIO(data), filename)})


def shown_counts(page: Page) -> dict[str, str]:
    import re

    return dict(re.findall(r'data-count="(\w+)">(\d+)<', page.text))


def test_the_import_page_offers_the_upload_and_the_template(admin):
    page = admin.get("/admin/accounts/import").get_data(as_text=True)
    assert 'type="file"' in page and "/admin/accounts/import/template.csv" in page


def test_the_template_downloads_as_csv(admin):
    response = admin.get("/admin/accounts/import/template.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    assert response.data == template_csv()


def test_an_upload_reports_what_was_created_updated_and_skipped(app, admin):
    data = csv_bytes(*GOOD_ROWS, "BT00000001,张桂兰,昆都仑区,阿尔丁小区3号楼,2,302,", "BT9,赵六,火星区,x,,,")
    page = Page(upload(admin, data))
    assert page.status == 200
    assert shown_counts(page) == {"created": "2", "updated": "1", "unchanged": "0", "skipped": "1"}
    assert 'data-line="5"' in page.text and "火星区" in page.text
    with database(app):
        assert accounts_count() == 3


def test_checking_a_file_saves_nothing(app, admin):
    before = reference_data(app)
    page = Page(upload(admin, csv_bytes(*GOOD_ROWS), check_only="y"))
    assert shown_counts(page)["created"] == "2"
    assert reference_data(app) == before


def test_a_binary_upload_is_refused_at_the_file_field(app, admin):
    before = reference_data(app)
    page = Page(upload(admin, os.urandom(2048), filename="photo.jpg"))
    assert page.status == 422 and "file-error" in page.errors
    assert reference_data(app) == before


def test_an_upload_without_a_file_is_refused_at_the_file_field(app, admin):
    token = csrf_token_of(admin.get("/admin/accounts/import").get_data(as_text=True))
    page = Page(admin.post("/admin/accounts/import", data={"csrf_token": token}))
    assert page.status == 422 and page.errors["file-error"] == translated(app, "Please choose a CSV file.")


def test_a_file_with_too_many_rows_is_refused_at_the_file_field(app, admin, monkeypatch):
    monkeypatch.setattr(csv_import, "MAX_ROWS", 1)
    before = reference_data(app)
    page = Page(upload(admin, csv_bytes(*GOOD_ROWS)))
    assert page.status == 422
    assert page.errors["file-error"] == translated(
        app, "The file has more than %(n)d accounts: split it into smaller files.", n=1)
    assert reference_data(app) == before


def test_existing_accounts_are_left_alone_when_the_update_option_is_off(app, admin):
    page = Page(upload(admin, csv_bytes("BT00000001,张三,昆都仑区,阿尔丁小区3号楼,2,302,"), update_existing=""))
    assert shown_counts(page)["skipped"] == "1" and page.values["update_existing"] is None
    with database(app):
        assert lookup.account_by_number("BT00000001").name == "张桂兰"


def test_the_options_chosen_are_kept_when_a_file_is_refused(app, admin):
    page = Page(upload(admin, b"\x00\x01", check_only="y"))
    assert page.values["check_only"] == "y"


def test_a_file_up_to_five_mb_is_accepted_though_requests_are_limited_to_one(app, admin):
    assert app.config["MAX_CONTENT_LENGTH"] < 2 * 1024 * 1024
    padding = "\r\n" * (2 * 1024 * 1024)  # blank lines: read and skipped
    page = Page(upload(admin, csv_bytes(GOOD_ROWS[0]) + padding.encode()))
    assert page.status == 200 and shown_counts(page)["created"] == "1"


def test_a_file_over_five_mb_gets_a_clear_413(app, admin):
    before = reference_data(app)
    page = Page(upload(admin, csv_bytes(GOOD_ROWS[0]) + b" " * (csv_import.MAX_BYTES + 1)))
    assert page.status == 413
    assert page.errors["file-error"] == translated(
        app, "The file is larger than %(n)d MB: split it into smaller files.", n=5)
    assert reference_data(app) == before


def test_a_request_far_over_the_limit_gets_a_clear_413_without_being_read(app, admin):
    page = Page(upload(admin, b"x" * (6 * 1024 * 1024)))
    assert page.status == 413 and "file-error" in page.errors


def test_an_upload_without_the_csrf_token_is_refused(app, admin):
    before = reference_data(app)
    response = admin.post("/admin/accounts/import", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(csv_bytes(*GOOD_ROWS)), "a.csv")})
    assert response.status_code == 400
    assert reference_data(app) == before

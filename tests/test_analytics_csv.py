"""CSV exports: UTF-8 with a BOM for Excel, the header in the reader's language, plain numbers,
and no cell a spreadsheet would run as a formula."""
from __future__ import annotations

import csv
import io

import pytest

from app.analytics.csv_export import BOM, safe_cell
from app.extensions import db
from app.routing.models import Team
from tests.test_analytics_queries import local, shape

NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture
def admin(staff_client):
    return staff_client("admin")


@pytest.fixture
def late_ticket(make_ticket):
    """One Kundulun ticket in November whose response was late."""
    return shape(make_ticket(at=local(11, 5)), respond_met=False)


def rows_of(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM):])))


def test_an_export_is_an_attachment_named_after_report_section_and_period(admin, late_ticket):
    response = admin.get("/desk/analytics/sla.csv", query_string={**NOVEMBER, "section": "by-district"})

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="heatdesk-sla-by-district-2026-11-01-2026-11-30.csv"')


def test_the_export_starts_with_a_byte_order_mark_for_excel(admin, late_ticket):
    body = admin.get("/desk/analytics/sla.csv", query_string=NOVEMBER).get_data()

    assert body.startswith("\ufeff".encode("utf-8"))


def test_the_header_is_in_chinese_by_default(admin, late_ticket):
    header = rows_of(admin.get("/desk/analytics/sla.csv", query_string=NOVEMBER))[0]

    assert header[0] == "维修班组"
    assert header[1] == "受理工单数"


def test_the_header_is_in_english_for_english_readers(admin, late_ticket):
    admin.set_cookie("lang", "en", domain="heatdesk.test")
    header = rows_of(admin.get("/desk/analytics/sla.csv", query_string=NOVEMBER))[0]

    assert header[:3] == ["Team", "Tickets received", "Respond: met"]
    assert header[4] == "Respond: compliance (%)"


def test_numbers_are_written_unformatted_and_the_total_comes_last(admin, late_ticket):
    rows = rows_of(admin.get("/desk/analytics/sla.csv", query_string=NOVEMBER))

    team_row, total = rows[1], rows[-1]
    assert team_row[0] == "昆都仑区维修班组"
    assert team_row[1:5] == ["1", "0", "1", "0.0"]  # received, met, missed, compliance %
    assert team_row[5:8] == ["0", "0", ""]  # no on-site outcome: no compliance at all, not 0
    assert total[0] == "全部" and total[1] == "1"


def test_a_name_that_looks_like_a_formula_is_neutralised(admin, late_ticket, network, ctx):
    team = db.session.get(Team, network["team"])
    team.name = '=HYPERLINK("http://evil.example","点我")'
    db.session.commit()

    rows = rows_of(admin.get("/desk/analytics/sla.csv", query_string=NOVEMBER))

    assert rows[1][0] == "'" + '=HYPERLINK("http://evil.example","点我")'


@pytest.mark.parametrize("text", ["=1+1", "+86 138", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_text_starting_like_a_formula_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value, written", [(-2, -2), (87.5, 87.5), (None, ""), ("昆都仑区", "昆都仑区"),
                                            ("a=b", "a=b")])
def test_numbers_and_plain_text_are_written_as_they_are(value, written):
    assert safe_cell(value) == written


def test_an_unknown_section_is_not_found(admin):
    assert admin.get("/desk/analytics/sla.csv", query_string={"section": "by-weather"}).status_code == 404


def test_each_section_exports_its_own_table(admin, late_ticket):
    rows = rows_of(admin.get("/desk/analytics/satisfaction.csv", query_string={**NOVEMBER, "section": "by-month"}))

    assert [row[0] for row in rows[1:]] == ["2026-11", "全部"]  # one month, then the total
    assert len(rows[0]) == 7


def test_the_overall_rate_per_thousand_leaves_out_substations_without_accounts(admin, make_ticket, network):
    make_ticket(at=local(11, 5))  # Kundulun 1: one account
    make_ticket(at=local(11, 6), district_id=network["qingshan"], building="富强小区1号楼", unit="", flat="")

    rows = rows_of(admin.get("/desk/analytics/substations.csv", query_string=NOVEMBER))

    assert rows[1][2:] == ["1", "1", "1000.0"]
    assert rows[2][2:] == ["0", "1", ""]  # Qingshan 1: no accounts on record, no rate
    assert rows[-1][2:] == ["1", "2", "1000.0"]

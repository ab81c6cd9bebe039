"""The SLA calendars: heating seasons per year, public holidays and weekend working days (调休).

Administrators keep them; due times of tickets made afterwards are computed from them.
"""
from __future__ import annotations

import io
from datetime import date

import pytest
from flask_babel import gettext as t
from sqlalchemy import select

from app.admin.calendars import (
    DayInput,
    ImportRefused,
    SeasonInput,
    add_day,
    all_seasons,
    create_season,
    decode_upload,
    import_days,
    parse_day,
    update_season,
)
from app.extensions import db
from app.sla.models import Calendar, CalendarDay, DayKind, HeatingSeason, SlaPolicy
from tests.test_admin_access import admin, database, error_at, refused  # noqa: F401
from tests.test_resident_pages import ACCEPT, Page, translated

SATURDAY, SUNDAY, MONDAY = "2026-10-10", "2026-10-11", "2026-10-12"


def season(starts_on: str = "2026-10-15", ends_on: str = "2027-04-15") -> SeasonInput:
    return SeasonInput(starts_on=starts_on, ends_on=ends_on)


def day(day: str = "2026-10-01", kind: str = "holiday", name: str = "国庆节") -> DayInput:
    return DayInput(day=day, kind=kind, name=name)


@pytest.fixture
def this_winter(ctx) -> HeatingSeason:
    return create_season(season())


def calendar_rows(app) -> dict[str, list[tuple]]:
    """Every calendar row as plain values: equal snapshots mean nothing changed."""
    with database(app) as session:
        return {model.__tablename__: [tuple(r) for r in session.execute(
            select(*model.__table__.columns).order_by(model.__table__.c.id))]
            for model in (HeatingSeason, CalendarDay)}


def days_in_calendar() -> dict[date, tuple[DayKind, str]]:
    return {d.day: (d.kind, d.name) for d in db.session.scalars(select(CalendarDay))}


# === dates as people type them ================================================================

@pytest.mark.parametrize("text", ["2026-10-01", "2026/10/1", "2026.10.01", "2026年10月1日", "20261001",
                                  "２０２６－１０－０１", " 2026-10-01 "])
def test_a_date_is_read_in_the_ways_people_write_it(text):
    assert parse_day(text) == date(2026, 10, 1)


@pytest.mark.parametrize("text", ["", "2026-02-30", "10/01/2026", "tomorrow", "0202-10-01", "2026-10-01 08:00"])
def test_what_is_not_a_date_is_not_read_as_one(text):
    assert parse_day(text) is None


# === heating seasons ==========================================================================

def test_a_heating_season_is_created_with_its_first_and_last_day(ctx):
    record = create_season(season())
    assert (record.starts_on, record.ends_on) == (date(2026, 10, 15), date(2027, 4, 15))


def test_a_season_must_end_after_it_starts(ctx):
    assert refused(create_season, season("2026-10-15", "2026-10-01")) == {
        "ends_on": t("The last day of heating must come after the first.")}


def test_a_season_of_one_day_is_refused(ctx):
    assert set(refused(create_season, season("2026-10-15", "2026-10-15"))) == {"ends_on"}


def test_a_season_longer_than_250_days_is_refused(ctx):
    errors = refused(create_season, season("2026-10-01", "2027-06-30"))
    assert errors == {"ends_on": t("A heating season lasts at most %(n)d days; this one would last %(days)d.",
                                   n=250, days=273)}


@pytest.mark.parametrize("field, values", [("starts_on", ("2027-01-05", "2027-04-15")),
                                           ("ends_on", ("2026-12-20", "2027-07-10"))])
def test_a_season_lies_within_one_winter(ctx, field, values):
    assert refused(create_season, season(*values)) == {field: t(
        "A heating season starts between July and December and ends by 30 June of the next year.")}


def test_seasons_must_not_overlap(this_winter):
    errors = refused(create_season, season("2026-12-01", "2027-05-01"))
    assert errors == {"starts_on": t("This overlaps the heating season %(start)s to %(end)s.",
                                     start="2026-10-15", end="2027-04-15")}


def test_an_overlap_at_the_end_is_shown_at_the_last_day(this_winter):
    assert set(refused(create_season, season("2026-07-01", "2026-10-15"))) == {"ends_on"}


def test_a_season_enclosing_another_overlaps_it(this_winter):
    assert set(refused(create_season, season("2026-10-01", "2027-05-01"))) == {"starts_on"}


def test_a_season_may_end_the_day_before_another_starts(this_winter):
    assert create_season(season("2026-07-01", "2026-10-14")).ends_on == date(2026, 10, 14)


def test_a_season_edited_within_its_own_dates_does_not_overlap_itself(this_winter):
    update_season(this_winter, season("2026-10-10", "2027-04-20"))
    assert (this_winter.starts_on, this_winter.ends_on) == (date(2026, 10, 10), date(2027, 4, 20))


def test_a_refused_season_edit_changes_nothing(this_winter):
    refused(update_season, this_winter, season("2026-10-10", "2026-09-01"))
    assert (this_winter.starts_on, this_winter.ends_on) == (date(2026, 10, 15), date(2027, 4, 15))


@pytest.mark.parametrize("field, values", [("starts_on", ("", "2027-04-15")), ("starts_on", ("Oct 15", "2027-04-15")),
                                           ("ends_on", ("2026-10-15", "2027-02-30"))])
def test_a_season_needs_two_real_dates(ctx, field, values):
    assert field in refused(create_season, season(*values))


def test_seasons_are_listed_newest_first(ctx):
    create_season(season("2025-10-15", "2026-04-15"))
    create_season(season("2026-10-15", "2027-04-15"))
    assert [s.starts_on.year for s in all_seasons()] == [2026, 2025]


# === holidays and weekend working days ========================================================

def test_a_holiday_is_added_with_its_name(ctx):
    record = add_day(day())
    assert (record.day, record.kind, record.name) == (date(2026, 10, 1), DayKind.HOLIDAY, "国庆节")


def test_a_weekend_working_day_on_a_weekday_is_refused(ctx):
    errors = refused(add_day, day(MONDAY, "workday", "国庆节调休上班"))
    assert list(errors) == ["day"] and MONDAY in errors["day"]


@pytest.mark.parametrize("weekend_day", [SATURDAY, SUNDAY])
def test_a_weekend_working_day_is_a_saturday_or_sunday(ctx, weekend_day):
    assert add_day(day(weekend_day, "workday", "国庆节调休上班")).kind is DayKind.WORKDAY


def test_a_holiday_on_a_weekend_is_accepted_as_the_notice_gives_it(ctx):
    assert add_day(day("2026-10-03", "holiday", "国庆节")).day.weekday() == 5


def test_a_day_is_in_the_calendar_only_once_as_one_kind(ctx):
    add_day(day("2026-10-10", "holiday", "国庆节"))
    errors = refused(add_day, day("2026-10-10", "workday", "国庆节调休上班"))
    assert errors == {"day": t("This day is already a holiday (%(name)s): remove it first to change it.",
                               name="国庆节")}


@pytest.mark.parametrize("field, value", [("kind", "sometimes"), ("kind", ""), ("name", ""), ("name", "节" * 61),
                                          ("name", "国庆\x00节"), ("day", "")])
def test_bad_day_values_are_refused_at_their_field(ctx, field, value):
    assert field in refused(add_day, day(**{field: value}))


# === many days at once ========================================================================

PASTED = """2026-10-01,holiday,国庆节
2026-10-12,workday,国庆节调休上班
2026-10-02,holiday,国庆节
2026-10-40,holiday,国庆节
2026-10-10,workday,国庆节调休上班
"""


def test_pasted_lines_keep_the_good_ones_and_report_the_bad_by_line_number(ctx):
    report = import_days(PASTED)
    assert (report.added, report.skipped) == (3, 2)
    assert [p.line for p in report.problems] == [2, 4]
    assert set(days_in_calendar()) == {date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 10)}


def test_a_bad_line_says_why(ctx):
    problem = import_days("2026-10-12,workday,国庆节调休上班").problems[0]
    assert "2026-10-12" in problem.message and problem.text == "2026-10-12,workday,国庆节调休上班"


def test_a_day_twice_in_the_lines_is_reported_with_its_first_line(ctx):
    report = import_days("2026-10-01,holiday,国庆节\n\n2026-10-01,holiday,国庆节")
    assert [(p.line, p.message) for p in report.problems] == [
        (3, t("This day is already on line %(line)d.", line=1))]


def test_entering_the_same_days_again_changes_nothing(ctx):
    import_days(PASTED)
    again = import_days(PASTED)
    assert (again.added, again.unchanged, again.skipped) == (0, 3, 2)


def test_a_line_that_would_change_a_day_already_listed_is_reported(ctx):
    add_day(day("2026-10-10", "holiday", "国庆节"))
    report = import_days("2026-10-10,workday,国庆节调休上班")
    assert report.skipped == 1 and days_in_calendar()[date(2026, 10, 10)] == (DayKind.HOLIDAY, "国庆节")


def test_lines_copied_from_a_spreadsheet_with_a_header_and_chinese_kinds_are_read(ctx):
    report = import_days("日期\t类型\t名称\n2026年10月1日\t休\t国庆节\n2026/10/10\t班\t国庆节调休上班\n")
    assert (report.added, report.skipped) == (2, 0)
    assert days_in_calendar()[date(2026, 10, 10)] == (DayKind.WORKDAY, "国庆节调休上班")


@pytest.mark.parametrize("line", ["2026-10-01,holiday", "2026-10-01,假期,国庆节", ",holiday,国庆节",
                                  "2026-10-01,holiday,", "2026-10-01,holiday,国庆节,extra"])
def test_an_incomplete_or_unknown_line_is_reported(ctx, line):
    assert import_days(line).skipped == 1 and days_in_calendar() == {}


def test_more_lines_than_a_calendar_needs_are_refused_whole(ctx):
    with pytest.raises(ImportRefused):
        import_days("2026-10-01,holiday,国庆节\n" * 1001)
    assert days_in_calendar() == {}


@pytest.mark.parametrize("encoding, label", [("utf-8-sig", "UTF-8"), ("gb18030", "GB18030")])
def test_an_uploaded_file_is_read_in_utf8_with_a_bom_or_gb18030(ctx, encoding, label):
    assert decode_upload("date,kind,name\n2026-10-01,holiday,国庆节\n".encode(encoding)) == (
        "date,kind,name\n2026-10-01,holiday,国庆节\n", label)


def test_an_excel_workbook_is_refused_with_what_to_do(ctx):
    with pytest.raises(ImportRefused, match="CSV UTF-8"):
        decode_upload(b"PK\x03\x04" + b"\x00" * 100)


def test_a_binary_file_is_refused_in_calendar_words(ctx):
    with pytest.raises(ImportRefused) as caught:
        decode_upload(b"\x00\x01\x02binary" * 10)
    assert "每行一天：日期,类型,名称" in str(caught.value.message)  # the days, not accounts


# === the demo =================================================================================

def test_the_demo_calendar_passes_the_administrators_checks(ctx):
    from app.demo.seed import HEATING_SEASONS, HOLIDAYS_2026, WORKDAYS_2026

    for starts_on, ends_on in HEATING_SEASONS:
        create_season(season(starts_on.isoformat(), ends_on.isoformat()))
    for name, first, last in HOLIDAYS_2026:
        for n in range((last - first).days + 1):
            add_day(day(date.fromordinal(first.toordinal() + n).isoformat(), "holiday", name))
    for name, worked in WORKDAYS_2026:
        add_day(day(worked.isoformat(), "workday", name))
    kinds = [kind for kind, _name in days_in_calendar().values()]
    assert (kinds.count(DayKind.HOLIDAY), kinds.count(DayKind.WORKDAY)) == (33, 6)


def test_the_demo_seeds_the_seasons_and_the_days(ctx):
    from app.demo.seed import _calendars

    _calendars()
    assert len(all_seasons()) == 2 and len(days_in_calendar()) == 39


def test_the_demo_gives_heating_faults_the_heating_season_clock_and_leaks_round_the_clock(ctx):
    from app.demo.seed import _categories

    _categories()
    calendars = {p.category.code: p.calendar for p in db.session.scalars(select(SlaPolicy))}
    assert {code for code, calendar in calendars.items() if calendar is Calendar.HEATING_SEASON} == {
        "no_heat", "low_temperature", "radiator_noise"}
    assert calendars["leak"] is Calendar.CONTINUOUS  # a burst pipe floods a flat in July too


# === the pages ================================================================================

def post(client, path: str, data: dict, *, lang: str = "zh_Hans", token_from: str = "/admin/calendars", **kwargs):
    """POST as a browser does: with the CSRF token of the page the form is on."""
    headers = {"Accept-Language": ACCEPT[lang]}
    token = Page(client.get(token_from, headers=headers)).csrf_token
    return client.post(path, data={"csrf_token": token, **data}, headers=headers, **kwargs)


def add_season_rows(app, *ranges: tuple[date, date]) -> list[int]:
    with database(app) as session:
        records = [HeatingSeason(starts_on=a, ends_on=b) for a, b in ranges]
        session.add_all(records)
        session.commit()
        return [r.id for r in records]


def test_the_page_says_changes_apply_to_tickets_created_afterwards(app, admin):
    page = Page(admin.get("/admin/calendars"))
    assert page.status == 200 and 'data-rule="future-only"' in page.text
    assert translated(app, "A change here applies to the due times of tickets created afterwards; due times "
                           "already given are never rewritten.") in page.text


@pytest.fixture
def today(monkeypatch):
    """Set the day the calendars page takes as today."""
    from app.admin import calendar_routes

    def set_today(day: date) -> None:
        monkeypatch.setattr(calendar_routes, "_today", lambda: day)

    return set_today


def test_a_winter_without_a_season_is_pointed_out_while_the_usual_dates_apply(app, admin, today):
    today(date(2026, 11, 20))
    add_season_rows(app, (date(2025, 10, 15), date(2026, 4, 15)))
    assert 'data-gap="season"' in admin.get("/admin/calendars").get_data(as_text=True)
    add_season_rows(app, (date(2026, 10, 20), date(2027, 4, 10)))
    assert 'data-gap="season"' not in admin.get("/admin/calendars").get_data(as_text=True)


def test_the_page_says_when_today_is_outside_the_heating_season(app, admin, today):
    today(date(2026, 7, 1))
    assert 'data-today="off-season"' in admin.get("/admin/calendars").get_data(as_text=True)


def test_the_page_lists_seasons_newest_first(app, admin):
    add_season_rows(app, (date(2025, 10, 15), date(2026, 4, 15)), (date(2026, 10, 15), date(2027, 4, 15)))
    text = admin.get("/admin/calendars").get_data(as_text=True)
    assert text.index('data-season="2026-10-15"') < text.index('data-season="2025-10-15"')


def test_a_season_is_added_through_the_form(app, admin):
    response = post(admin, "/admin/calendars/seasons/new", {"starts_on": "2026-10-15", "ends_on": "2027-04-15"},
                    token_from="/admin/calendars/seasons/new")
    assert response.status_code == 302
    assert 'data-season="2026-10-15"' in admin.get(response.headers["Location"]).get_data(as_text=True)


def test_an_overlapping_season_is_refused_at_its_field_keeping_the_values_and_saving_nothing(app, admin):
    add_season_rows(app, (date(2026, 10, 15), date(2027, 4, 15)))
    before = calendar_rows(app)
    data = {"starts_on": "2026-12-01", "ends_on": "2027-05-01"}
    page = Page(post(admin, "/admin/calendars/seasons/new", data, token_from="/admin/calendars/seasons/new"))
    assert page.status == 422
    assert error_at(page, "starts_on") == translated(app, "This overlaps the heating season %(start)s to %(end)s.",
                                                     start="2026-10-15", end="2027-04-15")
    assert (page.values["starts_on"], page.values["ends_on"]) == ("2026-12-01", "2027-05-01")
    assert calendar_rows(app) == before


def test_a_season_ending_before_it_starts_is_refused_in_english_too(app, admin):
    page = Page(post(admin, "/admin/calendars/seasons/new", {"starts_on": "2026-10-15", "ends_on": "2026-04-15"},
                     lang="en", token_from="/admin/calendars/seasons/new"))
    assert page.status == 422 and page.lang == "en"
    assert error_at(page, "ends_on") == translated(app, "The last day of heating must come after the first.", "en")


def test_a_season_is_edited_through_the_form(app, admin):
    [season_id] = add_season_rows(app, (date(2026, 10, 15), date(2027, 4, 15)))
    path = f"/admin/calendars/seasons/{season_id}"
    assert Page(admin.get(path)).values["starts_on"] == "2026-10-15"
    assert post(admin, path, {"starts_on": "2026-10-08", "ends_on": "2027-04-15"}, token_from=path).status_code == 302
    with database(app) as session:
        assert session.get(HeatingSeason, season_id).starts_on == date(2026, 10, 8)


def test_a_season_is_deleted(app, admin):
    [season_id] = add_season_rows(app, (date(2026, 10, 15), date(2027, 4, 15)))
    assert post(admin, f"/admin/calendars/seasons/{season_id}/delete", {}).status_code == 302
    assert calendar_rows(app)["heating_seasons"] == []


def test_a_day_is_added_through_the_form_and_shown_in_its_year(app, admin):
    response = post(admin, "/admin/calendars/days?year=2026", {"day": SATURDAY, "kind": "workday",
                                                               "name": "国庆节调休上班"})
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert f'data-day="{SATURDAY}" data-kind="workday"' in page


def test_a_weekend_working_day_on_a_weekday_is_refused_at_the_date_keeping_the_values(app, admin):
    before = calendar_rows(app)
    data = {"day": MONDAY, "kind": "workday", "name": "国庆节调休上班"}
    page = Page(post(admin, "/admin/calendars/days?year=2026", data))
    assert page.status == 422 and MONDAY in error_at(page, "day")
    assert {k: page.values[k] for k in data} == data
    assert calendar_rows(app) == before


def test_the_year_selector_shows_the_days_of_the_chosen_year_only(app, admin):
    with database(app) as session:
        session.add_all([CalendarDay(day=date(2026, 10, 1), kind=DayKind.HOLIDAY, name="国庆节"),
                         CalendarDay(day=date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦")])
        session.commit()
    page = admin.get("/admin/calendars?year=2027").get_data(as_text=True)
    assert 'data-day="2027-01-01"' in page and 'data-day="2026-10-01"' not in page
    assert 'data-year="2026"' in page


@pytest.mark.parametrize("year", ["abc", "99999", "1066", "-1", ""])
def test_a_strange_year_in_the_address_shows_this_year(admin, year):
    assert admin.get(f"/admin/calendars?year={year}").status_code == 200


def test_a_day_is_removed(app, admin):
    with database(app) as session:
        record = CalendarDay(day=date(2026, 10, 1), kind=DayKind.HOLIDAY, name="国庆节")
        session.add(record)
        session.commit()
        day_id = record.id
    assert post(admin, f"/admin/calendars/days/{day_id}/delete", {}).status_code == 302
    assert calendar_rows(app)["calendar_days"] == []


def test_pasted_lines_are_reported_line_by_line_on_the_page(app, admin):
    page = Page(post(admin, "/admin/calendars/days/import", {"lines": PASTED},
                     token_from="/admin/calendars/days/import"))
    assert page.status == 200
    assert 'data-line="2"' in page.text and 'data-line="4"' in page.text
    assert 'data-count="added">3<' in page.text
    assert len(calendar_rows(app)["calendar_days"]) == 3


def test_an_uploaded_csv_is_added(app, admin):
    data = {"lines": "", "file": (io.BytesIO("date,kind,name\n2026-10-01,holiday,国庆节\n".encode("utf-8-sig")),
                                  "holidays.csv")}
    page = Page(post(admin, "/admin/calendars/days/import", data, token_from="/admin/calendars/days/import",
                     content_type="multipart/form-data"))
    assert page.status == 200 and 'data-count="added">1<' in page.text


def test_checking_the_lines_saves_nothing(app, admin):
    page = Page(post(admin, "/admin/calendars/days/import", {"lines": PASTED, "check_only": "y"},
                     token_from="/admin/calendars/days/import"))
    assert 'data-count="added">3<' in page.text and calendar_rows(app)["calendar_days"] == []


def test_nothing_to_add_is_refused_with_a_message(app, admin):
    page = Page(post(admin, "/admin/calendars/days/import", {"lines": "  \n"},
                     token_from="/admin/calendars/days/import"))
    assert page.status == 422 and "import-error" in page.errors


@pytest.mark.parametrize("username", ["agent", "zhao"])
def test_only_administrators_may_change_the_calendars(app, staff_client, username):
    other = staff_client(username)
    token = Page(other.get("/report")).csrf_token
    before = calendar_rows(app)
    for path, data in [("/admin/calendars/days", {"day": SATURDAY, "kind": "workday", "name": "x"}),
                       ("/admin/calendars/seasons/new", {"starts_on": "2026-10-15", "ends_on": "2027-04-15"}),
                       ("/admin/calendars/days/import", {"lines": PASTED})]:
        assert other.post(path, data={"csrf_token": token, **data}).status_code == 403, path
    assert other.get("/admin/calendars").status_code == 403
    assert calendar_rows(app) == before


@pytest.mark.parametrize("value", ["\x00", "9" * 5000, "‮١٢٣", "-1"])
def test_odd_values_in_the_calendar_forms_are_refused_cleanly(app, admin, value):
    before = calendar_rows(app)
    fields = {"starts_on": value, "ends_on": value, "day": value, "kind": value, "name": value}
    assert post(admin, "/admin/calendars/seasons/new", fields,
                token_from="/admin/calendars/seasons/new").status_code == 422
    assert post(admin, "/admin/calendars/days", fields).status_code == 422
    assert post(admin, "/admin/calendars/days/import", {"lines": value},
                token_from="/admin/calendars/days/import").status_code in (200, 422)
    assert calendar_rows(app) == before


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
def test_the_policy_form_offers_the_heating_season_clock(app, admin, lang):
    page = admin.get("/admin/sla-policies/new", headers={"Accept-Language": ACCEPT[lang]}).get_data(as_text=True)
    label = translated(app, "Heating season: round the clock; otherwise working hours", lang)
    assert f'<option value="heating_season">{label}</option>' in page

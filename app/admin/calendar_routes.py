"""Administration routes of the SLA calendars: heating seasons, public holidays and weekend working days.

Part of the admin blueprint (declared in `app.admin.routes`, which imports this module). Views are
thin: the service `app.admin.calendars` judges and saves, the view commits once. A refusal shows
each message at its field with what was typed, answers 422 and changes nothing.
"""
from __future__ import annotations

import logging
from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_date, gettext as _, lazy_gettext as _l
from flask_login import current_user

from app.admin import calendars
from app.admin.calendar_forms import DayForm, DayImportForm, SeasonForm
from app.admin.forms import input_from
from app.admin.routes import ADMIN, _data, _form_page, _show_errors, bp
from app.core.access import roles_required
from app.core.errors import ValidationFailed
from app.core.time import company_zone, utcnow
from app.extensions import db
from app.sla.models import CalendarDay, DayKind, HeatingSeason
from app.sla.service import working_hours

log = logging.getLogger(__name__)

KIND_LABELS = {
    DayKind.HOLIDAY: _l("Public holiday (day off)"),
    DayKind.WORKDAY: _l("Weekend working day"),
}


def _audit(what: str, *details: object) -> None:
    """Calendar changes move every later due time: keep who changed what in the application log."""
    log.info("calendar: %s %s by %s", what, " ".join(str(d) for d in details), current_user.username)


def _today() -> date:
    return utcnow().astimezone(company_zone()).date()


def _day_form(values: dict | None = None, formdata: bool = True) -> DayForm:
    form = DayForm(data=values or {}) if formdata else DayForm(formdata=None, data=values or {})
    form.kind.choices = [("", _("Choose a kind"))] + [(k.value, str(KIND_LABELS[k])) for k in DayKind]
    return form


def _calendars_page(year: int, day_form: DayForm | None = None, status: int = 200):
    today = _today()
    years = sorted(set(calendars.years_to_show(today)) | {year})
    seasons = calendars.all_seasons()
    hours = working_hours()  # as the due-time maths reads the calendar
    (start_month, start_day), (end_month, end_day) = hours.usual_season
    return render_template(
        "admin/calendars.html", year=year, years=years, seasons=seasons, days=calendars.days_of_year(year),
        day_form=day_form or _day_form({"kind": ""}, formdata=False), kind_labels=KIND_LABELS,
        season_days=calendars.season_days, weekday=calendars.weekday_name,
        current_season=next((s for s in seasons if s.starts_on <= today <= s.ends_on), None),
        heating_today=hours.in_heating_season(today),
        usual_start=format_date(date(2000, start_month, start_day), "MMMd"),
        usual_end=format_date(date(2000, end_month, end_day), "MMMd"),
    ), status


@bp.get("/calendars")
@roles_required(ADMIN)
def calendars_page():
    return _calendars_page(calendars.check_year(request.args.get("year"), _today().year))


# --- heating seasons --------------------------------------------------------------------------

@bp.route("/calendars/seasons/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_season():
    form = SeasonForm()

    def saved(season: HeatingSeason) -> tuple[str, str]:
        _audit("season added", season.starts_on, season.ends_on)
        return (_("Heating season %(start)s to %(end)s added.", start=season.starts_on.isoformat(),
                  end=season.ends_on.isoformat()), url_for("admin.calendars_page"))

    return _form_page(form, lambda: calendars.create_season(input_from(form, calendars.SeasonInput)), saved,
                      title=_("New heating season"), back=url_for("admin.calendars_page"))


@bp.route("/calendars/seasons/<int:season_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def season(season_id: int):
    record = db.get_or_404(HeatingSeason, season_id)
    was = (record.starts_on, record.ends_on)
    form = SeasonForm(data=_data({"starts_on": record.starts_on.isoformat(), "ends_on": record.ends_on.isoformat()}))

    def saved(_result: None) -> tuple[str, str]:
        _audit("season changed", *was, "to", record.starts_on, record.ends_on)
        return (_("Heating season %(start)s to %(end)s saved.", start=record.starts_on.isoformat(),
                  end=record.ends_on.isoformat()), url_for("admin.calendars_page"))

    return _form_page(form, lambda: calendars.update_season(record, input_from(form, calendars.SeasonInput)), saved,
                      title=_("Heating season %(start)s to %(end)s", start=was[0].isoformat(),
                              end=was[1].isoformat()),
                      back=url_for("admin.calendars_page"))


@bp.post("/calendars/seasons/<int:season_id>/delete")
@roles_required(ADMIN)
def delete_season(season_id: int):
    record = db.get_or_404(HeatingSeason, season_id)
    starts_on, ends_on = record.starts_on, record.ends_on
    calendars.delete_season(record)
    db.session.commit()
    _audit("season deleted", starts_on, ends_on)
    flash(_("Heating season %(start)s to %(end)s deleted.", start=starts_on.isoformat(), end=ends_on.isoformat()),
          "success")
    return redirect(url_for("admin.calendars_page"))


# --- holidays and weekend working days --------------------------------------------------------

@bp.post("/calendars/days")
@roles_required(ADMIN)
def add_day():
    form = _day_form()
    year = calendars.check_year(request.args.get("year"), _today().year)
    if not form.validate_on_submit():
        return _calendars_page(year, form, 422)
    try:
        record = calendars.add_day(input_from(form, calendars.DayInput))
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        _show_errors(form, error.errors)
        return _calendars_page(year, form, 422)
    _audit("day added", record.day, record.kind.value, record.name)
    flash(_("%(day)s added: %(kind)s, %(name)s.", day=record.day.isoformat(), kind=KIND_LABELS[record.kind],
            name=record.name), "success")
    return redirect(url_for("admin.calendars_page", year=record.day.year, _anchor="days"))


@bp.post("/calendars/days/<int:day_id>/delete")
@roles_required(ADMIN)
def remove_day(day_id: int):
    record = db.get_or_404(CalendarDay, day_id)
    day, kind, name = record.day, record.kind, record.name
    calendars.remove_day(record)
    db.session.commit()
    _audit("day removed", day, kind.value, name)
    flash(_("%(day)s (%(name)s) removed from the calendar.", day=day.isoformat(), name=name), "success")
    return redirect(url_for("admin.calendars_page", year=day.year, _anchor="days"))


@bp.route("/calendars/days/import", methods=["GET", "POST"])
@roles_required(ADMIN)
def import_days():
    form = DayImportForm()
    if request.method == "GET":
        return _import_page(form)
    if not form.validate_on_submit():
        return _import_page(form), 422
    upload = request.files.get("file")
    try:
        if upload is not None and upload.filename:
            text, encoding = calendars.decode_upload(upload.read(calendars.MAX_BYTES + 1))
        else:
            text, encoding = (form.lines.data or "")[:calendars.MAX_BYTES], "UTF-8"
        report = calendars.import_days(text, encoding)
    except calendars.ImportRefused as error:
        db.session.rollback()
        return _import_page(form, error=str(error.message)), 422
    if form.check_only.data:
        db.session.rollback()
    else:
        db.session.commit()
        if report.added:
            _audit("days imported", report.added)
    return _import_page(form, report=report, checked_only=bool(form.check_only.data))


def _import_page(form: DayImportForm, error: str | None = None, report: calendars.DayImportReport | None = None,
                 checked_only: bool = False):
    return render_template("admin/calendar_import.html", form=form, error=error, report=report,
                           checked_only=checked_only, max_lines=calendars.MAX_LINES,
                           max_kb=calendars.MAX_BYTES // 1024)

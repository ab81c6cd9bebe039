"""Report pages and their CSV exports, for supervisors (their team's and districts' tickets) and
administrators (all). One page per report, each a few aggregate queries; the filters travel in
the query string so a page or an export can be bookmarked and shared.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.analytics import csv_export
from app.analytics.filters import FilterOptions, ReportFilters, filter_options, parse_filters
from app.analytics.forms import ReportFilterForm
from app.analytics.sections import REPORTS, Names, Report
from app.core.access import roles_required
from app.core.errors import ValidationFailed
from app.core.i18n import current_language
from app.core.time import company_zone, utcnow

bp = Blueprint("analytics", __name__, url_prefix="/desk/analytics")

REPORT_ROLES = ("supervisor", "admin")

# (endpoint, label, roles): the staff navigation links this feature contributes.
NAV: list = [("analytics.sla", _l("Reports"), REPORT_ROLES)]

FILTER_NAMES = ("start", "end", "team", "district", "category", "categories")


@bp.get("/")
@roles_required(*REPORT_ROLES)
def index():
    return redirect(url_for("analytics.sla", **_typed_filters()))


@bp.get("/sla")
@roles_required(*REPORT_ROLES)
def sla():
    return _page(REPORTS["sla"])


@bp.get("/sla.csv")
@roles_required(*REPORT_ROLES)
def sla_csv():
    return _export(REPORTS["sla"])


@bp.get("/times")
@roles_required(*REPORT_ROLES)
def times():
    return _page(REPORTS["times"])


@bp.get("/times.csv")
@roles_required(*REPORT_ROLES)
def times_csv():
    return _export(REPORTS["times"])


@bp.get("/satisfaction")
@roles_required(*REPORT_ROLES)
def satisfaction():
    return _page(REPORTS["satisfaction"])


@bp.get("/satisfaction.csv")
@roles_required(*REPORT_ROLES)
def satisfaction_csv():
    return _export(REPORTS["satisfaction"])


@bp.get("/reopens")
@roles_required(*REPORT_ROLES)
def reopens():
    return _page(REPORTS["reopens"])


@bp.get("/reopens.csv")
@roles_required(*REPORT_ROLES)
def reopens_csv():
    return _export(REPORTS["reopens"])


@bp.get("/substations")
@roles_required(*REPORT_ROLES)
def substations():
    return _page(REPORTS["substations"])


@bp.get("/substations.csv")
@roles_required(*REPORT_ROLES)
def substations_csv():
    return _export(REPORTS["substations"])


# --- helpers ----------------------------------------------------------------------------------------

def _typed_filters() -> dict[str, str]:
    return {name: request.args[name][:20] for name in FILTER_NAMES if request.args.get(name)}


def _read() -> tuple[ReportFilterForm, FilterOptions, ReportFilters | None]:
    """The form as typed and the filters it means, or the error naming what is wrong."""
    user = current_user._get_current_object()
    options = filter_options(user)
    form = ReportFilterForm(formdata=request.args)
    _choices(form, options)
    zone = company_zone()
    try:
        filters = parse_filters(request.args, options, utcnow().astimezone(zone).date(), zone)
    except ValidationFailed as error:
        for name, message in error.errors.items():
            getattr(form, name).errors = [str(message)]
        return form, options, None
    form.start.data = filters.period.first_day.isoformat()  # an empty field shows the default it stood for
    form.end.data = filters.period.last_day.isoformat()
    return form, options, filters


def _refused(report: Report, form: ReportFilterForm):
    """The page with the filters as typed and what is wrong with them, and no numbers."""
    return render_template("analytics/report.html", report=report, reports=REPORTS, form=form, sections=None,
                           link_args=_typed_filters()), 400


def _page(report: Report):
    form, options, filters = _read()
    if filters is None:
        return _refused(report, form)
    sections = report.build(current_user._get_current_object(), filters, Names(options))
    return render_template("analytics/report.html", report=report, reports=REPORTS, form=form, filters=filters,
                           sections=sections, summary=report.summary(sections) if report.summary else None,
                           link_args=_link_args(filters))


def _export(report: Report):
    form, options, filters = _read()
    if filters is None:
        return _refused(report, form)
    sections = report.build(current_user._get_current_object(), filters, Names(options))
    wanted = request.args.get("section") or sections[0].key
    section = next((s for s in sections if s.key == wanted), None)
    if section is None:
        abort(404)
    name = csv_export.filename(report.key, section.key, filters.period.first_day, filters.period.last_day)
    return Response(csv_export.section_csv(section), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Content-Language": "en" if current_language() == "en" else "zh-Hans"})


def _link_args(filters: ReportFilters) -> dict[str, str]:
    """The filters as query arguments, with the period's actual days: a link keeps the same period tomorrow."""
    args = {"start": filters.period.first_day.isoformat(), "end": filters.period.last_day.isoformat()}
    for name, value in (("team", filters.team_id), ("district", filters.district_id),
                        ("category", filters.category_id)):
        if value is not None:
            args[name] = str(value)
    if filters.all_categories:
        args["categories"] = "all"
    return args


def _choices(form: ReportFilterForm, options: FilterOptions) -> None:
    locale = current_language()
    form.team.choices = [SelectChoice("", _("Any team"))] + [
        SelectChoice(str(t.id), t.display_name(locale)) for t in options.teams]
    form.district.choices = [SelectChoice("", _("Any district"))] + [
        SelectChoice(str(d.id), d.display_name(locale)) for d in options.districts]
    form.category.choices = [SelectChoice("", _("Any problem"))] + [
        SelectChoice(str(c.id), c.display_name(locale)) for c in options.categories]
    form.categories.choices = [SelectChoice("heating", _("Heating only (no heat, low temperature)")),
                               SelectChoice("all", _("Every problem"))]

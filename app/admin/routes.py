"""Administration routes: reference data and staff accounts, for administrators only.

Views are thin: they fill a service's input from a form, call the service and commit once. A
refusal shows each message at its field with what was typed, answers 422 and changes nothing.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app.admin import accounts, categories, csv_import, network, teams, users
from app.admin.forms import (
    AccountForm,
    BuildingForm,
    CategoryForm,
    DistrictForm,
    ImportForm,
    NewUserForm,
    PasswordForm,
    PolicyForm,
    SubstationForm,
    TeamForm,
    UserForm,
    as_id,
    input_from,
)
from app.admin.overview import overview
from app.admin.paging import page_number
from app.auth.models import Role, User
from app.auth.service import sign_in
from app.core.access import roles_required
from app.core.errors import DomainError, ValidationFailed
from app.core.i18n import current_language
from app.core.text import clean_text
from app.customers.models import Building, CustomerAccount, District, Substation
from app.extensions import csrf, db
from app.routing.models import Team
from app.sla.models import Calendar, SlaPolicy
from app.tickets.labels import PRIORITY_LABELS
from app.tickets.models import Category, Priority

bp = Blueprint("admin", __name__, url_prefix="/admin")

# (endpoint, label, roles): the staff navigation links this feature contributes.
NAV: list = [("admin.index", _l("Administration"), ("admin",))]

ADMIN = "admin"
UPLOAD_OVERHEAD = 64 * 1024  # multipart boundaries and the other fields around the file

ROLE_LABELS = {
    Role.AGENT: _l("Agent"),
    Role.TECHNICIAN: _l("Technician"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.ADMIN: _l("Administrator"),
}
CALENDAR_LABELS = {
    Calendar.CONTINUOUS: _l("Round the clock"),
    Calendar.BUSINESS: _l("Working hours"),
    Calendar.HEATING_SEASON: _l("Heating season: round the clock; otherwise working hours"),
}
SECTIONS = [
    ("admin.districts", _l("Districts")),
    ("admin.substations", _l("Substations")),
    ("admin.buildings", _l("Buildings")),
    ("admin.teams", _l("Teams")),
    ("admin.users", _l("Users")),
    ("admin.categories", _l("Categories")),
    ("admin.policies", _l("SLA policies")),
    ("admin.calendars_page", _l("SLA calendars")),
    ("admin.accounts", _l("Customer accounts")),
    ("admin.import_accounts", _l("Import accounts")),
]


def duration(minutes: int | None) -> str:
    """Minutes as people read them: 30 min, 2 h, 1 h 30 min."""
    if not minutes:
        return "—"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(n)d min", n=rest)
    if not rest:
        return _("%(n)d h", n=hours)
    return _("%(h)d h %(m)d min", h=hours, m=rest)


@bp.context_processor
def _admin_helpers() -> dict[str, Any]:
    return {"admin_sections": SECTIONS, "duration": duration, "role_labels": ROLE_LABELS,
            "calendar_labels": CALENDAR_LABELS, "priority_labels": PRIORITY_LABELS}


# --- the shared form flow ---------------------------------------------------------------------

def _show_errors(form, errors: dict) -> list[str]:
    """Put each message at its field; messages for no field of this form are returned."""
    elsewhere = []
    for name, message in errors.items():
        if name in form:
            form[name].errors = [str(message)]
        else:
            elsewhere.append(str(message))
    return elsewhere


def _form_page(form, save: Callable[[], Any], saved: Callable[[Any], tuple[str, str]], *,
               template: str = "admin/form.html", **context: Any):
    """GET: the form. POST: save; on refusal the form again with the messages at their fields, 422."""
    problems: list[str] = []
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                result = save()
                db.session.commit()
            except ValidationFailed as error:
                db.session.rollback()
                problems = _show_errors(form, error.errors)
            except DomainError as error:
                db.session.rollback()
                problems = [str(error.message)]
            else:
                message, target = saved(result)
                flash(message, "success")
                return redirect(target)
        return render_template(template, form=form, problems=problems, **context), 422
    return render_template(template, form=form, problems=problems, **context)


def _data(values: dict[str, Any]) -> dict[str, Any] | None:
    """Initial values for a form on GET; on POST the form holds what was typed."""
    return values if request.method == "GET" else None


def _locale() -> str:
    return current_language()


def _district_choices(placeholder: bool = True) -> list[tuple[str, str]]:
    head = [("", _("Choose a district"))] if placeholder else []
    return head + [(str(d.id), d.display_name(_locale())) for d in network.all_districts()]


# --- home -------------------------------------------------------------------------------------

@bp.get("/")
@roles_required(ADMIN)
def index():
    return render_template("admin/index.html", overview=overview())


# --- districts --------------------------------------------------------------------------------

@bp.get("/districts")
@roles_required(ADMIN)
def districts():
    return render_template("admin/districts.html", districts=network.all_districts(),
                           served_by=teams.district_teams())


@bp.route("/districts/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_district():
    form = DistrictForm()
    return _form_page(
        form, lambda: network.create_district(input_from(form, network.DistrictInput)),
        lambda d: (_("District %(name)s added.", name=d.name), url_for("admin.districts")),
        title=_("New district"), back=url_for("admin.districts"))


@bp.route("/districts/<int:district_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def district(district_id: int):
    record = db.get_or_404(District, district_id)
    form = DistrictForm(data=_data({"code": record.code, "name": record.name, "name_en": record.name_en}))
    return _form_page(
        form, lambda: network.update_district(record, input_from(form, network.DistrictInput)),
        lambda _r: (_("District %(name)s saved.", name=record.name), url_for("admin.districts")),
        title=_("District %(name)s", name=record.name), back=url_for("admin.districts"))


# --- substations ------------------------------------------------------------------------------

@bp.get("/substations")
@roles_required(ADMIN)
def substations():
    return render_template("admin/substations.html", rows=network.substations_with_counts())


def _substation_form(values: dict | None = None) -> SubstationForm:
    form = SubstationForm(data=_data(values or {}))
    form.district_id.choices = _district_choices()
    return form


@bp.route("/substations/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_substation():
    form = _substation_form({"district_id": request.args.get("district", "")[:10]})
    return _form_page(
        form, lambda: network.create_substation(input_from(form, network.SubstationInput)),
        lambda s: (_("Substation %(name)s added.", name=s.name), url_for("admin.substations")),
        title=_("New substation"), back=url_for("admin.substations"))


@bp.route("/substations/<int:substation_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def substation(substation_id: int):
    record = db.get_or_404(Substation, substation_id)
    form = _substation_form({"district_id": str(record.district_id), "code": record.code, "name": record.name})
    return _form_page(
        form, lambda: network.update_substation(record, input_from(form, network.SubstationInput)),
        lambda _r: (_("Substation %(name)s saved.", name=record.name), url_for("admin.substations")),
        title=_("Substation %(name)s", name=record.name), back=url_for("admin.substations"))


# --- buildings --------------------------------------------------------------------------------

@bp.get("/buildings")
@roles_required(ADMIN)
def buildings():
    q = clean_text(request.args.get("q", ""))[:100]
    district_id = as_id(request.args.get("district", ""))
    paged = network.search_buildings(q, district_id, page_number(request.args.get("page")))
    return render_template("admin/buildings.html", paged=paged, q=q, district_id=district_id,
                           district_choices=_district_choices(placeholder=False))


def _building_form(values: dict | None = None) -> BuildingForm:
    form = BuildingForm(data=_data(values or {}))
    form.substation_id.choices = [("", _("Choose a substation"))] + [
        (str(s.id), f"{district.display_name(_locale())} · {s.name} ({s.code})")
        for district, stations in network.substation_choices() for s in stations]
    return form


@bp.route("/buildings/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_building():
    form = _building_form({"substation_id": request.args.get("substation", "")[:10]})
    return _form_page(
        form, lambda: network.create_building(input_from(form, network.BuildingInput)),
        lambda b: (_("Building %(name)s added.", name=b.name), url_for("admin.buildings", q=b.name)),
        title=_("New building"), back=url_for("admin.buildings"))


@bp.route("/buildings/<int:building_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def building(building_id: int):
    record = db.get_or_404(Building, building_id)
    form = _building_form({"substation_id": str(record.substation_id), "name": record.name,
                           "street_address": record.street_address})
    return _form_page(
        form, lambda: network.update_building(record, input_from(form, network.BuildingInput)),
        lambda _r: (_("Building %(name)s saved.", name=record.name), url_for("admin.buildings", q=record.name)),
        title=_("Building %(name)s", name=record.name), back=url_for("admin.buildings"),
        facts=[(_("Key (how intake recognises it)"), record.key)])


# --- teams ------------------------------------------------------------------------------------

@bp.get("/teams", endpoint="teams")
@roles_required(ADMIN)
def teams_list():
    return render_template("admin/teams.html", rows=teams.teams_overview())


def _team_form(values: dict | None = None, team_id: int | None = None) -> TeamForm:
    form = TeamForm(data=_data(values or {}))
    served = {d: t for d, t in teams.district_teams().items() if t.id != team_id}  # by other teams
    form.district_ids.choices = [
        (value, label + (f" ({served[int(value)].display_name(_locale())})" if int(value) in served else ""))
        for value, label in _district_choices(placeholder=False)]
    return form


@bp.route("/teams/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_team():
    form = _team_form()
    return _form_page(
        form, lambda: teams.create_team(input_from(form, teams.TeamInput)),
        lambda t: (_("Team %(name)s added.", name=t.name), url_for("admin.teams")),
        title=_("New team"), back=url_for("admin.teams"))


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def team(team_id: int):
    record = db.get_or_404(Team, team_id)
    form = _team_form({"name": record.name, "name_en": record.name_en,
                       "district_ids": [str(d.id) for d in record.districts]}, team_id=record.id)
    members = [(_("Members"), ", ".join(f"{u.full_name} ({ROLE_LABELS[u.role]})" for u in record.members
                                          if u.active) or "—")]
    return _form_page(
        form, lambda: teams.update_team(record, input_from(form, teams.TeamInput)),
        lambda _r: (_("Team %(name)s saved.", name=record.name), url_for("admin.teams")),
        title=_("Team %(name)s", name=record.name), back=url_for("admin.teams"), facts=members)


# --- users ------------------------------------------------------------------------------------

@bp.get("/users", endpoint="users")
@roles_required(ADMIN)
def users_list():
    return render_template("admin/users.html", users=users.all_users())


def _user_choices(form: UserForm) -> None:
    form.role.choices = [("", _("Choose a role"))] + [(r.value, str(ROLE_LABELS[r])) for r in Role]
    form.team_id.choices = [("", _("No team"))] + [
        (str(t.id), t.display_name(_locale())) for t in db.session.scalars(db.select(Team).order_by(Team.id))]


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_user():
    form = NewUserForm()
    _user_choices(form)
    return _form_page(
        form, lambda: users.create_user(input_from(form, users.NewUserInput)),
        lambda u: (_("User %(name)s added.", name=u.username), url_for("admin.user", user_id=u.id)),
        title=_("New user"), back=url_for("admin.users"))


def _user_page(record: User, form: UserForm | None = None, password_form: PasswordForm | None = None,
               problems: list[str] | None = None):
    if form is None:
        form = UserForm(formdata=None, data=_user_values(record))
        _user_choices(form)
    return render_template("admin/user.html", user=record, form=form,
                           password_form=password_form or PasswordForm(formdata=None),
                           open_tickets=users.open_tickets_of(record), problems=problems or [],
                           is_self=record.id == current_user.id)


def _user_values(record: User) -> dict[str, Any]:
    return {"family_name": record.family_name, "given_name": record.given_name, "role": record.role.value,
            "team_id": str(record.team_id or ""), "phone": record.phone or ""}


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def user(user_id: int):
    record = db.get_or_404(User, user_id)
    form = UserForm(data=_data(_user_values(record)))
    _user_choices(form)
    if request.method == "GET" or not form.validate_on_submit():
        return _user_page(record, form), 200 if request.method == "GET" else 422
    try:
        users.update_user(record, input_from(form, users.UserInput), by=current_user._get_current_object())
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        return _user_page(record, form, problems=_show_errors(form, error.errors)), 422
    flash(_("User %(name)s saved.", name=record.username), "success")
    return redirect(url_for("admin.user", user_id=record.id))


@bp.post("/users/<int:user_id>/password")
@roles_required(ADMIN)
def user_password(user_id: int):
    record = db.get_or_404(User, user_id)
    form = PasswordForm()
    if not form.validate_on_submit():
        return _user_page(record, password_form=form), 422
    try:
        users.reset_password(record, form.password.data or "", form.password_confirm.data or "")
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        return _user_page(record, password_form=form, problems=_show_errors(form, error.errors)), 422
    if record.id == current_user.id:
        sign_in(record)  # the new password ended every session: keep this one going
    flash(_("New password set for %(name)s. Their sessions have ended.", name=record.username), "success")
    return redirect(url_for("admin.user", user_id=record.id))


@bp.post("/users/<int:user_id>/deactivate")
@roles_required(ADMIN)
def deactivate_user(user_id: int):
    record = db.get_or_404(User, user_id)
    try:
        open_tickets = users.deactivate_user(record, by=current_user._get_current_object())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _user_page(record, problems=[str(error.message)]), 422
    flash(_("%(name)s can no longer sign in and is signed out at their next request.", name=record.username),
          "success")
    if open_tickets:
        flash(ngettext("%(num)d open ticket is still assigned to them: their supervisor should reassign it.",
                       "%(num)d open tickets are still assigned to them: their supervisor should reassign them.",
                       open_tickets), "error")
    return redirect(url_for("admin.user", user_id=record.id))


@bp.post("/users/<int:user_id>/reactivate")
@roles_required(ADMIN)
def reactivate_user(user_id: int):
    record = db.get_or_404(User, user_id)
    users.reactivate_user(record)
    db.session.commit()
    flash(_("%(name)s can sign in again.", name=record.username), "success")
    return redirect(url_for("admin.user", user_id=record.id))


# --- categories and SLA policies --------------------------------------------------------------

@bp.get("/categories", endpoint="categories")
@roles_required(ADMIN)
def categories_list():
    missing = {c.id for c in categories.categories_without_default_policy()}
    return render_template("admin/categories.html", categories=categories.all_categories(), missing=missing)


def _category_form(values: dict | None = None, with_code: bool = True) -> CategoryForm:
    form = CategoryForm(data=_data(values or {}))
    if not with_code:
        del form.code  # the code is fixed once made
    form.default_priority.choices = [("", _("Choose a priority"))] + [
        (p.value, str(PRIORITY_LABELS[p])) for p in Priority]
    return form


@bp.route("/categories/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_category():
    form = _category_form({"active": True, "sort_order": "0"})
    return _form_page(
        form, lambda: categories.create_category(input_from(form, categories.CategoryInput)),
        lambda c: (_("Category %(name)s added. Set its SLA policies next.", name=c.name),
                   url_for("admin.policies")),
        title=_("New category"), back=url_for("admin.categories"))


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def category(category_id: int):
    record = db.get_or_404(Category, category_id)
    form = _category_form({"name": record.name, "name_en": record.name_en,
                           "default_priority": record.default_priority.value,
                           "sort_order": str(record.sort_order), "active": record.active}, with_code=False)
    return _form_page(
        form, lambda: categories.update_category(record, input_from(form, categories.CategoryInput)),
        lambda _r: (_("Category %(name)s saved.", name=record.name), url_for("admin.categories")),
        title=_("Category %(name)s", name=record.name), back=url_for("admin.categories"),
        facts=[(_("Code"), record.code)])


@bp.get("/sla-policies")
@roles_required(ADMIN)
def policies():
    return render_template("admin/policies.html", policies=categories.all_policies())


def _policy_form(values: dict | None = None, fixed: bool = False) -> PolicyForm:
    form = PolicyForm(data=_data(values or {}))
    if fixed:  # which category and priority a policy is for stays as made
        del form.category_id
        del form.priority
    else:
        form.category_id.choices = [("", _("Choose a category"))] + [
            (str(c.id), c.display_name(_locale())) for c in categories.all_categories()]
        form.priority.choices = [("", _("Choose a priority"))] + [
            (p.value, str(PRIORITY_LABELS[p])) for p in Priority]
    form.calendar.choices = [("", _("Choose a clock"))] + [(c.value, str(CALENDAR_LABELS[c])) for c in Calendar]
    return form


@bp.route("/sla-policies/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_policy():
    form = _policy_form({"category_id": request.args.get("category", "")[:10],
                         "priority": request.args.get("priority", "")[:12]})
    return _form_page(
        form, lambda: categories.create_policy(input_from(form, categories.PolicyInput)),
        lambda _p: (_("SLA policy added."), url_for("admin.policies")),
        title=_("New SLA policy"), back=url_for("admin.policies"))


@bp.route("/sla-policies/<int:policy_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def policy(policy_id: int):
    record = db.get_or_404(SlaPolicy, policy_id)
    form = _policy_form({"respond_minutes": str(record.respond_minutes),
                         "on_site_minutes": str(record.on_site_minutes or ""),
                         "resolve_minutes": str(record.resolve_minutes), "calendar": record.calendar.value},
                        fixed=True)
    title = _("SLA policy: %(category)s, %(priority)s", category=record.category.display_name(_locale()),
              priority=PRIORITY_LABELS[record.priority])
    return _form_page(
        form, lambda: categories.update_policy(record, input_from(form, categories.PolicyInput)),
        lambda _r: (_("SLA policy saved. Tickets already open keep their due times."), url_for("admin.policies")),
        title=title, back=url_for("admin.policies"))


# --- customer accounts ------------------------------------------------------------------------

@bp.get("/accounts", endpoint="accounts")
@roles_required(ADMIN)
def accounts_list():
    q = clean_text(request.args.get("q", ""))[:60]
    paged = accounts.search_accounts(q, page_number(request.args.get("page")))
    return render_template("admin/accounts.html", paged=paged, q=q)


def _account_form(values: dict | None = None) -> AccountForm:
    form = AccountForm(data=_data(values or {}))
    form.district_id.choices = _district_choices()
    return form


@bp.route("/accounts/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_account():
    form = _account_form()
    return _form_page(
        form, lambda: accounts.create_account(input_from(form, accounts.AccountInput)),
        lambda a: (_("Account %(number)s added.", number=a.account_number),
                   url_for("admin.accounts", q=a.account_number)),
        title=_("New customer account"), back=url_for("admin.accounts"))


@bp.route("/accounts/<int:account_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def account(account_id: int):
    record = db.get_or_404(CustomerAccount, account_id)
    form = _account_form(accounts.account_form_data(record))
    return _form_page(
        form, lambda: accounts.update_account(record, input_from(form, accounts.AccountInput)),
        lambda _r: (_("Account %(number)s saved.", number=record.account_number),
                    url_for("admin.accounts", q=record.account_number)),
        title=_("Account %(number)s", number=record.account_number), back=url_for("admin.accounts"))


# --- CSV import -------------------------------------------------------------------------------

@bp.route("/accounts/import", methods=["GET", "POST"])
@roles_required(ADMIN)
@csrf.exempt  # checked below, once the larger upload limit applies (the global check would read the body first)
def import_accounts():
    if request.method == "GET":
        return _import_page()
    request.max_content_length = csv_import.MAX_BYTES + UPLOAD_OVERHEAD
    try:
        csrf.protect()
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        return _import_page(error=_("The file is larger than %(n)d MB: split it into smaller files.",
                                    n=csv_import.MAX_BYTES // (1024 * 1024))), 413
    options = {"update_existing": bool(request.form.get("update_existing")),
               "check_only": bool(request.form.get("check_only"))}
    if upload is None or not upload.filename:
        return _import_page(error=_("Please choose a CSV file."), **options), 422
    try:
        report = csv_import.import_accounts(upload.read(csv_import.MAX_BYTES + 1), max_rows=csv_import.MAX_ROWS,
                                            update_existing=options["update_existing"])
    except csv_import.ImportRefused as error:
        db.session.rollback()
        status = 413 if isinstance(error, csv_import.FileTooLarge) else 422
        return _import_page(error=str(error.message), **options), status
    if options["check_only"]:
        db.session.rollback()
    else:
        db.session.commit()
    return _import_page(report=report, **options)


def _import_page(error: str | None = None, report: csv_import.ImportReport | None = None,
                 update_existing: bool = True, check_only: bool = False):
    form = ImportForm(formdata=None, data={"update_existing": update_existing, "check_only": check_only})
    return render_template("admin/import.html", form=form, error=error, report=report, checked_only=check_only,
                           max_mb=csv_import.MAX_BYTES // (1024 * 1024), max_rows=csv_import.MAX_ROWS,
                           columns=csv_import.COLUMNS)


@bp.get("/accounts/import/template.csv")
@roles_required(ADMIN)
def import_template():
    return Response(csv_import.template_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=customer-accounts.csv"})


from app.admin import calendar_routes  # noqa: E402,F401  (the calendars pages: routes on this blueprint)

"""Agent console routes: take a call (lookup, duplicates, new complaint, read-back) and the queue.

Who may use what: the queue is for agents, supervisors and administrators (technicians have their
own jobs list). Taking calls is for agents and administrators only. Supervisors are left out on
purpose: they see only their own team's districts, so the duplicate check would miss the open
tickets of every other district, and a call they filed for another district would make a ticket
they could not open to read back to the caller.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from app.auth.models import Role
from app.console import calls, duplicates, lookup, queue
from app.console.forms import AddCallForm, CallForm, LookupForm, QueueForm
from app.core.access import roles_required
from app.core.errors import DomainError, ValidationFailed
from app.core.i18n import current_language
from app.core.time import utcnow
from app.customers.models import District
from app.extensions import db
from app.intake.tracking import technician_name
from app.messaging.numbers import display_phone, may_text
from app.routing.models import Team
from app.tickets.labels import PRIORITY_LABELS
from app.tickets.lifecycle import STATUS_LABELS
from app.tickets.models import Category, Priority, Status
from app.tickets.visibility import ticket_for

bp = Blueprint("console", __name__, url_prefix="/desk/console")

CALL_ROLES = (Role.AGENT.value, Role.ADMIN.value)
QUEUE_ROLES = (Role.AGENT.value, Role.SUPERVISOR.value, Role.ADMIN.value)

# (endpoint, label, roles): the staff navigation links this feature contributes.
NAV: list = [
    ("console.queue", _l("Ticket queue"), QUEUE_ROLES),
    ("console.lookup", _l("Take a call"), CALL_ROLES),
]


# --- taking a call ----------------------------------------------------------------------------

@bp.get("/", endpoint="lookup")
@roles_required(*CALL_ROLES)
def lookup_page():
    user = current_user._get_current_object()
    lookup_form = LookupForm(formdata=request.args)
    _district_choices(lookup_form.district, _("Any district"))
    try:
        query = lookup.parse_query(request.args)
    except ValidationFailed as error:
        _show_errors(lookup_form, error)
        first = _first_error(lookup_form)
        return _render_console(lookup_form, _call_form(), focus=first if first == "q" else f"lookup-{first}"), 422
    result = lookup.find_caller(user, query)
    found_duplicates = None
    call_form = _call_form(data=result.prefill() if result.kind else None)
    if result.kind:
        place = duplicates.place_of(result.account, result.building, result.unit, result.flat, result.phone)
        found_duplicates = duplicates.possible_duplicates(user, place)
        call_form.seen.data = " ".join(sorted(found_duplicates.tokens()))
    return _render_console(lookup_form, call_form, result=result, duplicates=found_duplicates,
                           focus=_focus_after_lookup(result, found_duplicates, call_form))


@bp.post("/calls")
@roles_required(*CALL_ROLES)
def new():
    user = current_user._get_current_object()
    form = _call_form()
    lookup_form = LookupForm(formdata=None)
    _district_choices(lookup_form.district, _("Any district"))
    if not form.validate_on_submit():
        return _render_console(lookup_form, form, problem=_("The form had expired. Please check it and save again."),
                               focus="name"), 400
    complaint = calls.phone_complaint(
        name=form.name.data or "", phone=form.phone.data or "", category=form.category.data or "",
        description=form.description.data or "", account_number=form.account_number.data or "",
        district_id=_as_id(form.district.data), building=form.building.data or "", unit=form.unit.data or "",
        flat=form.flat.data or "", indoor_temp=form.indoor_temp.data, sms_consent=bool(form.sms_consent.data),
    )
    try:
        ticket = calls.take_call(user, complaint, seen=form.seen.data or "")
        db.session.commit()
    except calls.DuplicatesToSee as warning:
        db.session.rollback()
        form.seen.data = " ".join(sorted(warning.duplicates.tokens()))
        return _render_console(lookup_form, form, duplicates=warning.duplicates, problem=str(warning.message),
                               focus=_duplicate_focus(warning.duplicates)), 409
    except ValidationFailed as error:
        db.session.rollback()
        _show_errors(form, error)
        return _render_console(lookup_form, form, problem=_("Please correct the fields marked below. Nothing has "
                                                            "been saved yet."), focus=_first_error(form)), 422
    flash(_("New ticket saved. Read the reference and the promised times to the caller."), "success")
    return redirect(url_for("console.confirmation", reference=ticket.reference))


@bp.route("/tickets/<reference>/call", methods=["GET", "POST"])
@roles_required(*CALL_ROLES)
def add_call(reference: str):
    user = current_user._get_current_object()
    ticket = ticket_for(user, reference)
    form = AddCallForm()
    if request.method == "GET":
        return render_template("console/add_call.html", ticket=ticket, form=form)
    if not form.validate_on_submit():
        return render_template("console/add_call.html", ticket=ticket, form=form,
                               problem=_("The form had expired. Please send it again.")), 400
    try:
        calls.add_call(user, ticket, form.note.data or "")
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        _show_errors(form, error)
        return render_template("console/add_call.html", ticket=ticket, form=form), 422
    except DomainError as error:
        db.session.rollback()
        return render_template("console/add_call.html", ticket=ticket, form=form, problem=str(error.message)), 409
    flash(_("The call was added to this ticket; no new ticket was made. Read its reference and promised times "
            "to the caller."), "success")
    return redirect(url_for("console.confirmation", reference=ticket.reference))


@bp.get("/tickets/<reference>")
@roles_required(*CALL_ROLES)
def confirmation(reference: str):
    ticket = ticket_for(current_user._get_current_object(), reference)
    texts = ticket.sms_consent and may_text(ticket.phone)
    return render_template("console/confirmation.html", ticket=ticket, texts=texts,
                           technician_name=technician_name(ticket, current_language()))


# --- the queue ----------------------------------------------------------------------------------

@bp.get("/queue", endpoint="queue")
@roles_required(*QUEUE_ROLES)
def queue_page():
    user = current_user._get_current_object()
    form = QueueForm(formdata=request.args)
    _queue_choices(form)
    if not request.args.get("status"):
        form.status.data = "open"
    now = utcnow()
    try:
        filters = queue.parse_filters(request.args)
    except ValidationFailed as error:
        _show_errors(form, error)
        return render_template("console/queue.html", form=form, rows=None, page=None, now=now,
                               problem=str(error.errors.get("page", "")) or None), 422
    page = queue.queue_page(user, filters, now, page_size=queue.PAGE_SIZE)
    rows = [(ticket, *queue.sla_badge(ticket, now)) for ticket in page.tickets]
    kept = {k: v for k, v in request.args.items() if k not in ("after", "before") and v}
    links = {
        "first": url_for("console.queue", **kept) if filters.after or filters.before else None,
        "previous": url_for("console.queue", **kept, before=page.previous_cursor) if page.previous_cursor else None,
        "next": url_for("console.queue", **kept, after=page.next_cursor) if page.next_cursor else None,
    }
    return render_template("console/queue.html", form=form, rows=rows, page=page, links=links, now=now)


# --- helpers ------------------------------------------------------------------------------------

def _call_form(data: dict | None = None) -> CallForm:
    """The new-complaint form: as posted, or prefilled from a lookup (phone shown as people write it)."""
    if data is None:
        form = CallForm()
    else:
        phone = str(data.get("phone") or "")
        form = CallForm(data={**data, "phone": display_phone(phone) if phone else ""})
        form.sms_consent.data = bool(phone) and may_text(phone)
    _district_choices(form.district, _("Choose the district"))
    locale = current_language()
    categories = db.session.scalars(
        select(Category).where(Category.active.is_(True)).order_by(Category.sort_order, Category.id)).all()
    form.category.choices = [SelectChoice("", _("Choose one"))] + [
        SelectChoice(c.code, c.display_name(locale)) for c in categories]
    return form


def _district_choices(field, empty_label: str) -> None:
    locale = current_language()
    districts = db.session.scalars(select(District).order_by(District.id)).all()
    field.choices = [SelectChoice("", empty_label)] + [SelectChoice(str(d.id), d.display_name(locale))
                                                       for d in districts]


def _queue_choices(form: QueueForm) -> None:
    locale = current_language()
    form.status.choices = [SelectChoice("open", _("Open (any open state)")),
                           SelectChoice("triage", _("Triage (no team yet)")),
                           SelectChoice("all", _("Any status"))] + [
        SelectChoice(s.value, STATUS_LABELS[s]) for s in Status]
    _district_choices(form.district, _("Any district"))
    teams = db.session.scalars(select(Team).order_by(Team.id)).all()
    form.team.choices = [SelectChoice("", _("Any team"))] + [SelectChoice(str(t.id), t.display_name(locale))
                                                            for t in teams]
    categories = db.session.scalars(select(Category).order_by(Category.sort_order, Category.id)).all()
    form.category.choices = [SelectChoice("", _("Any problem"))] + [
        SelectChoice(c.code, c.display_name(locale)) for c in categories]
    form.priority.choices = [SelectChoice("", _("Any priority"))] + [
        SelectChoice(p.value, PRIORITY_LABELS[p]) for p in Priority]
    form.sla.choices = [SelectChoice("", _("Any")), SelectChoice("due_soon", _("Due within the hour")),
                        SelectChoice("breached", _("Overdue"))]
    form.sort.choices = [SelectChoice("newest", _("Newest first")), SelectChoice("due", _("Soonest due first"))]


def _render_console(lookup_form, call_form, *, result=None, duplicates=None, problem=None, focus="q"):
    return render_template("console/console.html", lookup_form=lookup_form, form=call_form, result=result,
                           duplicates=duplicates, problem=problem, focus=focus)


def _focus_after_lookup(result, found, form) -> str:
    """Where the cursor goes after a lookup, so the agent can type on at once."""
    if not result.kind:
        return "q"
    if found and found.same_flat:
        return _duplicate_focus(found)
    for name in ("name", "phone"):
        if not getattr(form, name).data:
            return name
    if not (form.account_number.data or form.building.data):
        return "district"
    return "category"


def _duplicate_focus(found) -> str:
    tickets = found.same_flat or [t for cluster in found.clusters for t in cluster.recent]
    return f"note-{tickets[0].reference}" if tickets else "category"


def _first_error(form) -> str:
    return next((field.id for field in form if field.errors), "q")


def _show_errors(form, error: ValidationFailed) -> None:
    for field_name, message in error.errors.items():
        field = getattr(form, field_name, None)
        if field is not None:
            field.errors = [str(message)]


def _as_id(value: str | None) -> int | None:
    """A chosen id, None for no choice, and 0 (which matches nothing) for anything malformed."""
    if not value:
        return None
    return int(value) if value.isdigit() and len(value) < 10 else 0

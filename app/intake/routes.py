"""The resident web channel: file a complaint, see it received, track it, rate it. No sign-in."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from app.core.access import public
from app.core.errors import DomainError, ValidationFailed
from app.core.i18n import current_language
from app.customers.models import District
from app.extensions import db, limiter
from app.intake.forms import ComplaintForm, RatingForm, TrackForm
from app.intake.service import ComplaintInput, submit_complaint
from app.intake.tracking import find_for_resident, resident_view
from app.messaging.numbers import may_text, normalise_phone
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Category, Channel, Ticket

bp = Blueprint("intake", __name__)

_TRACKED = "tracked"  # references this browser has proved it may see
_MAX_TRACKED = 10


def _phone_key() -> str:
    """Rate-limit key: the phone number the form names, so one number cannot be flooded from many addresses."""
    raw = request.form.get("phone", "")
    return "phone:" + (normalise_phone(raw) or raw.strip()[:32])


def _complaint_made(response) -> bool:
    """Only a complaint that was made counts against its phone's limit: a refused form floods nobody,
    and counting it would lock out a resident fixing typos, or a number anyone chose to type."""
    return response.status_code == 302


def _complaint_choices(form: ComplaintForm) -> None:
    locale = current_language()
    districts = db.session.scalars(select(District).order_by(District.id)).all()
    form.district.choices = [SelectChoice("", _("Choose your district"))] + [
        SelectChoice(str(d.id), d.display_name(locale)) for d in districts
    ]
    categories = db.session.scalars(
        select(Category).where(Category.active.is_(True)).order_by(Category.sort_order, Category.id)
    ).all()
    form.category.choices = [SelectChoice("", _("Choose one"))] + [
        SelectChoice(c.code, c.display_name(locale)) for c in categories
    ]


def _as_id(value: str | None) -> int | None:
    """A chosen id, None for no choice, and 0 (which matches nothing) for anything malformed."""
    if not value:
        return None
    return int(value) if value.isdigit() and len(value) < 10 else 0


def _show_errors(form, error: ValidationFailed) -> None:
    for field_name, message in error.errors.items():
        field = getattr(form, field_name, None)
        if field is not None:
            field.errors = [str(message)]


@bp.get("/")
@public
def home():
    return render_template("intake/home.html")


@bp.route("/report", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LIMIT_COMPLAINT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LIMIT_COMPLAINT_PER_PHONE"], key_func=_phone_key, methods=["POST"],
               deduct_when=_complaint_made)
def report():
    form = ComplaintForm()
    if not form.validate_on_submit():
        return _report_page(form)
    complaint = ComplaintInput(
        channel=Channel.WEB,
        name=form.name.data or "",
        phone=form.phone.data or "",
        category=form.category.data or "",
        description=form.description.data or "",
        account_number=form.account_number.data or "",
        district_id=_as_id(form.district.data),
        building=form.building.data or "",
        unit=form.unit.data or "",
        flat=form.flat.data or "",
        indoor_temp=form.indoor_temp.data,
        sms_consent=bool(form.sms_consent.data),
        language=current_language(),
    )
    try:
        reference = submit_complaint(complaint, Actor.resident()).reference
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        _show_errors(form, error)
        return _report_page(form, 422)
    session["submitted"] = reference
    _remember(reference)
    return redirect(url_for("intake.received"))


def _report_page(form: ComplaintForm, status: int = 200):
    """The complaint form; its choices are read only when a page is actually shown."""
    _complaint_choices(form)
    return render_template("intake/report.html", form=form), status


@bp.get("/report/received")
@public
def received():
    reference = session.get("submitted")
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference)) if reference else None
    if ticket is None:
        return redirect(url_for("intake.report"))
    view = resident_view(ticket, current_language())
    texts = ticket.sms_consent and may_text(ticket.phone)
    return render_template("intake/received.html", ticket=ticket, view=view, texts=texts)


@bp.route("/track", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LIMIT_TRACK_PER_ADDRESS"], methods=["POST"])
def track():
    form = TrackForm()
    if not form.validate_on_submit():
        if request.method == "GET" and request.args.get("reference"):
            form.reference.data = request.args["reference"][:40]
        return render_template("intake/track.html", form=form)
    ticket = find_for_resident(form.reference.data or "", form.phone.data or "")
    if ticket is None:
        # One answer for a wrong reference and a wrong phone: nobody learns which references exist.
        form.reference.errors = [_("We found no complaint with this reference and phone number. Please check both.")]
        return render_template("intake/track.html", form=form), 404
    _remember(ticket.reference)
    return redirect(url_for("intake.status", reference=ticket.reference))


@bp.get("/track/<reference>")
@public
def status(reference: str):
    ticket = _tracked_ticket(reference)
    if ticket is None:
        return redirect(url_for("intake.track", reference=reference))
    return _render_status(ticket, RatingForm())


@bp.post("/track/<reference>/rate")
@public
def rate(reference: str):
    ticket = _tracked_ticket(reference)
    if ticket is None:
        return redirect(url_for("intake.track", reference=reference))
    form = RatingForm()
    if not form.validate_on_submit():
        return _render_status(ticket, form), 400
    score = int(form.score.data) if (form.score.data or "").isdigit() and len(form.score.data) == 1 else 0
    try:
        lifecycle.rate(ticket, score, form.comment.data or "", Actor.resident())
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        _show_errors(form, error)
        return _render_status(ticket, form), 422
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("intake.status", reference=ticket.reference))
    if ticket.satisfaction_score is not None and ticket.satisfaction_score <= 2:
        flash(_("Thank you. We are sorry it is not right yet: a supervisor will call you back."), "info")
    else:
        flash(_("Thank you for your feedback. Your complaint is now closed."), "success")
    return redirect(url_for("intake.status", reference=ticket.reference))


def _remember(reference: str) -> None:
    tracked = [r for r in session.get(_TRACKED, []) if r != reference]
    session[_TRACKED] = (tracked + [reference])[-_MAX_TRACKED:]


def _tracked_ticket(reference: str) -> Ticket | None:
    if reference not in session.get(_TRACKED, []):
        return None
    return db.session.scalar(select(Ticket).where(Ticket.reference == reference))


def _render_status(ticket: Ticket, form: RatingForm):
    view = resident_view(ticket, current_language())
    return render_template("intake/status.html", ticket=ticket, view=view, form=form)

"""Technician mobile routes: my jobs, the job page with one tap per step, resolution with photos.

Only technicians use these pages: jobs are only ever assigned to technicians (lifecycle.assign
refuses anyone else), so a supervisor's or admin's "my jobs" would always be empty; they work a
ticket on the desk page (/desk/tickets/<reference>), which offers every action their role has.
The photo route is for all staff who may see the ticket, so the desk page can show the photos.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import RequestEntityTooLarge

from app.core.access import STAFF, roles_required
from app.core.errors import Conflict, DomainError, NotAllowed, ValidationFailed
from app.core.time import utcnow
from app.extensions import csrf, db
from app.field import photos, services
from app.field.forms import ResolveForm, WaitForm
from app.tickets.actions import CONFLICT, available_actions
from app.tickets.labels import ACTION_BUTTONS, RESOLUTION_LABELS
from app.tickets.lifecycle import ACTION_LABELS, RESOLUTION_CODES
from app.tickets.visibility import ticket_for

bp = Blueprint("field", __name__, url_prefix="/field")

# (endpoint, label, roles): the staff navigation links this feature contributes.
NAV: list = [("field.jobs", _l("My jobs"), ("technician",))]

TECHNICIAN = "technician"
PHOTO_CACHE = "private, max-age=3600"  # the phone may keep a photo it was allowed to see; no shared cache


@bp.app_template_filter("field_status")
def _field_status(status) -> str:
    return services.status_label(status)


@bp.app_template_global("ticket_photos")
def _ticket_photos(ticket) -> list:
    """For templates/field/_photos.html, so any staff page showing a ticket can show its photos."""
    return services.photos_of(ticket)


def _user():
    return current_user._get_current_object()


@bp.get("/jobs")
@roles_required(TECHNICIAN)
def jobs():
    now = utcnow()
    listed = services.my_jobs(_user())
    countdowns = {job.ticket.id: services.countdown(job.due_at, now) for job in listed if job.due_at}
    return render_template("field/jobs.html", jobs=listed, countdowns=countdowns, now=now,
                           clock_labels=services.CLOCK_LABELS, words=services.countdown_words())


@bp.get("/jobs/<reference>")
@roles_required(TECHNICIAN)
def job(reference: str):
    return _render(ticket_for(_user(), reference))


@bp.post("/jobs/<reference>/steps/<action>")
@roles_required(TECHNICIAN)
def step(reference: str, action: str):
    if action not in services.STEPS:
        abort(404)
    ticket = ticket_for(_user(), reference)
    return _save(ticket, action, lambda: services.take_step(ticket, _user(), action, request.form.get("version")))


@bp.post("/jobs/<reference>/wait")
@roles_required(TECHNICIAN)
def wait(reference: str):
    ticket = ticket_for(_user(), reference)
    form = WaitForm()
    return _save(ticket, "wait_for_resident",
                 lambda: services.wait_for_resident(ticket, _user(), form.reason.data or "", form.version.data),
                 wait_form=form)


# The global CSRF check would read the body under the app-wide 1 MB limit before this view could
# raise it for photos; this view checks the token itself, right after raising the limit.
@bp.post("/jobs/<reference>/resolve")
@csrf.exempt
@roles_required(TECHNICIAN)
def resolve(reference: str):
    ticket = ticket_for(_user(), reference)
    request.max_content_length = photos.MAX_REQUEST_BYTES
    try:
        csrf.protect()  # raises CSRFError (a clear 400) without a valid token
        form = ResolveForm()
        uploads = request.files.getlist("photos")
    except RequestEntityTooLarge:
        problem = _("The photos are too large together (at most %(n)d photos of %(mb)d MB each). "
                    "Nothing was saved: choose fewer or smaller photos and send again.",
                    n=photos.MAX_PHOTOS, mb=photos.MAX_PHOTO_BYTES // (1024 * 1024))
        return _render(ticket, problem=problem, open_panel="resolve"), 413
    typed = services.ResolveInput(
        resolution_code=form.resolution_code.data or "",
        measured_temp=form.measured_temp.data or "",
        note=form.note.data or "",
        version=form.version.data or "",
    )
    stored: list = []

    def save():
        stored.extend(services.resolve_job(ticket, _user(), typed, uploads))

    return _save(ticket, "resolve", save, resolve_form=form, undo=lambda: photos.discard(stored))


@bp.get("/jobs/<reference>/photos/<int:photo_id>")
@roles_required(*STAFF)
def photo(reference: str, photo_id: int):
    ticket = ticket_for(_user(), reference)  # another team's ticket: 404, as if it did not exist
    row = services.photo_of(ticket, photo_id)
    if row is None:
        abort(404)
    path = photos.path_of(row)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=row.content_type, conditional=True, etag=True,
                         download_name=f"{ticket.reference}-{row.id}{photos.STORED_SUFFIX}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = PHOTO_CACHE  # private: security headers leave it as it is
    return response


def _save(ticket, action: str, change, *, wait_form=None, resolve_form=None, undo=lambda: None):
    """Run one change and commit once; show the job page again with the reason when it is refused.

    `undo` cleans up what the database cannot roll back (written files) whenever nothing was saved."""
    open_panel = {"wait_for_resident": "wait", "resolve": "resolve"}.get(action)
    try:
        change()
        db.session.commit()
    except (DomainError, StaleDataError) as error:
        db.session.rollback()
        undo()
        return _refused(ticket, error, wait_form, resolve_form, open_panel)
    except BaseException:  # the error handlers roll back and show the clear page
        undo()
        raise
    flash(_("Saved: %(what)s.", what=ACTION_LABELS.get(action, action)), "success")
    return redirect(url_for("field.job", reference=ticket.reference))


def _refused(ticket, error, wait_form, resolve_form, open_panel):
    """The job page again, with the values as typed and the reason at its field (or at the top)."""
    if isinstance(error, ValidationFailed):
        return _render(ticket, wait_form=wait_form, resolve_form=resolve_form, errors=error.errors,
                       open_panel=open_panel), 422
    if isinstance(error, StaleDataError):  # someone saved between our read and our write
        problem, status = str(CONFLICT), 409
    else:
        problem = str(error.message)
        status = 409 if isinstance(error, Conflict) else 403 if isinstance(error, NotAllowed) else 422
    return _render(ticket, wait_form=wait_form, resolve_form=resolve_form, problem=problem,
                   open_panel=open_panel), status


def _render(ticket, *, wait_form=None, resolve_form=None, errors=None, problem=None, open_panel=None):
    user = _user()
    wait_form = wait_form or WaitForm(formdata=None)
    resolve_form = resolve_form or ResolveForm(formdata=None)
    resolve_form.resolution_code.choices = [("", _("Choose one"))] + [
        (code, str(RESOLUTION_LABELS[code])) for code in RESOLUTION_CODES]
    for form in (wait_form, resolve_form):
        form.version.data = str(ticket.version)  # after a refusal too: sending again acts on what is shown
    errors = {name: str(message) for name, message in (errors or {}).items()}
    submitted = wait_form if open_panel == "wait" else resolve_form
    for name, message in errors.items():
        if name in submitted._fields:
            submitted[name].errors = [message]
        elif name != "photos":  # not a field of this form: say it at the top rather than lose it
            problem = " ".join(filter(None, [problem, message]))
    actions = available_actions(ticket, user)
    now = utcnow()
    clock = services.next_clock(ticket) if ticket.is_open else None
    return render_template(
        "field/job.html",
        ticket=ticket,
        may_work=services.may_work_on(user, ticket),
        steps=services.next_steps(user, ticket),
        may_wait="wait_for_resident" in actions,
        may_resolve="resolve" in actions,
        step_buttons=ACTION_BUTTONS,
        clock=clock,
        countdown=services.countdown(clock[1], now) if clock else None,
        clock_labels=services.CLOCK_LABELS,
        words=services.countdown_words(),
        now=now,
        wait_form=wait_form,
        resolve_form=resolve_form,
        photo_error=errors.get("photos"),
        max_photos=photos.MAX_PHOTOS,
        max_photo_mb=photos.MAX_PHOTO_BYTES // (1024 * 1024),
        maps=services.map_links(ticket),
        problem=problem,
        open_panel=open_panel,
    )

"""The staff ticket page: timeline, notes and every lifecycle action the role allows."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.core.access import STAFF, roles_required
from app.core.errors import Conflict, DomainError, NotAllowed, ValidationFailed
from app.extensions import db
from app.messaging.outbox import problems_for_ticket
from app.routing.models import Team
from app.tickets.actions import CONFLICT, assignable_technicians, available_actions, perform
from app.core.i18n import current_language
from app.tickets.labels import ACTION_BUTTONS, PRIORITY_LABELS, RESOLUTION_LABELS
from app.tickets.lifecycle import ACTION_LABELS, RESOLUTION_CODES
from app.tickets.models import Category, Priority
from app.tickets.visibility import ticket_for

bp = Blueprint("desk", __name__, url_prefix="/desk")

NAV: list = []


@bp.get("/tickets/<reference>")
@roles_required(*STAFF)
def ticket(reference: str):
    return _render(reference)


@bp.post("/tickets/<reference>/<action>")
@roles_required(*STAFF)
def act(reference: str, action: str):
    user = current_user._get_current_object()
    ticket = ticket_for(user, reference)
    try:
        perform(ticket, user, action, request.form)
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        return _render(reference, typed=request.form, action=action, errors=error.errors), 422
    except DomainError as error:
        db.session.rollback()
        status = 409 if isinstance(error, Conflict) else 403 if isinstance(error, NotAllowed) else 422
        return _render(reference, typed=request.form, action=action, problem=str(error.message)), status
    except StaleDataError:  # a concurrent save committed between our read and our write
        db.session.rollback()
        return _render(reference, typed=request.form, action=action, problem=str(CONFLICT)), 409
    flash(_("Saved: %(what)s.", what=ACTION_LABELS.get(action, action)), "success")
    return redirect(url_for("desk.ticket", reference=reference))


def _render(reference: str, typed=None, action: str | None = None, errors=None, problem: str | None = None):
    user = current_user._get_current_object()
    ticket = ticket_for(user, reference)
    locale = current_language()
    teams = db.session.scalars(select(Team).order_by(Team.id)).all()
    categories = db.session.scalars(
        select(Category).where(Category.active.is_(True)).order_by(Category.sort_order)).all()
    return render_template(
        "desk/ticket.html",
        ticket=ticket,
        actions=available_actions(ticket, user),
        action_buttons=ACTION_BUTTONS,
        technician_options=[(t.id, t.full_name) for t in assignable_technicians(ticket)],
        team_options=[(t.id, t.display_name(locale)) for t in teams if t.id != ticket.team_id],
        category_options=[(c.code, c.display_name(locale)) for c in categories],
        priority_options=[(p.value, PRIORITY_LABELS[p]) for p in Priority],
        resolution_codes=[(code, RESOLUTION_LABELS[code]) for code in RESOLUTION_CODES],
        sms_problems=problems_for_ticket(ticket.id),
        typed=typed or {},
        typed_action=action,
        errors={k: str(v) for k, v in (errors or {}).items()},
        problem=problem,
    )

"""Supervisor board routes: the team board, one-step reassignment and closing after the call-back.

Supervisors see their own team's board; administrators any team's (first team by default, a
selector for the others). Agents work from the console queue and technicians from their jobs
list, so neither has the board: it is the supervisor's desk for dispatching and call-backs.
"""
from __future__ import annotations

import functools
from typing import Callable, Mapping

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.orm.exc import StaleDataError

from app.auth.models import Role
from app.core.access import roles_required
from app.core.errors import Conflict, DomainError, NotAllowed, ValidationFailed
from app.core.time import utcnow
from app.extensions import db
from app.reports import board as service
from app.reports.board_view import BoardText
from app.tickets.actions import CONFLICT
from app.tickets.references import format_reference
from app.tickets.visibility import ticket_for

bp = Blueprint("reports", __name__, url_prefix="/desk/board")

BOARD_ROLES = ("supervisor", "admin")

# (endpoint, label, roles): the staff navigation links this feature contributes.
NAV: list = [("reports.board", _l("Team board"), BOARD_ROLES)]

# Staff words for states whose resident wording ("Waiting for you") would mislead on the board.
CLOCK_LABELS = {"respond": _l("Respond by"), "on_site": _l("On site by"), "resolve": _l("Resolve by")}
SLA_LABELS = {
    service.SlaState.BREACHED: _l("Overdue"),
    service.SlaState.AT_RISK: _l("At risk"),
    service.SlaState.ON_TIME: _l("On time"),
    service.SlaState.PAUSED: _l("Clocks paused"),
}


@bp.get("/")
@roles_required(*BOARD_ROLES)
def board():
    return _render(request.args.get("team"))


@bp.post("/tickets/<reference>/assign")
@roles_required(*BOARD_ROLES)
def assign(reference: str):
    user = current_user._get_current_object()
    ticket = ticket_for(user, reference)
    form = request.form
    return _act(reference, "assign", lambda: service.reassign(ticket, user, form.get("assignee"), form.get("version")),
                _("%(ref)s is dispatched.", ref=format_reference(reference)))


@bp.post("/tickets/<reference>/close-after-callback")
@roles_required(*BOARD_ROLES)
def close_after_callback(reference: str):
    user = current_user._get_current_object()
    ticket = ticket_for(user, reference)
    form = request.form
    return _act(reference, "close",
                lambda: service.close_after_callback(ticket, user, form.get("reason"), form.get("version")),
                _("%(ref)s is closed after the call-back.", ref=format_reference(reference)))


def _act(reference: str, form_name: str, change, done: str):
    """Run the change and commit once; any refusal re-renders the board with nothing changed."""
    failed = {"reference": reference, "form": form_name, "typed": request.form}
    try:
        change()
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        return _render(request.form.get("team"), failed={**failed, "errors": error.errors}), 422
    except DomainError as error:
        db.session.rollback()
        status = 409 if isinstance(error, Conflict) else 403 if isinstance(error, NotAllowed) else 422
        return _render(request.form.get("team"), failed={**failed, "problem": error.message}), status
    except StaleDataError:  # someone else's save committed between our read and our write
        db.session.rollback()
        return _render(request.form.get("team"), failed={**failed, "problem": CONFLICT}), 409
    flash(done, "success")
    return redirect(_board_url(request.form.get("team"), service.parse_group_key(request.form.get("open"))))


def _board_url(team: str | None, opened: str | None = None) -> str:
    args = {"open": opened} if opened else {}
    if current_user.role is Role.ADMIN and team and team.isdigit():
        args["team"] = team
    return url_for("reports.board", **args)


def _options_markup(technicians: list) -> Callable[[object], Markup]:
    """The technician <option>s with one selected, made once per choice from names escaped once: in an
    outage the board has hundreds of dispatch forms, and a template loop over the team for each row
    costs half a second."""
    first = f'<option value="">{escape(_("Choose one"))}</option>'
    names = [(str(t.id), escape(t.full_name)) for t in technicians]

    @functools.cache
    def options(chosen: str) -> Markup:
        return Markup(first + "".join([f'<option value="{value}"{" selected" if value == chosen else ""}>{name}'
                                       "</option>" for value, name in names]))

    return lambda chosen: options("" if chosen is None else str(chosen))


def _render(requested_team: str | None, failed: Mapping | None = None):
    user = current_user._get_current_object()
    teams = service.board_teams(user)
    team = service.board_team(user, requested_team, teams)
    opened = service.parse_group_key(request.values.get("open"))
    keep = failed.get("reference") if failed and failed.get("form") == "close" else None
    board = service.build_board(user, team, utcnow(), opened=opened, keep=keep)
    failed = dict(failed or {})
    errors = {name: str(message) for name, message in (failed.get("errors") or {}).items()}
    return render_template(
        "reports/board.html",
        board=board,
        teams=teams if user.role is Role.ADMIN else [],
        technician_options=_options_markup(board.technicians),
        may_assign=lambda ticket: service.may_dispatch(ticket, user),
        text=BoardText(CLOCK_LABELS, SLA_LABELS),
        group_url=lambda key: _board_url(str(team.id) if team else None, key),
        board_url=_board_url(str(team.id) if team else None),
        words={"triage": _("triage"), "reassign": _("Reassign"), "dispatch": _("Dispatch"),
               "technician": _("Technician"), "resume_first": _("Resume the work before dispatching it again.")},
        failed=failed,
        failed_on=lambda ticket, form: failed.get("reference") == ticket.reference and failed.get("form") == form,
        errors=errors,
        problem=str(failed["problem"]) if failed.get("problem") else None,
    )

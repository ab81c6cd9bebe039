"""The staff outbox page: every notification, where it stands, and why one did not go.

In the demo (no Twilio) every message is listed as "not sent: no provider", so a new user sees
what residents and technicians would have received.
"""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core.access import roles_required
from app.messaging.models import MessageStatus
from app.messaging.outbox import visible_messages

bp = Blueprint("messaging", __name__, url_prefix="/desk/outbox")

OUTBOX_ROLES = ("agent", "supervisor", "admin")

NAV: list = [("messaging.outbox", _l("Outbox"), OUTBOX_ROLES)]

STATUS_LABELS = {
    MessageStatus.PENDING: _l("Waiting to be sent"),
    MessageStatus.SENT: _l("Sent"),
    MessageStatus.DELIVERED: _l("Delivered"),
    MessageStatus.UNDELIVERED: _l("Not delivered"),
    MessageStatus.FAILED: _l("Failed"),
    MessageStatus.NOT_SENT: _l("Not sent"),
}


@bp.get("/")
@roles_required(*OUTBOX_ROLES)
def outbox():
    user = current_user._get_current_object()
    chosen = request.args.get("status", "").strip()
    status = None
    if chosen:
        try:
            status = MessageStatus(chosen)
        except ValueError:
            return render_template("messaging/outbox.html", rows=None, chosen=chosen, labels=STATUS_LABELS,
                                   status_error=_("Choose a status from the list.")), 422
    rows = visible_messages(user, status)
    return render_template("messaging/outbox.html", rows=rows, chosen=chosen, labels=STATUS_LABELS,
                           status_error=None)

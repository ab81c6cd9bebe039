"""POST /twilio/status: Twilio's delivery reports for the messages we sent.

Signed like every Twilio webhook (a bad or missing signature is refused before anything is read);
an unknown SID is acknowledged and ignored, so Twilio does not retry it forever.
"""
from __future__ import annotations

from flask import Blueprint, Response, request

from app.core.access import public
from app.extensions import csrf, db
from app.messaging.status import apply_status
from app.webhooks.twilio import twilio_signed

bp = Blueprint("twilio_status", __name__)


@bp.post("/twilio/status")
@public
@csrf.exempt
@twilio_signed
def status_callback():
    outcome = apply_status(request.form.get("MessageSid", ""), request.form.get("MessageStatus", ""),
                           request.form.get("ErrorCode"))
    if outcome == "updated":
        db.session.commit()
    else:
        db.session.rollback()
    return Response("", status=204)

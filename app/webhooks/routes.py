"""Twilio's inbound SMS webhook: check the signature, let the SMS service answer, commit once."""
from __future__ import annotations

from flask import Blueprint, Response, request

from app.core.access import public
from app.extensions import csrf, db
from app.webhooks import sms as sms_service
from app.webhooks.twilio import twiml_response, twilio_signed

bp = Blueprint("webhooks", __name__, url_prefix="/twilio")
NAV: list = []

_MAX_SID = 64


@bp.post("/sms")
@public
@csrf.exempt
@twilio_signed
def sms() -> Response:
    """A text from a resident (Twilio signs it; CSRF does not apply, the signature replaces it)."""
    sid = request.form.get("MessageSid") or request.form.get("SmsSid") or ""
    sender = request.form.get("From")
    if not sid or len(sid) > _MAX_SID or sender is None:
        return Response("MessageSid and From are required.", status=400, mimetype="text/plain")
    twiml = sms_service.handle_sms(sid, sender, request.form.get("Body", ""))
    db.session.commit()
    return twiml_response(twiml)

"""The voice menu's webhooks: Twilio calls /twilio/voice when a call comes in, then the follow-up URLs.

Each request is signed (403, nothing stored, when not), recorded once under its CallSid and step,
and a retried webhook is answered with the TwiML stored the first time: nothing is created twice.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from flask import Blueprint, Response, abort, request
from twilio.twiml.voice_response import VoiceResponse

from app.core.access import public
from app.core.time import utcnow
from app.extensions import csrf, db
from app.tickets.models import Ticket
from app.webhooks import voice
from app.webhooks.twilio import claim, handled, twilio_signed, twiml_response

bp = Blueprint("voice", __name__, url_prefix="/twilio/voice")
NAV: list = []

MAX_SID = 40  # Twilio's CallSid is 34 characters; the stored key adds ":step"


@bp.post("")
@public
@csrf.exempt
@twilio_signed
def incoming() -> Response:
    """A call comes in: welcome, outage notice, menu."""
    lang = "zh"
    return _answer("voice", _call_sid(), lang, "",
                   lambda caller, now: (voice.greeting(caller, lang, now), None))


@bp.post("/menu")
@public
@csrf.exempt
@twilio_signed
def menu() -> Response:
    """The caller pressed a key (or none) at the menu of step ?step=N."""
    lang = voice.language_of(request.args.get("lang"))
    step = _small_int(request.args.get("step"), default=1)
    tries = _small_int(request.args.get("tries"), default=0)
    digits = request.form.get("Digits", "")[:4]
    return _answer("voice-menu", f"{_call_sid()}:{step}", lang, digits,
                   lambda caller, now: voice.choose(caller, digits, lang, step, tries, now))


@bp.post("/recording")
@public
@csrf.exempt
@twilio_signed
def recording() -> Response:
    """The recorded message is ready: it becomes a ticket."""
    lang = voice.language_of(request.args.get("lang"))
    url = request.form.get("RecordingUrl", "")[:500]
    duration = request.form.get("RecordingDuration", "")[:6]
    return _answer("voice-recording", _call_sid(), lang, url,
                   lambda caller, now: voice.take_message(caller, url, duration, lang, now))


def _answer(kind: str, sid: str, lang: str, body: str,
            build: Callable[[voice.Caller, datetime], tuple[VoiceResponse, Ticket | None]]) -> Response:
    """Answer once per (kind, sid): claim it, build the TwiML, store it with the ticket, commit; replay it after."""
    raw_from = request.form.get("From", "")
    caller = voice.identify(raw_from)
    inbound = claim(kind, sid, from_number=(caller.number or raw_from)[:20], body=body,
                    language=voice.stored_language(lang))
    if inbound is None:
        db.session.rollback()
        previous = handled(kind, sid)
        if previous is None or not previous.reply:
            abort(409)  # the first delivery is still being handled: Twilio retries
        return twiml_response(previous.reply)
    twiml, ticket = build(caller, utcnow())
    inbound.reply = str(twiml)
    inbound.ticket_id = ticket.id if ticket is not None else None
    db.session.commit()
    return twiml_response(inbound.reply)


def _call_sid() -> str:
    sid = request.form.get("CallSid", "")
    if not sid or len(sid) > MAX_SID:
        abort(400)
    return sid


def _small_int(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() and len(value) <= 3 else default

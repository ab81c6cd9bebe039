"""What every Twilio webhook shares: the signature check, replay protection and TwiML replies.

Twilio signs each request with the account's auth token over the URL it called plus the POSTed
fields. Behind a proxy the app sees another URL, so the check uses PUBLIC_BASE_URL + path + query
when it is set (else the request's own URL, which ProxyFix corrects when TRUSTED_PROXIES is set).

Without TWILIO_AUTH_TOKEN, development and tests accept signatures made with DEV_AUTH_TOKEN (what
`flask sms simulate` signs with); production without a token refuses every webhook.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from flask import Response, abort, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from app.extensions import db
from app.messaging.models import InboundMessage

DEV_AUTH_TOKEN = "heatdesk-dev-token"
SIGNATURE_HEADER = "X-Twilio-Signature"
TWIML_MIMETYPE = "text/xml"


def auth_token() -> str | None:
    """The token webhooks are signed with: the real one, the dev one outside production, else None."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    if token:
        return token
    if current_app.config.get("HEATDESK_ENV") in ("development", "testing"):
        return DEV_AUTH_TOKEN
    return None


def public_url() -> str:
    """The URL Twilio called: PUBLIC_BASE_URL + path + query when configured, else the request's URL."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        return request.url
    url = base.rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return url


def verify_twilio_request() -> bool:
    """True only when X-Twilio-Signature matches this request's URL and form fields."""
    token = auth_token()
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not token or not signature:
        return False
    params = request.form if request.method == "POST" else {}
    return RequestValidator(token).validate(public_url(), params, signature)


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (403) a request whose Twilio signature is missing or wrong, before anything is stored."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not verify_twilio_request():
            abort(403)
        return view(*args, **kwargs)

    wrapper.twilio_signed = True  # type: ignore[attr-defined]  # public, yet 403 without Twilio's signature
    return wrapper


def sign(url: str, params: dict[str, str], token: str | None = None) -> str:
    """The X-Twilio-Signature for `params` POSTed to `url` (the simulator and tests use it)."""
    return RequestValidator(token or auth_token() or DEV_AUTH_TOKEN).compute_signature(url, params)


# --- TwiML -------------------------------------------------------------------------------------

def message_twiml(*texts: str) -> str:
    """<Response> with one <Message> per text (none: an empty response, Twilio sends nothing)."""
    response = MessagingResponse()
    for text in texts:
        if text:
            response.message(text)
    return str(response)


def empty_twiml() -> str:
    """<Response/>: acknowledged, no reply."""
    return str(MessagingResponse())


def new_voice_response() -> VoiceResponse:
    """A VoiceResponse to fill with <Say>, <Gather>, <Record>, <Dial>."""
    return VoiceResponse()


def twiml_response(twiml: str | MessagingResponse | VoiceResponse, status: int = 200) -> Response:
    """An HTTP response carrying TwiML."""
    return Response(str(twiml), status=status, mimetype=TWIML_MIMETYPE)


# --- Idempotency on the provider's SID ----------------------------------------------------------

def handled(kind: str, sid: str) -> InboundMessage | None:
    """The stored record of a webhook already handled (kind "sms", "voice"... and its SID), if any."""
    return db.session.scalar(
        select(InboundMessage).where(InboundMessage.kind == kind, InboundMessage.provider_sid == sid)
    )


def claim(kind: str, sid: str, **fields: Any) -> InboundMessage | None:
    """Record this webhook as being handled; None if another request already did (answer its reply).

    Inserted in a savepoint: a concurrent delivery of the same SID waits on the unique key and then
    gets None here. The caller fills in `reply` (and ticket_id) and commits once.
    """
    if handled(kind, sid) is not None:
        return None
    inbound = InboundMessage(kind=kind, provider_sid=sid, **fields)
    try:
        with db.session.begin_nested():
            db.session.add(inbound)
            db.session.flush()
    except IntegrityError:
        return None
    return inbound

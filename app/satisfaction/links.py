"""Signed survey links: `/s/<token>`, short enough for a text message, unguessable, one per resolution.

The token carries the ticket reference and the second the ticket was resolved, signed with the
app's SECRET_KEY under its own salt. A reopen clears (and a new resolution changes) the ticket's
resolution time, so a link from an earlier resolution no longer opens the survey.

Its payload is packed into ten bytes instead of JSON, which keeps a link near 75 characters: the
Chinese survey text then fits two SMS segments. The payload is the same for every link made for one
resolution (only the signing time differs), so it also tells whether that resolution's survey
was already sent.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

log = logging.getLogger(__name__)

SALT = "heatdesk.satisfaction.survey-link"
ENDPOINT = "survey.page"
# Long after the auto-close (SURVEY_DAYS): a link this old is refused without a database query.
MAX_AGE = timedelta(days=60)


class LinkInvalid(Exception):
    """Not a survey link we made (mistyped, cut short, or forged)."""


class LinkExpired(Exception):
    """A genuine survey link, older than MAX_AGE."""


class _PackedPayload:
    """(reference, resolution second) as ten bytes: five for the ten-digit reference, five for the time."""

    @staticmethod
    def dumps(value) -> bytes:
        if value == {}:  # itsdangerous probes a serializer with {} to learn that it writes bytes
            return b""
        reference, second = value
        return int(reference).to_bytes(5, "big") + int(second).to_bytes(5, "big")

    @staticmethod
    def loads(data: bytes) -> tuple[str, int]:
        if len(data) != 10:
            raise ValueError("a survey payload is ten bytes")
        return str(int.from_bytes(data[:5], "big")), int.from_bytes(data[5:], "big")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, serializer=_PackedPayload)


def resolution_second(moment: datetime) -> int:
    """The resolution time as the token carries it (whole seconds since the epoch)."""
    return int(moment.timestamp())


def token_for(ticket) -> str:
    """A fresh token for the ticket's current resolution."""
    signed = _serializer().dumps((ticket.reference, resolution_second(ticket.resolved_at)))
    return signed.decode("ascii")  # a bytes payload serializer signs to bytes; the link is text


def read_token(token: str) -> tuple[str, int]:
    """(reference, resolution second) of a token we signed; LinkInvalid or LinkExpired otherwise."""
    if not token or len(token) > 200:
        raise LinkInvalid(token)
    try:
        return _serializer().loads(token, max_age=int(MAX_AGE.total_seconds()))
    except SignatureExpired as exc:
        raise LinkExpired(token) from exc
    except BadData as exc:
        raise LinkInvalid(token) from exc


@dataclass(frozen=True)
class SurveyLink:
    url: str
    marker: str  # the part every link of this resolution shares: found in an outbox body, it was sent


def survey_link(ticket) -> SurveyLink | None:
    """The survey link of the ticket's current resolution, or None when no public address is known.

    PUBLIC_BASE_URL when set (the address residents reach); else the request's or SERVER_NAME's.
    """
    if ticket.resolved_at is None:
        return None
    token = token_for(ticket)
    base = current_app.config.get("PUBLIC_BASE_URL")
    try:
        if base:
            url = base.rstrip("/") + current_app.url_map.bind("").build(ENDPOINT, {"token": token})
        else:
            url = url_for(ENDPOINT, token=token, _external=True)
    except RuntimeError:  # outside a request, with neither PUBLIC_BASE_URL nor SERVER_NAME
        log.warning("no survey link for %s: set PUBLIC_BASE_URL", ticket.reference)
        return None
    return SurveyLink(url=url, marker="/" + token.split(".", 1)[0] + ".")

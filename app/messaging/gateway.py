"""SMS gateways: Twilio when configured, otherwise a recorder that sends nothing (the demo).

A gateway either returns a SendResult or raises SendError, which says whether trying again
could help (a timeout, a 5xx, 429) or not (an invalid number, an opted-out number).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flask import Flask

# Twilio error codes that no retry will fix (https://www.twilio.com/docs/api/errors).
PERMANENT_CODES = frozenset({
    21211,  # invalid 'To' number
    21408,  # permission to send to this region not enabled
    21610,  # the recipient replied STOP at the carrier: opted out
    21612,  # cannot route to this number
    21614,  # 'To' is not a mobile number
    21617,  # body too long
    30003, 30004, 30005, 30006, 30007,  # unreachable, blocked, unknown, landline, filtered
})
OPTED_OUT_CODE = 21610
STATUS_PATH = "/twilio/status"


@dataclass(frozen=True)
class SendResult:
    sent: bool
    provider_sid: str | None = None
    error: str | None = None


class SendError(Exception):
    """The provider refused or could not be reached; `permanent` means never try again."""

    def __init__(self, message: str, *, code: int | None = None, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.code = code
        self.permanent = permanent


class SmsGateway(Protocol):
    def send(self, to: str, body: str) -> SendResult: ...


class NoProviderGateway:
    """Records that the message was not sent because no provider is configured."""

    def send(self, to: str, body: str) -> SendResult:
        return SendResult(sent=False, error="not sent: no provider")


def is_permanent(status: int | None, code: int | None) -> bool:
    """A refusal worth no retry: a known permanent code, or a 4xx other than throttling and timeouts."""
    if code in PERMANENT_CODES:
        return True
    return status is not None and 400 <= status < 500 and status not in (408, 409, 429)


class TwilioGateway:
    """Sends through Twilio's Messages API with the official client."""

    def __init__(self, account_sid: str, auth_token: str, from_number: str | None,
                 messaging_service_sid: str | None, http_client=None, status_callback: str | None = None,
                 timeout: float = 10):
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self._client = Client(account_sid, auth_token, http_client=http_client or TwilioHttpClient(timeout=timeout))
        self._from = from_number
        self._service = messaging_service_sid
        self._status_callback = status_callback

    def send(self, to: str, body: str) -> SendResult:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        params = {"to": to, "body": body}
        if self._service:
            params["messaging_service_sid"] = self._service
        else:
            params["from_"] = self._from
        if self._status_callback:
            params["status_callback"] = self._status_callback
        try:
            message = self._client.messages.create(**params)
        except TwilioRestException as exc:
            raise SendError(f"Twilio {exc.status}: {exc.msg}", code=exc.code,
                            permanent=is_permanent(exc.status, exc.code)) from exc
        except (TwilioException, OSError) as exc:  # network trouble, timeouts: worth another try
            raise SendError(f"{type(exc).__name__}: {exc}") from exc
        return SendResult(sent=True, provider_sid=message.sid)


def status_callback_url(app: Flask) -> str | None:
    """Where Twilio reports delivery: only with a public base URL, which Twilio can reach."""
    base = app.config.get("PUBLIC_BASE_URL")
    return f"{base}{STATUS_PATH}" if base else None


def gateway_for(app: Flask) -> SmsGateway:
    """The configured gateway; tests may put their own in app.extensions['heatdesk.sms']."""
    if "heatdesk.sms" in app.extensions:
        return app.extensions["heatdesk.sms"]
    config = app.config
    if config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN") and (
        config.get("TWILIO_FROM_NUMBER") or config.get("TWILIO_MESSAGING_SERVICE_SID")
    ):
        return TwilioGateway(
            config["TWILIO_ACCOUNT_SID"],
            config["TWILIO_AUTH_TOKEN"],
            config.get("TWILIO_FROM_NUMBER"),
            config.get("TWILIO_MESSAGING_SERVICE_SID"),
            http_client=app.extensions.get("heatdesk.twilio_http"),  # tests point it at a fake API
            status_callback=status_callback_url(app),
        )
    return NoProviderGateway()

"""SMS gateways: Twilio when configured, otherwise a recorder that sends nothing (the demo)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flask import Flask


@dataclass(frozen=True)
class SendResult:
    sent: bool
    provider_sid: str | None = None
    error: str | None = None


class SmsGateway(Protocol):
    def send(self, to: str, body: str) -> SendResult: ...


class NoProviderGateway:
    """Records that the message was not sent because no provider is configured."""

    def send(self, to: str, body: str) -> SendResult:
        return SendResult(sent=False, error="not sent: no provider")


class TwilioGateway:
    """Sends through Twilio's Messages API with the official client."""

    def __init__(self, account_sid: str, auth_token: str, from_number: str | None,
                 messaging_service_sid: str | None, http_client=None):
        from twilio.rest import Client

        self._client = Client(account_sid, auth_token, http_client=http_client)
        self._from = from_number
        self._service = messaging_service_sid

    def send(self, to: str, body: str) -> SendResult:
        params = {"to": to, "body": body}
        if self._service:
            params["messaging_service_sid"] = self._service
        else:
            params["from_"] = self._from
        message = self._client.messages.create(**params)
        return SendResult(sent=True, provider_sid=message.sid)


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
        )
    return NoProviderGateway()

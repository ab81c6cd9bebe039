"""`flask sms simulate` (try the SMS flow with no Twilio account) and `flask sms expire`."""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ElementTree

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db

sms_cli = AppGroup("sms", help="Inbound SMS: simulate a resident's text, expire unanswered conversations.")


@sms_cli.command("simulate")
@click.option("--from", "sender", required=True, help="The resident's number, e.g. +8613800138000.")
@click.option("--url", default=None, help="The running app (default: PUBLIC_BASE_URL or http://127.0.0.1:5000).")
@click.option("--sid", default=None, help="The MessageSid (repeat one to see a replay answered once).")
@click.argument("text")
def simulate_command(sender: str, url: str | None, sid: str | None, text: str) -> None:
    """POST a correctly signed Twilio SMS webhook to the running app and print the reply."""
    import requests

    from app.webhooks.twilio import auth_token, sign

    token = auth_token()
    if token is None:
        raise click.ClickException("TWILIO_AUTH_TOKEN is not set: production refuses unsigned webhooks.")
    base = (url or current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    signed_base = current_app.config.get("PUBLIC_BASE_URL") or base  # the URL the app checks against
    params = {
        "MessageSid": sid or "SM" + uuid.uuid4().hex,
        "AccountSid": current_app.config.get("TWILIO_ACCOUNT_SID") or "AC" + "0" * 32,
        "From": sender,
        "To": current_app.config.get("TWILIO_FROM_NUMBER") or "+10000000000",
        "Body": text,
        "NumMedia": "0",
    }
    headers = {"X-Twilio-Signature": sign(signed_base + "/twilio/sms", params, token)}
    try:
        response = requests.post(base + "/twilio/sms", data=params, headers=headers, timeout=15)
    except requests.RequestException as exc:
        raise click.ClickException(f"Could not reach {base}: {exc}") from exc
    if response.status_code != 200:
        raise click.ClickException(f"The app answered {response.status_code}: {response.text[:200]}")
    replies = [m.text or "" for m in ElementTree.fromstring(response.text).iter("Message")]
    click.echo("\n".join(replies) if replies else "(no reply)")


@sms_cli.command("expire")
def expire_command() -> None:
    """Turn conversations nobody answered in time into triage tickets."""
    from app.webhooks.sms import expire_conversations

    tickets = expire_conversations()
    db.session.commit()
    click.echo(f"{len(tickets)} unanswered conversation(s) sent to triage.")

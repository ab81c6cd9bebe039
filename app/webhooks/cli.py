"""Try the Twilio channels with no Twilio account: `flask sms simulate`, `flask voice simulate`;
and `flask sms expire`."""
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


voice_cli = AppGroup("voice", help="The voice menu: walk it with signed requests, as Twilio would call it.")


@voice_cli.command("simulate")
@click.option("--from", "caller", required=True, help="The caller's number, e.g. +8613800138000.")
@click.option("--digits", default="", help="Keys pressed at each menu, comma-separated, e.g. '9,1' (English, then 1).")
@click.option("--url", default=None, help="The running app (default: PUBLIC_BASE_URL or http://127.0.0.1:5000).")
def voice_simulate_command(caller: str, digits: str, url: str | None) -> None:
    """Call the voice menu as Twilio would (signed requests) and print what the caller hears."""
    import requests

    from app.webhooks.twilio import auth_token, sign

    token = auth_token()
    if token is None:
        raise click.ClickException("TWILIO_AUTH_TOKEN is not set: production refuses unsigned webhooks.")
    base = (url or current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    signed_base = current_app.config.get("PUBLIC_BASE_URL") or base
    call_sid = "CA" + uuid.uuid4().hex
    presses = [d.strip() for d in digits.split(",") if d.strip()]
    path = "/twilio/voice"
    params = {"CallSid": call_sid, "From": caller, "To": current_app.config.get("TWILIO_FROM_NUMBER") or "+10000000000",
              "CallStatus": "ringing", "AccountSid": current_app.config.get("TWILIO_ACCOUNT_SID") or "AC" + "0" * 32}
    for step in range(len(presses) + 1):
        headers = {"X-Twilio-Signature": sign(signed_base + path, params, token)}
        try:
            response = requests.post(base + path, data=params, headers=headers, timeout=15)
        except requests.RequestException as exc:
            raise click.ClickException(f"Could not reach {base}: {exc}") from exc
        if response.status_code != 200:
            raise click.ClickException(f"The app answered {response.status_code}: {response.text[:200]}")
        root = ElementTree.fromstring(response.text)
        for element in root.iter():
            if element.tag == "Say" and element.text:
                click.echo(f"  🔊 {element.text}")
            elif element.tag == "Dial":
                click.echo(f"  ☎ transferred to {(element.text or '').strip()}")
            elif element.tag == "Record":
                click.echo("  ⏺ recording a message (simulate it with a recording webhook)")
        gather = root.find(".//Gather")
        if step == len(presses) or gather is None:
            break
        click.echo(f"pressed {presses[step]}")
        action = gather.get("action") or path
        path = action.replace(signed_base, "") if action.startswith("http") else action
        params = {**params, "Digits": presses[step], "CallStatus": "in-progress"}

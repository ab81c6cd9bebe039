"""The voice menu over HTTP: signed Twilio webhooks in, TwiML out (parsed as XML), tickets made once."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from tests.conftest import RESIDENT_PHONE

TOKEN = "voice-test-auth-token"
BASE = "http://heatdesk.test"
CALL_CENTRE = "+864715551234"
STRANGER = "+8613900139000"
MENU = "/twilio/voice/menu?lang=zh&step=1&tries=0"


@pytest.fixture
def twilio_config(app):
    """A real auth token and a call-centre number, restored afterwards (the app is shared by the session)."""
    keys = ("TWILIO_AUTH_TOKEN", "CALL_CENTRE_NUMBER", "PUBLIC_BASE_URL")
    saved = {key: app.config.get(key) for key in keys}
    app.config.update(TWILIO_AUTH_TOKEN=TOKEN, CALL_CENTRE_NUMBER=CALL_CENTRE, PUBLIC_BASE_URL=None)
    yield app.config
    app.config.update(saved)


@pytest.fixture
def call(client, network, twilio_config):
    """Factory: POST a webhook of call CA1 signed with the real RequestValidator; returns (response, TwiML root)."""

    def post(path: str, caller: str = RESIDENT_PHONE, signature: str | None = None, sid: str = "CA" + "1" * 32,
             **fields: str):
        params = {"CallSid": sid, "From": caller, "To": "+864715550000", **fields}
        if signature is None:
            signature = RequestValidator(TOKEN).compute_signature(BASE + path, params)
        response = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
        root = ET.fromstring(response.data) if response.status_code == 200 else None
        return response, root

    return post


def says(root) -> list[tuple[str, str]]:
    """Every <Say> (also inside <Gather>) as (text, language), in order."""
    return [(say.text or "", say.get("language")) for say in root.iter("Say")]


def spoken(root) -> str:
    return " ".join(text for text, _lang in says(root))


def gather_action(root) -> str:
    gathers = list(root.iter("Gather"))
    assert len(gathers) == 1, "expected one menu"
    return gathers[0].get("action")


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def count(model) -> int:
    from app.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def tickets():
    from app.extensions import db
    from app.tickets.models import Ticket

    return list(db.session.scalars(select(Ticket).order_by(Ticket.id)))


# --- signature ----------------------------------------------------------------------------------

def test_a_bad_signature_is_refused_and_nothing_is_stored(call, ctx):
    from app.messaging.models import InboundMessage

    response, _root = call("/twilio/voice", signature="bm90IGEgc2lnbmF0dXJl")
    assert response.status_code == 403
    response, _root = call(MENU, signature="bm90IGEgc2lnbmF0dXJl", Digits="1")
    assert response.status_code == 403
    assert count(InboundMessage) == 0 and tickets() == []


def test_a_missing_signature_is_refused(client, network, twilio_config, ctx):
    from app.messaging.models import InboundMessage

    response = client.post("/twilio/voice", data={"CallSid": "CA" + "2" * 32, "From": RESIDENT_PHONE})
    assert response.status_code == 403
    assert count(InboundMessage) == 0


def test_a_request_signed_for_other_fields_is_refused(client, network, twilio_config, ctx):
    signature = RequestValidator(TOKEN).compute_signature(BASE + MENU, {"CallSid": "CA1", "Digits": "0"})
    response = client.post(MENU, data={"CallSid": "CA1", "Digits": "1", "From": RESIDENT_PHONE},
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert tickets() == []


# --- the greeting -------------------------------------------------------------------------------

def test_a_known_caller_hears_the_full_menu_in_chinese_with_an_english_option(call):
    response, root = call("/twilio/voice")
    assert response.status_code == 200 and response.mimetype == "text/xml"
    gather = next(root.iter("Gather"))
    assert gather.get("numDigits") == "1"
    assert query(gather.get("action")) == {"lang": "zh", "step": "1", "tries": "0"}
    languages = [lang for _text, lang in says(gather)]
    assert languages[:-1] == ["zh-CN"] * 4  # choices 1, 2, 3 and 0
    assert says(gather)[-1] == ("For English, press 9.", "en-US")


def test_no_input_at_the_menu_falls_through_to_the_menu_url(call):
    _response, root = call("/twilio/voice")
    redirect = root.find("Redirect")
    assert redirect is not None and redirect.text == gather_action(root)


def test_an_unknown_caller_is_offered_only_a_message_and_an_agent(call):
    _response, root = call("/twilio/voice", caller=STRANGER)
    choices = [text for text, lang in says(next(root.iter("Gather"))) if lang == "zh-CN"]
    assert len(choices) == 2
    assert all("1" not in text and "2" not in text for text in choices)


def test_a_replayed_incoming_call_gets_the_stored_answer_and_is_stored_once(call, ctx):
    from app.messaging.models import InboundMessage

    first, _root = call("/twilio/voice")
    again, _root = call("/twilio/voice")
    assert again.data == first.data
    assert count(InboundMessage) == 1


# --- outage notice ------------------------------------------------------------------------------

@pytest.fixture
def outage(network, ctx):
    """Factory: an outage at the resident's substation, started an hour ago unless told otherwise."""
    from app.core.time import utcnow
    from app.customers.models import Outage
    from app.extensions import db

    def make(started=timedelta(hours=-1), restore=None, ended=None):
        now = utcnow()
        row = Outage(substation_id=network["substation"], started_at=now + started,
                     estimated_restore_at=now + restore if restore is not None else None,
                     ended_at=now + ended if ended is not None else None)
        db.session.add(row)
        db.session.commit()
        return row

    return make


def test_a_current_outage_is_announced_with_its_restore_time_before_the_menu(call, outage):
    from app.core.time import to_local

    restore = outage(restore=timedelta(hours=3)).estimated_restore_at
    _response, root = call("/twilio/voice")
    top_level = [say.text for say in root.findall("Say")]
    assert len(top_level) == 2  # welcome, then the outage; the menu comes after
    assert to_local(restore).strftime("%H:%M") in top_level[1]
    assert list(root)[2].tag == "Gather"


def test_an_outage_without_a_restore_time_is_still_announced(call, outage):
    outage()
    _response, root = call("/twilio/voice")
    assert len(root.findall("Say")) == 2


@pytest.mark.parametrize("when", [dict(ended=timedelta(minutes=-5)), dict(started=timedelta(hours=2))],
                         ids=["ended", "not-started"])
def test_an_outage_that_is_over_or_not_yet_begun_is_not_announced(call, outage, when):
    outage(**when)
    _response, root = call("/twilio/voice")
    assert len(root.findall("Say")) == 1


def test_an_unknown_caller_hears_no_outage_notice(call, outage):
    outage()
    _response, root = call("/twilio/voice", caller=STRANGER)
    assert len(root.findall("Say")) == 1


# --- 1: no heat ---------------------------------------------------------------------------------

def test_pressing_1_reports_no_heat_for_the_registered_flat_and_reads_the_reference(call, network, ctx):
    from app.tickets.models import Channel

    _response, root = call(MENU, Digits="1")
    [ticket] = tickets()
    assert ticket.channel is Channel.VOICE and ticket.category.code == "no_heat"
    assert ticket.account_id == network["account"] and ticket.building_id == network["building"]
    assert (ticket.unit, ticket.flat) == ("2", "301")
    assert ticket.team_id == network["team"]
    digit_by_digit = " ".join(ticket.reference[:3]) + ", " + " ".join(ticket.reference[3:6])
    assert digit_by_digit in spoken(root)
    assert all(lang == "zh-CN" for _text, lang in says(root))
    assert root.find("Hangup") is not None


def test_a_replayed_key_press_gets_the_stored_answer_and_makes_one_ticket(call, ctx):
    from app.messaging.models import InboundMessage

    first, _root = call(MENU, Digits="1")
    again, _root = call(MENU, Digits="1")
    assert again.status_code == 200 and again.data == first.data
    assert len(tickets()) == 1
    assert count(InboundMessage) == 1


def test_an_unknown_caller_pressing_1_is_refused_and_no_ticket_is_made(call, ctx):
    _response, root = call(MENU, caller=STRANGER, Digits="1")
    assert tickets() == []
    assert root.find("Dial") is None
    assert query(gather_action(root))["tries"] == "1"  # the menu once more


# --- 2: status ----------------------------------------------------------------------------------

def test_pressing_2_tells_the_status_and_due_time_of_the_latest_complaint(call, make_ticket, app):
    from app.core.time import to_local
    from app.intake.tracking import resident_view
    from app.tickets.lifecycle import STATUS_LABELS

    older = make_ticket()
    ticket = make_ticket(at=older.created_at + timedelta(hours=1))
    with force_locale("en"):
        label = str(STATUS_LABELS[ticket.status])
    due = resident_view(ticket, "en").due_at
    _response, root = call("/twilio/voice/menu?lang=en&step=1&tries=0", Digits="2")
    text = spoken(root)
    assert label in text
    assert " ".join(ticket.reference[6:]) in text
    assert to_local(due).strftime("%H:%M") in text
    assert {lang for _text, lang in says(root)} == {"en-US"}


def test_pressing_2_with_no_complaint_says_so(call, ctx):
    _response, root = call("/twilio/voice/menu?lang=en&step=1&tries=0", Digits="2")
    assert "no complaint" in spoken(root)
    assert tickets() == []


# --- 3: a recorded message ----------------------------------------------------------------------

def test_pressing_3_records_a_message_to_the_recording_url(call):
    _response, root = call(MENU, caller=STRANGER, Digits="3")
    record = root.find("Record")
    assert urlsplit(record.get("action")).path == "/twilio/voice/recording"
    assert query(record.get("action")) == {"lang": "zh"}
    assert record.get("finishOnKey") == "#" and record.get("maxLength") == "120"


RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"


def test_a_message_from_an_unknown_caller_becomes_a_ticket_in_triage(call, ctx):
    from app.tickets.models import Channel

    _response, root = call("/twilio/voice/recording?lang=zh", caller=STRANGER,
                           RecordingUrl=RECORDING, RecordingDuration="42", RecordingSid="RE1")
    [ticket] = tickets()
    assert ticket.in_triage and ticket.building_id is None and ticket.account_id is None
    assert ticket.channel is Channel.VOICE and ticket.category.code == "other"
    assert ticket.phone == STRANGER and RECORDING in ticket.description
    assert " ".join(ticket.reference[6:]) in spoken(root)


def test_a_message_from_a_known_caller_waits_in_triage_with_their_account(call, network, ctx):
    call("/twilio/voice/recording?lang=zh", RecordingUrl=RECORDING, RecordingDuration="9")
    [ticket] = tickets()
    assert ticket.account_id == network["account"] and RECORDING in ticket.description
    assert ticket.in_triage  # an agent listens first: a recording is never dispatched unheard
    assert ticket.events[0].data["recording_url"] == RECORDING


def test_a_replayed_recording_makes_one_ticket(call, ctx):
    first, _root = call("/twilio/voice/recording?lang=zh", caller=STRANGER, RecordingUrl=RECORDING,
                        RecordingDuration="42")
    again, _root = call("/twilio/voice/recording?lang=zh", caller=STRANGER, RecordingUrl=RECORDING,
                        RecordingDuration="42")
    assert again.data == first.data
    assert len(tickets()) == 1


def test_an_empty_recording_makes_no_ticket(call, ctx):
    _response, root = call("/twilio/voice/recording?lang=zh", caller=STRANGER, RecordingUrl=RECORDING,
                           RecordingDuration="0")
    assert tickets() == [] and root.find("Hangup") is not None


def test_a_message_from_a_withheld_number_goes_to_an_agent(call, ctx):
    _response, root = call("/twilio/voice/recording?lang=zh", caller="anonymous", RecordingUrl=RECORDING,
                           RecordingDuration="30")
    assert tickets() == []
    assert root.find("Dial").text == CALL_CENTRE


# --- 0, no input, invalid keys ------------------------------------------------------------------

@pytest.mark.parametrize("digits", ["0", None], ids=["zero", "no-input"])
def test_0_or_no_input_puts_the_caller_through_to_the_call_centre(call, digits):
    fields = {"Digits": digits} if digits is not None else {}
    _response, root = call(MENU, **fields)
    assert root.find("Dial").text == CALL_CENTRE


def test_without_a_call_centre_number_the_caller_is_told_and_the_call_ends(call, twilio_config):
    twilio_config["CALL_CENTRE_NUMBER"] = None
    _response, root = call(MENU, Digits="0")
    assert root.find("Dial") is None
    assert root.find("Say") is not None and root.find("Hangup") is not None


def test_an_invalid_key_repeats_the_menu_once_then_transfers(call):
    _response, root = call(MENU, Digits="7")
    assert root.find("Dial") is None
    repeat = gather_action(root)
    assert query(repeat) == {"lang": "zh", "step": "2", "tries": "1"}
    _response, root = call(repeat, Digits="8")
    assert root.find("Dial").text == CALL_CENTRE


# --- English ------------------------------------------------------------------------------------

def test_pressing_9_switches_the_call_to_english(call, ctx):
    _response, root = call(MENU, Digits="9")
    assert {lang for _text, lang in says(root)} == {"en-US"}
    assert "Welcome" in spoken(root) and "For English" not in spoken(root)
    english_menu = gather_action(root)
    assert query(english_menu) == {"lang": "en", "step": "2", "tries": "0"}

    _response, root = call(english_menu, Digits="1")
    [ticket] = tickets()
    assert ticket.language == "en"
    assert {lang for _text, lang in says(root)} == {"en-US"}
    assert "reference number" in spoken(root)


def test_the_signature_is_checked_against_the_public_base_url_when_set(call, twilio_config):
    twilio_config["PUBLIC_BASE_URL"] = "https://desk.example.com"
    params = {"CallSid": "CA" + "3" * 32, "From": RESIDENT_PHONE, "To": "+864715550000"}
    public = RequestValidator(TOKEN).compute_signature("https://desk.example.com/twilio/voice", params)
    response, _root = call("/twilio/voice", sid=params["CallSid"], signature=public)
    assert response.status_code == 200
    response, _root = call("/twilio/voice", sid="CA" + "4" * 32)  # signed for the internal URL
    assert response.status_code == 403


def test_pressing_1_with_an_open_ticket_adds_the_call_to_it(call, ctx):
    call(MENU, Digits="1")
    _response, root = call(MENU, Digits="1", sid="CA" + "2" * 32)
    [ticket] = tickets()
    assert " ".join(ticket.reference[:3]) in spoken(root)
    assert [e.action for e in ticket.events].count("call") == 1

"""The voice menu (IVR): what a caller hears and what their key presses do.

Chinese first, with "For English press 9" said in English; the chosen language travels in the
follow-up URLs (?lang=en). A caller whose number is on a customer account may report "no heat"
for their flat (1) or hear the status of their latest complaint (2); anyone may leave a recorded
message (3) or be put through to the call centre (0, or no input). A known outage at the caller's
substation is announced before the menu. Every step is numbered (?step=N) so that a retried
webhook is recognised; the routes store each answer and replay it.
Functions build TwiML and may create tickets through the intake service; they never commit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, url_for
from flask_babel import force_locale, gettext as _
from sqlalchemy import or_, select
from twilio.twiml.voice_response import Gather, VoiceResponse

from app.core.errors import ValidationFailed
from app.core.i18n import format_when
from app.customers import lookup
from app.customers.models import Building, CustomerAccount, Outage
from app.extensions import db
from app.intake.repeats import add_to_open_ticket, open_ticket_of
from app.intake.service import ComplaintInput, submit_complaint
from app.intake.tracking import resident_view
from app.messaging.numbers import normalise_phone
from app.tickets.lifecycle import STATUS_LABELS, Actor
from app.tickets.models import Channel, Ticket

# our language code → (the app's locale, Twilio's <Say language>)
LANGUAGES = {"zh": ("zh_Hans", "zh-CN"), "en": ("en", "en-US")}
ENGLISH_KEY = "9"
GATHER_TIMEOUT_SECONDS = 8
MAX_MESSAGE_SECONDS = 120
MAX_STEP = 20  # a call that keeps looping through the menu is put through to an agent


@dataclass(frozen=True)
class Caller:
    """Who is calling: their number (None when withheld or unparsable) and their account, if known."""

    number: str | None
    account: CustomerAccount | None

    @property
    def known(self) -> bool:
        return self.account is not None


def language_of(value: str | None) -> str:
    """'en' or 'zh' from a follow-up URL's ?lang= (anything else is the default, Chinese)."""
    return "en" if value == "en" else "zh"


def stored_language(lang: str) -> str:
    """The language as tickets and inbound records store it ('en' or 'zh_Hans')."""
    return LANGUAGES[lang][0]


def identify(raw_from: str | None) -> Caller:
    """The caller behind Twilio's From, with the (first) account the number is registered to, if any."""
    number = normalise_phone(raw_from or "")
    if number is None:
        return Caller(number=None, account=None)
    accounts = lookup.accounts_by_phone(number)
    return Caller(number=number, account=accounts[0] if accounts else None)


def current_outage(account: CustomerAccount, now: datetime) -> Outage | None:
    """The known outage at the account's substation that is going on now, if any."""
    return db.session.scalar(
        select(Outage)
        .join(Building, Building.substation_id == Outage.substation_id)
        .where(Building.id == account.building_id, Outage.ended_at.is_(None), Outage.started_at <= now)
        .order_by(Outage.started_at.desc(), Outage.id.desc())
        .limit(1)
    )


def latest_ticket(caller: Caller) -> Ticket | None:
    """The caller's most recent complaint: made from this number or for their account."""
    if caller.number is None:
        return None
    condition = Ticket.phone == caller.number
    if caller.account is not None:
        condition = or_(condition, Ticket.account_id == caller.account.id)
    return db.session.scalar(
        select(Ticket).where(condition).order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(1)
    )


def spoken_reference(reference: str) -> str:
    """A reference read digit by digit in its 3-3-4 groups: '3 8 4, 1 2 9, 5 7 0 6'."""
    groups = (reference[:3], reference[3:6], reference[6:])
    return ", ".join(" ".join(group) for group in groups if group)


# --- the steps of a call ------------------------------------------------------------------------

def greeting(caller: Caller, lang: str, now: datetime, step: int = 1, tries: int = 0) -> VoiceResponse:
    """The first answer: welcome, the outage notice if the caller's substation is down, then the menu."""
    response = VoiceResponse()
    with force_locale(LANGUAGES[lang][0]):
        company = current_app.config["COMPANY_NAME_EN" if lang == "en" else "COMPANY_NAME"]
        _say(response, lang, _("Welcome to the %(company)s service line.", company=company))
        outage = current_outage(caller.account, now) if caller.account is not None else None
        if outage is not None:
            if outage.estimated_restore_at is not None:
                _say(response, lang, _(
                    "There is a known heating outage in your area. We expect heating to be back by %(when)s.",
                    when=format_when(outage.estimated_restore_at)))
            else:
                _say(response, lang, _("There is a known heating outage in your area. Our teams are working on it."))
    _menu(response, caller, lang, step, tries)
    return response


def choose(caller: Caller, digits: str, lang: str, step: int, tries: int,
           now: datetime) -> tuple[VoiceResponse, Ticket | None]:
    """What the key pressed at the menu does; returns the answer and the ticket it made, if any."""
    digits = (digits or "").strip()
    if digits == "" or digits == "0" or step >= MAX_STEP:
        return transfer(lang), None
    if digits == ENGLISH_KEY and lang == "zh":
        return greeting(caller, "en", now, step + 1, tries), None
    if digits == "3":
        return record_prompt(lang), None
    if digits in ("1", "2") and caller.known:
        if digits == "1":
            return report_no_heat(caller, lang, now)
        return status_of_latest(caller, lang), None
    return _invalid(caller, lang, step, tries, registered_only=digits in ("1", "2")), None


def report_no_heat(caller: Caller, lang: str, now: datetime) -> tuple[VoiceResponse, Ticket | None]:
    """Menu 1: a "no heat" ticket for the caller's registered flat, its reference read back twice."""
    assert caller.account is not None and caller.number is not None
    response = VoiceResponse()
    existing = open_ticket_of(caller.account, caller.number)
    if existing is not None:  # already being worked: no duplicate, the call is added to it
        with force_locale(LANGUAGES[lang][0]):
            add_to_open_ticket(existing, _("Called again through the voice menu: no heat."), "voice", now)
            _say(response, lang, _("Your complaint is already registered, reference %(ref)s. We have noted your call.",
                                   ref=spoken_reference(existing.reference)))
            _say(response, lang, _("A technician will contact you. Goodbye."))
        response.hangup()
        return response, existing
    with force_locale(LANGUAGES[lang][0]):
        data = ComplaintInput(
            channel=Channel.VOICE, name=caller.account.name[:60], phone=caller.number, category="no_heat",
            account_number=caller.account.account_number, description=_("Reported through the voice menu: no heat."),
            language=stored_language(lang),
        )
        try:
            ticket = submit_complaint(data, Actor.resident(), now=now)
        except ValidationFailed:
            current_app.logger.warning("voice menu: could not file a no-heat complaint for account %s",
                                       caller.account.account_number)
            return transfer(lang), None
        spoken = spoken_reference(ticket.reference)
        _say(response, lang, _("Your complaint has been registered. Your reference number is %(ref)s.", ref=spoken))
        _say(response, lang, _("Again, your reference number is %(ref)s.", ref=spoken))
        _say(response, lang, _("A technician will contact you. Goodbye."))
    response.hangup()
    return response, ticket


def status_of_latest(caller: Caller, lang: str) -> VoiceResponse:
    """Menu 2: the status of the caller's latest complaint and when we expect to act, spoken."""
    response = VoiceResponse()
    ticket = latest_ticket(caller)
    with force_locale(LANGUAGES[lang][0]):
        if ticket is None:
            _say(response, lang, _("We have no complaint from this number."))
        else:
            view = resident_view(ticket, stored_language(lang))
            _say(response, lang, _("Your latest complaint, reference %(ref)s, is: %(status)s.",
                                   ref=spoken_reference(ticket.reference), status=STATUS_LABELS[ticket.status]))
            if view.due_at is not None:
                _say(response, lang, _("We expect to act on it by %(when)s.", when=format_when(view.due_at)))
        _say(response, lang, _("Thank you for calling. Goodbye."))
    response.hangup()
    return response


def record_prompt(lang: str) -> VoiceResponse:
    """Menu 3: record a message after the tone; the recording comes back to the recording URL."""
    response = VoiceResponse()
    with force_locale(LANGUAGES[lang][0]):
        _say(response, lang, _(
            "After the tone, please tell us your problem and your address, then press the hash key."))
        response.record(action=url_for("voice.recording", lang=lang), method="POST", max_length=MAX_MESSAGE_SECONDS,
                        finish_on_key="#", play_beep=True, timeout=5)
        # Reached only when nothing was recorded (Twilio goes on to the next verb).
        _say(response, lang, _("We did not receive a message. Goodbye."))
    response.hangup()
    return response


def take_message(caller: Caller, recording_url: str, duration: str, lang: str,
                 now: datetime) -> tuple[VoiceResponse, Ticket | None]:
    """The recorded message becomes a ticket: placed by intake when the caller is known, else in triage."""
    response = VoiceResponse()
    if not recording_url or duration.strip() in ("", "0"):
        with force_locale(LANGUAGES[lang][0]):
            _say(response, lang, _("We did not receive a message. Goodbye."))
        response.hangup()
        return response, None
    if caller.number is None:
        # No number to call back and no phone for the ticket: an agent must take the call.
        return transfer(lang), None
    with force_locale(LANGUAGES[lang][0]):
        data = ComplaintInput(
            channel=Channel.VOICE,
            name=caller.account.name[:60] if caller.account is not None else _("Phone caller"),
            phone=caller.number, category="other",
            account_number=caller.account.account_number if caller.account is not None else "",
            description=_("Voice message (%(seconds)s s): %(url)s", seconds=duration.strip()[:6], url=recording_url),
            language=stored_language(lang), address_optional=True, triage=True,
            extra={"recording_url": recording_url},
        )
        try:
            ticket = submit_complaint(data, Actor.resident(), now=now)
        except ValidationFailed:
            current_app.logger.warning("voice menu: could not file the recorded message %s", recording_url)
            return transfer(lang), None
        spoken = spoken_reference(ticket.reference)
        _say(response, lang, _("Thank you, we have your message. Your reference number is %(ref)s.", ref=spoken))
        _say(response, lang, _("Again, your reference number is %(ref)s. Goodbye.", ref=spoken))
    response.hangup()
    return response, ticket


def transfer(lang: str) -> VoiceResponse:
    """0 or no input: put the caller through to the call centre, or say politely that it is closed."""
    response = VoiceResponse()
    number = current_app.config.get("CALL_CENTRE_NUMBER")
    with force_locale(LANGUAGES[lang][0]):
        if number:
            _say(response, lang, _("Please hold, we are putting you through to an agent."))
            response.dial(number, timeout=30)
        else:
            _say(response, lang, _("Sorry, our hotline is not available right now. Please call again later. Goodbye."))
            response.hangup()
    return response


# --- helpers ------------------------------------------------------------------------------------

def _invalid(caller: Caller, lang: str, step: int, tries: int, *, registered_only: bool) -> VoiceResponse:
    """A key the menu does not offer: the menu once more, then an agent."""
    if tries >= 1:
        return transfer(lang)
    response = VoiceResponse()
    with force_locale(LANGUAGES[lang][0]):
        if registered_only:
            _say(response, lang, _("This option is only for numbers registered to a heating account."))
        else:
            _say(response, lang, _("Sorry, that is not one of the choices."))
    _menu(response, caller, lang, step + 1, tries + 1)
    return response


def _menu(response: VoiceResponse, caller: Caller, lang: str, step: int, tries: int) -> None:
    """<Gather> one key with the choices this caller has; no input falls through to the same URL (→ agent)."""
    action = url_for("voice.menu", lang=lang, step=step, tries=tries)
    gather = Gather(input="dtmf", num_digits=1, timeout=GATHER_TIMEOUT_SECONDS, action=action, method="POST")
    with force_locale(LANGUAGES[lang][0]):
        if caller.known:
            _say(gather, lang, _("To report that your home has no heating, press 1."))
            _say(gather, lang, _("To hear the status of your latest complaint, press 2."))
        _say(gather, lang, _("To leave a message, press 3."))
        _say(gather, lang, _("To speak to an agent, press 0."))
    if lang == "zh":
        with force_locale("en"):
            _say(gather, "en", _("For English, press 9."))
    response.append(gather)
    response.redirect(action, method="POST")


def _say(verb: VoiceResponse | Gather, lang: str, text: str) -> None:
    verb.say(str(text), language=LANGUAGES[lang][1])

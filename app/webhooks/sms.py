"""Inbound SMS: a resident complains, asks for the status, rates the repair or opts out by text.

`handle_sms` is the whole conversation; the route only checks the signature, calls it and commits.
Each message is recorded by its MessageSid with the TwiML answered, so a webhook Twilio delivers
twice is answered again from the record and never makes a second ticket or reply.

Replies are in the language the resident wrote in, signed like every other text (【包头热力】), and
written to fit one segment (70 characters in Chinese). When the change itself writes a notification
to the outbox (the intake's "received", the rating's "closed"), the TwiML reply carries that very
text and the outbox row is marked sent, so the resident never gets it twice.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale, gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.errors import DomainError, ValidationFailed
from app.core.i18n import format_when
from app.core.text import clean_text
from app.core.time import utcnow
from app.customers import lookup
from app.customers.models import Building, CustomerAccount, District
from app.extensions import db
from app.intake.repeats import add_to_open_ticket, open_ticket_of
from app.intake.service import LIMITS, ComplaintInput, submit_complaint
from app.intake.tracking import resident_view
from app.messaging.models import MessageStatus, OutboxMessage, SmsConversation
from app.messaging.notify import signature
from app.messaging.numbers import display_phone, normalise_phone
from app.messaging.optout import is_opted_out, opt_in, opt_out
from app.satisfaction.replies import means_not_fixed
from app.tickets import lifecycle
from app.tickets.lifecycle import STATUS_LABELS, Actor
from app.tickets.models import Channel, Status, Ticket
from app.tickets.references import format_reference, parse_reference
from app.webhooks import keywords
from app.webhooks.twilio import claim, handled, message_twiml

log = logging.getLogger(__name__)

KIND = "sms"
MAX_BODY = LIMITS["description"]  # longer texts are cut here: the complaint keeps its first 2,000 characters
AWAITING = "awaiting_address"
DONE = "done"
EXPIRED = "expired"

_ADDRESS = re.compile(
    r"^(?P<building>.+?\d+\s*(?:号楼|栋|幢|#|号|楼))\s*(?:(?P<unit>\d+)\s*单元)?\s*"
    r"(?:(?P<flat>\d+)\s*(?:室|号|户)?)?\s*$"
)


def handle_sms(sid: str, from_raw: str, body: str | None, now: datetime | None = None) -> str:
    """Answer one inbound SMS with TwiML; a MessageSid seen before gets the same answer, nothing more."""
    now = now or utcnow()
    text = clean_text(body, multiline=True)[:MAX_BODY]
    language = keywords.detect_language(text)
    number = normalise_phone(from_raw or "")
    inbound = claim(KIND, sid, from_number=number, body=text, language=language)
    if inbound is None:
        earlier = handled(KIND, sid)
        return earlier.reply if earlier is not None else message_twiml()
    reply, ticket = _respond(number, text, language, sid, now)
    inbound.ticket_id = ticket.id if ticket is not None else None
    inbound.reply = message_twiml(reply) if reply else message_twiml()
    return inbound.reply


def _respond(number: str | None, text: str, language: str, sid: str,
             now: datetime) -> tuple[str, Ticket | None]:
    """The reply text (empty: none) and the ticket the message concerned."""
    if number is None:
        return _say(language, _l("We could not read your phone number. Please call our service line.")), None
    command = keywords.command_of(text)
    if command == "stop":
        first = opt_out(number)
        return (_say(language, _l("You will get no more texts from us. Reply START to get them again."))
                if first else ""), None
    if command == "start":
        opt_in(number)
        return _say(language, _l("You will get texts from us again. Reply STOP to stop them.")), None
    if command == "help":
        return _help(language), None

    reply, ticket = _converse(number, text, language, sid, now, command)
    if is_opted_out(number):
        return "", ticket  # an opted-out number gets nothing, but its complaint still counts
    return reply, ticket


def _converse(number: str, text: str, language: str, sid: str, now: datetime,
              command: str | None) -> tuple[str, Ticket | None]:
    if command == "status":
        ticket = latest_ticket(number)
        if ticket is None:
            return _say(language, _l("We have no complaint from this number. Text us the problem to report it.")), None
        return status_text(ticket, language), ticket

    conversation = active_conversation(number, now)
    reference = parse_reference(text)
    if reference is not None:
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference, Ticket.phone == number))
        if ticket is not None:
            return status_text(ticket, language), ticket
        if conversation is None:
            return _say(language, _l("We found no ticket with this reference for your number.")), None

    rating = keywords.parse_rating(text)
    if rating is not None and conversation is None:
        ticket = latest_resolved_ticket(number)
        if ticket is not None:
            return _rate(ticket, *rating, language=language, now=now), ticket
        if not rating[1]:
            return _help(language), None
    if rating is None and conversation is None and means_not_fixed(text):  # the answer to the survey
        ticket = latest_resolved_ticket(number)
        if ticket is not None:
            return _not_fixed(ticket, text, language=language, now=now), ticket

    if conversation is not None:
        return _answer(conversation, text, sid, now)
    if not text:
        return _help(language), None

    for stale in stale_conversations(number, now):
        expire_conversation(stale, now)
    accounts = lookup.accounts_by_phone(number)
    if len(accounts) == 1:
        open_ticket = open_ticket_of(accounts[0], number)
        if open_ticket is not None:  # a repeat: it goes to the ticket already being worked
            add_to_open_ticket(open_ticket, text, "sms", now)
            return _say(language, _l("We have added your message to reference %(ref)s.",
                                     ref=format_reference(open_ticket.reference))), open_ticket
        ticket = _complain(number, text, language, sid, now, account=accounts[0])
        return _confirmation(ticket, language), ticket
    db.session.add(SmsConversation(
        number=number, state=AWAITING, language=language, complaint_text=text,
        expires_at=now + timedelta(minutes=current_app.config["SMS_CONVERSATION_MINUTES"]),
    ))
    return _say(language, _l("Please reply with your heating account number or address.")), None


# --- the conversation with an unknown number ----------------------------------------------------

def active_conversation(number: str, now: datetime) -> SmsConversation | None:
    """The number's open question to us (account number or address?), if it has not expired."""
    return db.session.scalar(
        select(SmsConversation)
        .where(SmsConversation.number == number, SmsConversation.state == AWAITING,
               SmsConversation.expires_at > now)
        .order_by(SmsConversation.id.desc()).limit(1)
    )


def stale_conversations(number: str | None, now: datetime) -> list[SmsConversation]:
    """Conversations never answered in time (of one number, or of all when number is None)."""
    query = select(SmsConversation).where(SmsConversation.state == AWAITING, SmsConversation.expires_at <= now)
    if number is not None:
        query = query.where(SmsConversation.number == number)
    return list(db.session.scalars(query.order_by(SmsConversation.id)))


def _answer(conversation: SmsConversation, text: str, sid: str, now: datetime) -> tuple[str, Ticket | None]:
    """The resident's answer: an account number, an address, or words we cannot place (triage)."""
    language = conversation.language
    account = lookup.account_by_number(re.sub(r"\s", "", keywords.normalise(text)))
    if account is not None:
        ticket = _complain(conversation.number, conversation.complaint_text, language, sid, now, account=account)
    else:
        district, building, unit, flat = parse_address(text)
        ticket = _complain(
            conversation.number, conversation.complaint_text, language, sid, now,
            district=district, building=(building.name if building else text[:LIMITS["building"]]),
            unit=unit, flat=flat, address_optional=building is None,
        )
    if ticket is None:
        return _say(language, _l("Sorry, we could not register your complaint. Please call our service line.")), None
    conversation.state = DONE
    conversation.ticket_id = ticket.id
    return _confirmation(ticket, language), ticket


def parse_address(text: str) -> tuple[District | None, Building | None, str, str]:
    """(district, building, unit, flat) found in an address such as 昆都仑区阿尔丁小区3号楼2单元301室."""
    plain = keywords.normalise(text)
    district = None
    for candidate in db.session.scalars(select(District)):
        for name in (candidate.name, candidate.name_en):
            if name and name.lower() in plain.lower():
                district = candidate
                plain = re.sub(re.escape(name), "", plain, flags=re.I).strip(" ,，")
                break
        if district is not None:
            break
    match = _ADDRESS.match(plain)
    building_text, unit, flat = (match["building"], match["unit"] or "", match["flat"] or "") if match else (plain, "", "")
    if district is not None:
        building = lookup.find_building(district.id, building_text)
    else:
        found = db.session.scalars(
            select(Building).where(Building.key == lookup.building_key(building_text)).limit(2)
        ).all()
        building = found[0] if len(found) == 1 else None
    if building is not None:
        district = building.substation.district
    return district, building, unit, flat


def expire_conversation(conversation: SmsConversation, now: datetime) -> Ticket | None:
    """Never answered: the complaint goes to the agents' triage queue rather than being lost."""
    ticket = _complain(conversation.number, conversation.complaint_text, conversation.language,
                       f"conversation-{conversation.id}", now, address_optional=True)
    conversation.state = EXPIRED
    conversation.ticket_id = ticket.id if ticket is not None else None
    return ticket


def expire_conversations(now: datetime | None = None) -> list[Ticket]:
    """Turn every conversation past its time into a triage ticket (run by `flask sms expire`)."""
    now = now or utcnow()
    tickets = [expire_conversation(c, now) for c in stale_conversations(None, now)]
    return [t for t in tickets if t is not None]


# --- complaints, status and scores --------------------------------------------------------------

def _complain(number: str, text: str, language: str, sid: str, now: datetime, *,
              account: CustomerAccount | None = None, district: District | None = None, building: str = "",
              unit: str = "", flat: str = "", address_optional: bool = False) -> Ticket | None:
    """The complaint through the intake service; None (and nothing stored) if it refuses."""
    data = ComplaintInput(
        channel=Channel.SMS,
        name=(account.name if account else display_phone(number))[:LIMITS["name"]],
        phone=number,
        category=keywords.guess_category(text),
        description=text,
        account_number=account.account_number if account else "",
        district_id=district.id if district else None,
        building=building, unit=unit[:LIMITS["unit"]], flat=flat[:LIMITS["flat"]],
        sms_consent=not is_opted_out(number),
        language=language,
        extra={"message_sid": sid},
        address_optional=address_optional,
    )
    try:
        with db.session.begin_nested():
            return submit_complaint(data, Actor.resident(), now=now)
    except ValidationFailed as exc:
        log.warning("SMS complaint from %s refused by intake: %s", number, exc.errors)
        return None


def _rate(ticket: Ticket, score: int, comment: str, *, language: str, now: datetime) -> str:
    try:
        with db.session.begin_nested():
            lifecycle.rate(ticket, score, comment, Actor.resident(), now=now)
    except DomainError as exc:
        log.warning("SMS score for %s refused: %s", ticket.reference, exc)
        return _help(language)
    ref = format_reference(ticket.reference)
    if ticket.status is Status.CLOSED:
        return _sent_as_reply(ticket, "closed", now) or _say(
            language, _l("Reference %(ref)s is closed. Thank you for your feedback.", ref=ref))
    return _say(language, _l("Sorry about reference %(ref)s. A supervisor will call you back.", ref=ref))


def _not_fixed(ticket: Ticket, text: str, *, language: str, now: datetime) -> str:
    """"没修好", "还是不热": reopened, and a supervisor will call back (the lifecycle sets the task)."""
    try:
        with db.session.begin_nested():
            lifecycle.reopen(ticket, Actor.resident(), text, now=now)
    except DomainError as exc:
        log.warning("SMS 'not fixed' for %s refused: %s", ticket.reference, exc)
        return _help(language)
    return _say(language, _l("Sorry about reference %(ref)s. A supervisor will call you back.",
                             ref=format_reference(ticket.reference)))


def _confirmation(ticket: Ticket | None, language: str) -> str:
    if ticket is None:
        return _say(language, _l("Sorry, we could not register your complaint. Please call our service line."))
    ref = format_reference(ticket.reference)
    return _sent_as_reply(ticket, "received", ticket.created_at) or _say(
        language, _l("Complaint received, reference %(ref)s. We will contact you soon.", ref=ref))


def status_text(ticket: Ticket, language: str) -> str:
    """'Reference 384 129 5706: Dispatched, due by 21 Nov 21:30.' in the resident's language."""
    with force_locale(language):
        view = resident_view(ticket, language)
        ref = format_reference(ticket.reference)
        status = str(STATUS_LABELS[ticket.status])
        if view.due_at is not None:
            text = _("Reference %(ref)s: %(status)s, due by %(when)s.", ref=ref, status=status,
                     when=format_when(view.due_at))
        else:
            text = _("Reference %(ref)s: %(status)s.", ref=ref, status=status)
        return signature(language) + text


def latest_ticket(number: str) -> Ticket | None:
    """The sender's most recent ticket."""
    return db.session.scalar(
        select(Ticket).where(Ticket.phone == number).order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(1)
    )


def latest_resolved_ticket(number: str) -> Ticket | None:
    """The sender's most recently resolved ticket still waiting for a score."""
    return db.session.scalar(
        select(Ticket).where(Ticket.phone == number, Ticket.status == Status.RESOLVED)
        .order_by(Ticket.resolved_at.desc(), Ticket.id.desc()).limit(1)
    )


def _sent_as_reply(ticket: Ticket, kind: str, now: datetime) -> str | None:
    """The text the change just put in the outbox, marked sent: it goes out as this webhook's reply."""
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == kind,
                                    OutboxMessage.status == MessageStatus.PENDING)
        .order_by(OutboxMessage.id.desc()).limit(1)
    )
    if message is None:
        return None
    message.status = MessageStatus.SENT
    message.sent_at = now
    message.error = None
    return message.body


# --- texts --------------------------------------------------------------------------------------

def _say(language: str, text) -> str:
    """A lazily translated text, rendered in the resident's language and signed."""
    with force_locale(language):
        return signature(language) + str(text)


def _help(language: str) -> str:
    return _say(language, _l("Text us your heating problem to report it. STATUS: your ticket. "
                            "1-5: your score. STOP: no more texts."))

"""Notifications to residents, written to the outbox in the resident's language.

Only residents who consented get texts, and only on mobiles in the utility's region.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, gettext as _

from app.core.i18n import format_when
from app.messaging.numbers import may_text
from app.messaging.optout import is_opted_out
from app.messaging.outbox import queue_sms
from app.tickets.references import format_reference


def _send(ticket, kind: str, compose) -> None:
    if not ticket.sms_consent or not may_text(ticket.phone) or is_opted_out(ticket.phone):
        return
    with force_locale(ticket.language):
        body = signature(ticket.language) + compose(format_reference(ticket.reference))
    if ticket.id is None:
        from app.extensions import db

        db.session.flush()
    queue_sms(to=ticket.phone, body=body, language=ticket.language, kind=kind, ticket_id=ticket.id)


def signature(language: str) -> str:
    """【包头热力】 as Chinese carriers expect; an ASCII one in English, so the text stays GSM-7 (160 a segment)."""
    if language == "en":
        return f"[{current_app.config['COMPANY_NAME_EN']}] "
    return f"【{current_app.config['COMPANY_NAME']}】"


def _staff_text(compose) -> tuple[str, str]:
    """A text for staff: in the company's language (`compose(language)` writes it in that locale), signed."""
    language = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        return language, signature(language) + compose(language)


def received(ticket) -> None:
    """The complaint is in: its reference, and when we will be in touch."""
    if ticket.respond_due_at is not None:
        _send(ticket, "received", lambda ref: _(
            "Complaint received, reference %(ref)s. We will contact you by %(when)s.",
            ref=ref, when=format_when(ticket.respond_due_at)))
    else:
        _send(ticket, "received", lambda ref: _(
            "Complaint received, reference %(ref)s. We will contact you soon.", ref=ref))


def technician_assigned(ticket) -> None:
    """A technician has the job."""
    _send(ticket, "assigned", lambda ref: _(
        "Reference %(ref)s: a technician has been dispatched and will contact you.", ref=ref))


def technician_on_the_way(ticket) -> None:
    """The technician is coming: keep the phone on."""
    _send(ticket, "en_route", lambda ref: _(
        "Reference %(ref)s: the technician is on the way. Please keep your phone on.", ref=ref))


def resolved_please_rate(ticket) -> None:
    """Resolved: ask for the score once per resolution, by a reply 1–5 or on the survey page the link opens.

    A second call for the same resolution (a retried job, a re-sent request) finds the first text in the
    outbox and sends nothing."""
    from app.satisfaction.links import survey_link

    link = survey_link(ticket)
    if link is None:  # no public address known: the reply 1–5 still works
        _send(ticket, "survey", lambda ref: _(
            "Reference %(ref)s is resolved. Please reply with a score from 1 to 5 (5 = very satisfied).",
            ref=ref))
        return
    if ticket.id is not None and _survey_already_sent(ticket.id, link.marker):
        return
    _send(ticket, "survey", lambda ref: _(
        "Reference %(ref)s is resolved. Reply 1-5 to rate us (5 = very satisfied) or tap %(link)s",
        ref=ref, link=link.url))


def closed(ticket) -> None:
    """Closed with the resident's score: thank them."""
    _send(ticket, "closed", lambda ref: _("Reference %(ref)s is closed. Thank you for your feedback.", ref=ref))


def new_job_for_technician(ticket) -> None:
    """The technician hears of a new job at once, on the phone in their pocket (staff: no consent needed)."""
    technician = ticket.assignee
    if technician is None or not technician.phone or not may_text(technician.phone) or is_opted_out(technician.phone):
        return

    def compose(language: str) -> str:
        where = " ".join(part for part in (
            ticket.district.display_name(language) if ticket.district else "", ticket.address_text,
            _("unit %(u)s", u=ticket.unit) if ticket.unit else "", _("flat %(f)s", f=ticket.flat) if ticket.flat else "",
        ) if part)
        return _("New job %(ref)s: %(problem)s, %(where)s.", ref=format_reference(ticket.reference),
                 problem=ticket.category.display_name(language), where=where)

    language, body = _staff_text(compose)
    queue_sms(to=technician.phone, body=body, language=language, kind="new_job", ticket_id=ticket.id)


def _survey_already_sent(ticket_id: int, marker: str) -> bool:
    """A survey text of this very resolution is in the outbox (every link of one resolution shares `marker`)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.messaging.models import OutboxMessage

    return db.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.ticket_id == ticket_id, OutboxMessage.kind == "survey",
                                       OutboxMessage.body.contains(marker, autoescape=True)).limit(1)
    ) is not None


def callback_for_supervisors(ticket) -> None:
    """The resident says it is not right: the team's supervisors hear at once whom to call, and by when
    (staff: no consent needed; opted-out numbers and numbers outside the region get nothing)."""
    from sqlalchemy import select

    from app.auth.models import Role, User
    from app.extensions import db
    from app.messaging.numbers import display_phone

    if ticket.team_id is None or ticket.callback_due_at is None:
        return
    supervisors = db.session.scalars(select(User).where(
        User.team_id == ticket.team_id, User.role == Role.SUPERVISOR, User.active.is_(True)).order_by(User.id))
    numbers = [u.phone for u in supervisors if u.phone and may_text(u.phone) and not is_opted_out(u.phone)]
    if not numbers:
        return
    language, body = _staff_text(lambda _language: _(
        "Call-back %(ref)s: the resident is not satisfied. Please call %(phone)s by %(when)s.",
        ref=format_reference(ticket.reference), phone=display_phone(ticket.phone),
        when=format_when(ticket.callback_due_at)))
    for number in numbers:
        queue_sms(to=number, body=body, language=language, kind="callback", ticket_id=ticket.id)


def callback_overdue(ticket, numbers: list[str], queue=queue_sms) -> None:
    """Nobody has called the unsatisfied resident back by the due time: the SLA sweep tells the team's
    supervisors and the duty manager (`numbers`, already checked by the sweep), once per call-back.
    `queue` takes queue_sms's arguments: the sweep collects a round's texts to write them at once."""
    if not numbers:
        return
    from app.messaging.numbers import display_phone

    language, body = _staff_text(lambda _language: _(
        "Call-back %(ref)s is overdue (due %(when)s). Please call %(phone)s now.",
        ref=format_reference(ticket.reference), phone=display_phone(ticket.phone),
        when=format_when(ticket.callback_due_at)))
    for number in numbers:
        queue(to=number, body=body, language=language, kind="callback_overdue", ticket_id=ticket.id)

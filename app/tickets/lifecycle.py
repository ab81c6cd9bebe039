"""The one place ticket states change.

Each action names the states it may start from and the state it leads to. Every change is
checked here, recorded as a TicketEvent, and adds the notifications it causes to the outbox.
Functions never commit: the boundary (view, webhook, job) does, once.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert as sa_insert

from app.core.errors import IllegalTransition, ValidationFailed
from app.core.text import clean_text
from app.core.time import utcnow
from app.extensions import db
from app.messaging import notify
from app.satisfaction import resolutions
from app.sla import service as sla
from app.tickets.models import ActorKind, Closure, Status, Ticket, TicketEvent

S = Status
WORKING = frozenset({S.ASSIGNED, S.ACKNOWLEDGED, S.EN_ROUTE, S.ON_SITE})
UNASSIGNED = frozenset({S.NEW, S.REOPENED, S.TRANSFERRED})

# action → the states it may start from
ALLOWED_FROM: dict[str, frozenset[Status]] = {
    "assign": UNASSIGNED | WORKING,
    "acknowledge": frozenset({S.ASSIGNED}),
    "depart": frozenset({S.ACKNOWLEDGED}),
    "arrive": frozenset({S.ACKNOWLEDGED, S.EN_ROUTE}),
    "wait_for_resident": WORKING,
    "resume": frozenset({S.WAITING}),
    "resolve": WORKING,
    "rate": frozenset({S.RESOLVED}),
    "close_without_response": frozenset({S.RESOLVED}),
    "close_after_callback": frozenset({S.REOPENED}),
    "reopen": frozenset({S.RESOLVED, S.CLOSED}),
    "transfer": UNASSIGNED | WORKING,
    "cancel": UNASSIGNED | WORKING | {S.WAITING},
    "reclassify": UNASSIGNED | WORKING | {S.WAITING},
}

MAX_NOTE = 2000
MEASURED_RANGE = (Decimal("-10"), Decimal("40"))
RESOLUTION_CODES = (
    "valve_adjusted",
    "air_bled",
    "leak_repaired",
    "substation_fault",
    "meets_standard",
    "referred_to_billing",
    "other",
)

STATUS_LABELS = {
    S.NEW: _l("Received"),
    S.ASSIGNED: _l("Dispatched"),
    S.ACKNOWLEDGED: _l("Accepted by technician"),
    S.EN_ROUTE: _l("Technician on the way"),
    S.ON_SITE: _l("Technician on site"),
    S.WAITING: _l("Waiting for you"),
    S.RESOLVED: _l("Resolved"),
    S.CLOSED: _l("Closed"),
    S.REOPENED: _l("Reopened"),
    S.TRANSFERRED: _l("Transferred"),
    S.CANCELLED: _l("Cancelled"),
}

ACTION_LABELS = {
    "assign": _l("assigned"),
    "acknowledge": _l("acknowledged"),
    "depart": _l("marked as on the way"),
    "arrive": _l("marked as on site"),
    "wait_for_resident": _l("put on hold"),
    "resume": _l("resumed"),
    "resolve": _l("resolved"),
    "rate": _l("rated"),
    "close_without_response": _l("closed without a response"),
    "close_after_callback": _l("closed after the call-back"),
    "reopen": _l("reopened"),
    "transfer": _l("transferred"),
    "cancel": _l("cancelled"),
    "reclassify": _l("reclassified"),
    "note": _l("note added"),
    "call": _l("the resident called again"),
    "escalate": _l("escalated (service commitment at risk or overdue)"),
}


@dataclass(frozen=True)
class Actor:
    """Who acts: a resident, a member of staff, or the system itself."""

    kind: ActorKind
    user: Any = None  # app.auth.models.User for staff

    @classmethod
    def resident(cls) -> "Actor":
        return cls(ActorKind.RESIDENT)

    @classmethod
    def system(cls) -> "Actor":
        return cls(ActorKind.SYSTEM)

    @classmethod
    def staff(cls, user: Any) -> "Actor":
        return cls(ActorKind.STAFF, user)


def allowed_actions(ticket: Ticket) -> list[str]:
    """The actions the ticket's state allows (roles are checked by the caller)."""
    return [action for action, sources in ALLOWED_FROM.items() if ticket.status in sources]


def record(ticket: Ticket, actor: Actor, action: str, *, to: Status | None = None, note: str = "",
           public: bool = False, data: dict | None = None, now: datetime | None = None) -> TicketEvent:
    """Append an event to the ticket's audit trail (a change of state when `to` is given)."""
    event = TicketEvent(
        ticket=ticket,
        created_at=now or utcnow(),
        actor_kind=actor.kind,
        actor=actor.user,
        action=action,
        from_status=ticket.status if to is not None else None,
        to_status=to,
        note=note,
        public=public,
        data=data or {},
    )
    db.session.add(event)
    if to is not None:
        ticket.status = to
    sla.refresh_marks(ticket)  # every change passes here, so the board and the sweep never read stale marks
    sla.schedule_check(ticket)
    return event


def record_many(entries: list[tuple[Ticket, dict]], actor: Actor, action: str, *, now: datetime,
                note: str = "", public: bool = False) -> None:
    """Append one event per (ticket, data) in one statement, with no change of state: the SLA sweep's
    escalations, a thousand at a time. The rows are those `record` writes; then, as `record` does,
    each ticket's marks are refreshed and its next check scheduled, once per ticket."""
    if not entries:
        return
    db.session.execute(sa_insert(TicketEvent.__table__), [  # Core: executemany, no ORM objects
        {"ticket_id": ticket.id, "created_at": now, "actor_kind": actor.kind,
         "actor_id": actor.user.id if actor.user is not None else None, "action": action,
         "from_status": None, "to_status": None, "note": note, "public": public, "data": data or {}}
        for ticket, data in entries
    ])
    tickets = list({id(ticket): ticket for ticket, _ in entries}.values())
    for ticket in tickets:
        if "events" in ticket.__dict__:
            db.session.expire(ticket, ["events"])  # a timeline already read shows the new events
        sla.refresh_marks(ticket)
        sla.schedule_check(ticket)


F = TypeVar("F", bound=Callable[..., Any])


def _transition(func: F) -> F:
    """Apply a transition without autoflush: a half-made change must never reach the database,
    where the check constraints (e.g. waiting ⇔ clocks paused) would rightly refuse it."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with db.session.no_autoflush:
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _check(ticket: Ticket, action: str) -> None:
    if ticket.status not in ALLOWED_FROM[action]:
        raise IllegalTransition(
            _l(
                "This ticket is “%(status)s”, so it cannot be %(action)s.",
                status=STATUS_LABELS[ticket.status],
                action=ACTION_LABELS[action],
            )
        )


def _reason(text: str | None, field: str = "reason", *, required: bool = True) -> str:
    cleaned = clean_text(text, multiline=True)
    if required and not cleaned:
        raise ValidationFailed({field: _l("Please give a reason.")})
    if len(cleaned) > MAX_NOTE:
        raise ValidationFailed({field: _l("Please keep this under %(n)d characters.", n=MAX_NOTE)})
    return cleaned


@_transition
def open_ticket(ticket: Ticket, actor: Actor, now: datetime, details: dict | None = None) -> TicketEvent:
    """The first event: the complaint was received (intake calls this), with channel details."""
    return record(ticket, actor, "create", to=Status.NEW, public=True, now=now,
                  data={**(details or {}), "channel": ticket.channel.value})


@_transition
def assign(ticket: Ticket, technician: Any, actor: Actor, now: datetime | None = None,
           note: str = "", notify_resident: bool = True) -> TicketEvent:
    """Dispatch to a technician of the ticket's team (also a reassignment).

    Intake passes notify_resident=False: its confirmation already says who has the job. Sending a
    technician again to a ticket the resident reopened is the supervisor's answer to the call-back:
    the call-back is no longer owed (nor escalated)."""
    _check(ticket, "assign")
    if (technician is None or not technician.active or technician.team_id is None
            or technician.role != "technician"):
        raise ValidationFailed({"assignee": _l("Choose an active technician.")})
    if ticket.team_id is not None and technician.team_id != ticket.team_id:
        raise ValidationFailed({"assignee": _l("That technician is not in this ticket's team.")})
    previous = ticket.assignee
    ticket.team_id = technician.team_id
    ticket.assignee = technician
    ticket.callback_due_at = None
    event = record(ticket, actor, "assign", to=Status.ASSIGNED, public=True, now=now,
                   note=_reason(note, "note", required=False),
                   data={"assignee_id": technician.id, "previous_assignee_id": previous.id if previous else None})
    if notify_resident:
        notify.technician_assigned(ticket)
    notify.new_job_for_technician(ticket)
    return event


@_transition
def acknowledge(ticket: Ticket, actor: Actor, now: datetime | None = None) -> TicketEvent:
    """The technician accepts the job: the response clock is met."""
    _check(ticket, "acknowledge")
    now = now or utcnow()
    if ticket.responded_at is None:
        ticket.responded_at = now
    sla.record_step_time(ticket, "respond", now)
    sla.end_clock(ticket, "respond", now)
    return record(ticket, actor, "acknowledge", to=Status.ACKNOWLEDGED, public=True, now=now)


@_transition
def depart(ticket: Ticket, actor: Actor, now: datetime | None = None) -> TicketEvent:
    """The technician is on the way."""
    _check(ticket, "depart")
    event = record(ticket, actor, "depart", to=Status.EN_ROUTE, public=True, now=now)
    notify.technician_on_the_way(ticket)
    return event


@_transition
def arrive(ticket: Ticket, actor: Actor, now: datetime | None = None) -> TicketEvent:
    """The technician is at the flat or the substation: the on-site clock is met."""
    _check(ticket, "arrive")
    now = now or utcnow()
    if ticket.on_site_at is None:
        ticket.on_site_at = now
    sla.record_step_time(ticket, "on_site", now)
    sla.end_clock(ticket, "on_site", now)
    return record(ticket, actor, "arrive", to=Status.ON_SITE, public=True, now=now)


@_transition
def wait_for_resident(ticket: Ticket, actor: Actor, reason: str, now: datetime | None = None) -> TicketEvent:
    """Hold the ticket for the resident (not home, no access): the SLA clocks pause."""
    _check(ticket, "wait_for_resident")
    now = now or utcnow()
    note = _reason(reason)
    ticket.status_before_wait = ticket.status
    sla.pause(ticket, now)
    return record(ticket, actor, "wait_for_resident", to=Status.WAITING, note=note, public=True, now=now)


@_transition
def resume(ticket: Ticket, actor: Actor, now: datetime | None = None, note: str = "") -> TicketEvent:
    """Back to work where it stopped; the clocks run again with the time they had left."""
    _check(ticket, "resume")
    now = now or utcnow()
    back_to = ticket.status_before_wait or Status.ASSIGNED
    ticket.status_before_wait = None
    sla.resume(ticket, now)
    return record(ticket, actor, "resume", to=back_to, public=True, now=now,
                  note=_reason(note, "note", required=False))


@_transition
def resolve(ticket: Ticket, actor: Actor, resolution_code: str, note: str = "",
            now: datetime | None = None, measured_temp: Decimal | None = None) -> TicketEvent:
    """The fault is dealt with; the resident is asked for a score.

    "Measured: meets the standard" is a resolution only with the indoor temperature measured on site."""
    _check(ticket, "resolve")
    errors = {}
    if resolution_code not in RESOLUTION_CODES:
        errors["resolution_code"] = _l("Choose how the problem was resolved.")
    if measured_temp is not None and not MEASURED_RANGE[0] <= measured_temp <= MEASURED_RANGE[1]:
        errors["measured_temp"] = _l("The indoor temperature must be between -10 and 40 °C.")
    elif resolution_code == "meets_standard" and measured_temp is None:
        errors["measured_temp"] = _l("Enter the indoor temperature you measured.")
    if errors:
        raise ValidationFailed(errors)
    now = now or utcnow()
    ticket.resolution_code = resolution_code
    ticket.measured_temp = measured_temp
    sla.end_open_clocks(ticket, now)
    ticket.resolved_at = now
    sla.record_step_time(ticket, "resolve", now)  # the first resolution's: a reopen does not undo it
    event = record(ticket, actor, "resolve", to=Status.RESOLVED, public=True, now=now,
                   note=_reason(note, "note", required=False),
                   data={"resolution_code": resolution_code,
                         "measured_temp": str(measured_temp) if measured_temp is not None else None})
    resolutions.record_resolution(ticket, now)  # the survey sent, as the reports count it
    notify.resolved_please_rate(ticket)
    return event


@_transition
def rate(ticket: Ticket, score: int, comment: str = "", actor: Actor | None = None,
         now: datetime | None = None) -> TicketEvent:
    """The resident's score closes the loop, or (1–2) reopens it for a supervisor's call-back."""
    _check(ticket, "rate")
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ValidationFailed({"score": _l("Choose a score from 1 to 5.")})
    now = now or utcnow()
    comment = _reason(comment, "comment", required=False)
    resolutions.record_score(ticket, score, comment, now)  # first: a low score clears resolved_at below
    ticket.satisfaction_score = score
    ticket.satisfaction_comment = comment or None
    actor = actor or Actor.resident()
    data = {"score": score}
    if score <= 2:
        from app.satisfaction.callbacks import start_callback

        ticket.resolved_at = None
        event = record(ticket, actor, "rate", to=Status.REOPENED, note=comment, public=True, now=now, data=data)
        start_callback(ticket, now)  # a supervisor owes the resident a call, due CALLBACK_HOURS from now
        return event
    ticket.closure = Closure.RATED
    ticket.closed_at = now
    ticket.callback_due_at = None
    event = record(ticket, actor, "rate", to=Status.CLOSED, note=comment, public=True, now=now, data=data)
    notify.closed(ticket)
    return event


@_transition
def close_without_response(ticket: Ticket, actor: Actor, now: datetime | None = None) -> TicketEvent:
    """The resident never answered the survey: close with a recorded 'no response'."""
    _check(ticket, "close_without_response")
    now = now or utcnow()
    ticket.closure = Closure.NO_RESPONSE
    ticket.closed_at = now
    ticket.callback_due_at = None
    return record(ticket, actor, "close_without_response", to=Status.CLOSED, public=True, now=now)


@_transition
def close_after_callback(ticket: Ticket, actor: Actor, reason: str, now: datetime | None = None) -> TicketEvent:
    """The supervisor called back and records why the resident stays unsatisfied."""
    _check(ticket, "close_after_callback")
    now = now or utcnow()
    note = _reason(reason)
    ticket.closure = Closure.CALLBACK
    ticket.closed_at = now
    ticket.callback_due_at = None  # the call-back is done
    return record(ticket, actor, "close_after_callback", to=Status.CLOSED, note=note, now=now)


@_transition
def reopen(ticket: Ticket, actor: Actor, reason: str, now: datetime | None = None) -> TicketEvent:
    """Not fixed after all: back to the team; reopened by the resident, also a supervisor's call-back."""
    _check(ticket, "reopen")
    now = now or utcnow()
    note = _reason(reason)
    resolutions.record_reopen(ticket, now)
    ticket.closure = None
    ticket.closed_at = None
    ticket.resolved_at = None
    event = record(ticket, actor, "reopen", to=Status.REOPENED, note=note, public=True, now=now)
    if actor.kind is ActorKind.RESIDENT:
        from app.satisfaction.callbacks import start_callback

        start_callback(ticket, now)
    else:
        ticket.callback_due_at = None
    return event


@_transition
def transfer(ticket: Ticket, team: Any, actor: Actor, reason: str, now: datetime | None = None) -> TicketEvent:
    """Hand the ticket to another team; it waits there to be dispatched."""
    _check(ticket, "transfer")
    note = _reason(reason)
    if team is None:
        raise ValidationFailed({"team": _l("Choose a team.")})
    if team.id == ticket.team_id:
        raise ValidationFailed({"team": _l("The ticket is already with that team.")})
    previous_team_id = ticket.team_id
    ticket.team_id = team.id
    ticket.assignee = None
    return record(ticket, actor, "transfer", to=Status.TRANSFERRED, note=note, now=now,
                  data={"team_id": team.id, "previous_team_id": previous_team_id})


@_transition
def cancel(ticket: Ticket, actor: Actor, reason: str, now: datetime | None = None) -> TicketEvent:
    """Withdrawn or a duplicate: the reason is required and shown to the resident."""
    _check(ticket, "cancel")
    note = _reason(reason)
    sla.end_pause(ticket, now or utcnow())
    ticket.status_before_wait = None
    return record(ticket, actor, "cancel", to=Status.CANCELLED, note=note, public=True, now=now)


@_transition
def add_note(ticket: Ticket, actor: Actor, text: str, public: bool = False,
             now: datetime | None = None) -> TicketEvent:
    """A note on the ticket: internal for staff, or visible to the resident on the tracking page."""
    note = _reason(text, "note")
    return record(ticket, actor, "note", note=note, public=public, now=now)


@_transition
def reclassify(ticket: Ticket, actor: Actor, category: Any, priority: Any, reason: str = "",
               now: datetime | None = None) -> TicketEvent:
    """Change category or priority: the SLA due times are recomputed from intake (leaving out the time
    spent waiting for the resident), and recorded."""
    _check(ticket, "reclassify")
    if category is None or not category.active:
        raise ValidationFailed({"category": _l("Choose a category.")})
    if priority is None:
        raise ValidationFailed({"priority": _l("Choose a priority.")})
    if category.id == ticket.category_id and priority == ticket.priority:
        raise ValidationFailed({"category": _l("Nothing changed.")})
    before = {"category": ticket.category.code, "priority": ticket.priority.value,
              "respond_due_at": _iso(ticket.respond_due_at), "on_site_due_at": _iso(ticket.on_site_due_at),
              "resolve_due_at": _iso(ticket.resolve_due_at)}
    ticket.category = category
    ticket.priority = priority
    sla.recompute_due(ticket, sla.policy_for(category, priority))
    after = {"category": category.code, "priority": priority.value,
             "respond_due_at": _iso(ticket.respond_due_at), "on_site_due_at": _iso(ticket.on_site_due_at),
             "resolve_due_at": _iso(ticket.resolve_due_at)}
    return record(ticket, actor, "reclassify", note=_reason(reason, "reason", required=False), now=now,
                  data={"before": before, "after": after})


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@_transition
def record_call(ticket: Ticket, actor: Actor, note: str, now: datetime | None = None,
                channel: str = "phone") -> TicketEvent:
    """Another call (or text) about a ticket that is already open: recorded on it instead of a duplicate."""
    return record(ticket, actor, "call", note=_reason(note, "note", required=False), now=now,
                  data={"channel": channel})

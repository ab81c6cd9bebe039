"""Which staff role may take which action on a ticket (the lifecycle checks the ticket's state)."""
from __future__ import annotations

from app.auth.models import Role, User
from app.tickets.models import Ticket

A, T, S, D = Role.AGENT, Role.TECHNICIAN, Role.SUPERVISOR, Role.ADMIN

ACTION_ROLES: dict[str, frozenset[Role]] = {
    "assign": frozenset({A, S, D}),
    "acknowledge": frozenset({T, S, D}),
    "depart": frozenset({T, S, D}),
    "arrive": frozenset({T, S, D}),
    "wait_for_resident": frozenset({A, T, S, D}),
    "resume": frozenset({A, T, S, D}),
    "resolve": frozenset({A, T, S, D}),
    "rate": frozenset({A, S}),  # a score given over the phone
    "close_without_response": frozenset({S, D}),
    "close_after_callback": frozenset({S, D}),
    "reopen": frozenset({A, S, D}),
    "transfer": frozenset({A, S, D}),
    "cancel": frozenset({A, S, D}),
    "reclassify": frozenset({A, S, D}),
}

# Steps of the field work a technician takes only on a ticket assigned to them.
_OWN_WORK = frozenset({"acknowledge", "depart", "arrive", "wait_for_resident", "resume", "resolve"})


def may(user: User, action: str, ticket: Ticket) -> bool:
    """True if the user's role allows the action on this ticket (visibility is checked elsewhere)."""
    if user.role not in ACTION_ROLES.get(action, frozenset()):
        return False
    if user.role is Role.TECHNICIAN:
        return action in _OWN_WORK and ticket.assignee_id == user.id
    return True

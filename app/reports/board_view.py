"""What the team board's rows say, worked out in Python once per page.

In a city-wide outage the board lists about two hundred rows. Every Jinja filter, macro call and
gettext on a row costs more than the row's share of the SQL, so the words repeated on every row are
translated once, each district's and category's name is looked up once, links are made from one
url_for each, and a row's texts come from a single call.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

from flask import url_for
from flask_babel import gettext as _

from app.core.i18n import current_language, when_formatter
from app.reports.board import Row, SlaState
from app.tickets.labels import PRIORITY_LABELS, staff_status_label
from app.tickets.models import Ticket
from app.tickets.references import format_reference

_SLOT = "0000000000"  # a reference-shaped placeholder for links made once per page


@dataclass(frozen=True)
class RowText:
    """A board row's words and links."""

    href: str  # the ticket page
    assign_url: str  # the dispatch form's action
    reference: str  # as staff read it
    problem: str  # category · priority
    address: str
    status: str
    triage: bool  # no team yet
    clock: str  # which promise the due time is ("Respond by")
    due: str  # the due time, in the company zone
    due_iso: str
    sla: str  # "Overdue", "At risk", …
    state: SlaState


def _link(endpoint: str) -> Callable[[str], str]:
    """url_for once, then the reference put in its place (references are digits only)."""
    pattern = url_for(endpoint, reference=_SLOT)
    return lambda reference: pattern.replace(_SLOT, reference)


class BoardText:
    """The page's words, each translated once, and the row texts made from them."""

    def __init__(self, clock_labels: dict, sla_labels: dict) -> None:
        language = current_language()
        self.unit, self.flat = _("unit %(u)s"), _("flat %(f)s")
        self.clocks = {name: str(label) for name, label in clock_labels.items()}
        self.sla = {state: str(label) for state, label in sla_labels.items()}
        self.ticket_url, self.assign_url = _link("desk.ticket"), _link("reports.assign")
        self.when = when_formatter()
        self.name = functools.cache(lambda thing: thing.display_name(language) if thing is not None else "")
        self.status = functools.cache(lambda status: str(staff_status_label(status)))
        self.priority = functools.cache(lambda priority: str(PRIORITY_LABELS[priority]))

    def address(self, ticket: Ticket) -> str:
        """District, address, unit and flat, as the board and the call-backs show them."""
        parts = [self.name(ticket.district), ticket.address_text or ""]
        if ticket.unit:
            parts.append(self.unit % {"u": ticket.unit})
        if ticket.flat:
            parts.append(self.flat % {"f": ticket.flat})
        return " ".join(part for part in parts if part)

    def row(self, row: Row) -> RowText:
        ticket, standing = row.ticket, row.standing
        return RowText(
            href=self.ticket_url(ticket.reference), assign_url=self.assign_url(ticket.reference),
            reference=format_reference(ticket.reference),
            problem=f"{self.name(ticket.category)} · {self.priority(ticket.priority)}",
            address=self.address(ticket), status=self.status(ticket.status), triage=ticket.team_id is None,
            clock=self.clocks.get(standing.clock, "") if standing.due else "",
            due=self.when(standing.due), due_iso=standing.due.isoformat() if standing.due else "",
            sla=self.sla[standing.state], state=standing.state,
        )

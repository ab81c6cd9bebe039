"""The live board's routes: the page (server-rendered, works without JavaScript) and its JSON,
which static/js/live_board.js fetches every 30 seconds to redraw the page in place.

Both answer from one presentation (`present`), so what the script draws is what the page shows.
Every word is translated here, on the server; the script only places text.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core.access import roles_required
from app.core.i18n import current_language, format_when
from app.core.time import utcnow
from app.field.services import countdown_words
from app.reports import live as service
from app.reports.routes import CLOCK_LABELS
from app.tickets.labels import CHANNEL_LABELS, PRIORITY_LABELS, staff_status_label
from app.tickets.models import Priority, Status, Ticket
from app.tickets.references import format_reference

bp = Blueprint("live", __name__, url_prefix="/desk/live")

LIVE_ROLES = ("supervisor", "admin")

# (endpoint, label, roles): the staff navigation links this feature contributes.
NAV: list = [("live.board", _l("Live board"), LIVE_ROLES)]

REFRESH_SECONDS = 30  # how often the page asks for fresh data; ?refresh=N (1–600) for a wall display or a test
MAX_REFRESH_SECONDS = 600


@bp.get("/")
@roles_required(*LIVE_ROLES)
def board():
    user = current_user._get_current_object()
    team_id, district_id = _filters()
    live = service.live_board(user, utcnow(), team_id, district_id)
    teams, districts = service.filter_choices() if service.may_filter(user) else ([], [])
    return render_template(
        "reports/live.html", view=present(live), scope=live.scope, may_filter=service.may_filter(user),
        teams=teams, districts=districts,
        source=url_for("live.data", team=live.scope.team.id if live.scope.team else None,
                       district=live.scope.district.id if live.scope.district else None),
        refresh=_refresh_seconds(),
    )


@bp.get("/data")
@roles_required(*LIVE_ROLES)
def data():
    user = current_user._get_current_object()
    team_id, district_id = _filters()
    response = jsonify(present(service.live_board(user, utcnow(), team_id, district_id)))
    response.headers["Cache-Control"] = "no-store"  # always the board as it is now
    return response


def _number(name: str) -> int | None:
    """A positive id from the query string; anything else means no filter (as on the team board)."""
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 and int(value) > 0 else None


def _filters() -> tuple[int | None, int | None]:
    return _number("team"), _number("district")


def _refresh_seconds() -> int:
    asked = _number("refresh")
    return asked if asked is not None and asked <= MAX_REFRESH_SECONDS else REFRESH_SECONDS


# --- one presentation for the page and the JSON ------------------------------------------------

def present(live: service.LiveBoard) -> dict:
    """The board in words and numbers, ready to show: the page renders it, the script redraws from it."""
    now, words = live.now, _RowWords.load()
    return {
        "updated_at": now.isoformat(),
        "updated": _("Updated at %(time)s", time=format_datetime(now, "HH:mm:ss")),
        "summary": [
            {"key": "open", "count": live.counts.total, "text": _("Open: %(n)d", n=live.counts.total)},
            {"key": "breached", "count": live.breached.total, "text": _("Overdue: %(n)d", n=live.breached.total)},
            {"key": "at_risk", "count": live.at_risk.total, "text": _("At risk: %(n)d", n=live.at_risk.total)},
        ],
        "breached": _urgent_list(live.breached, now, words),
        "at_risk": _urgent_list(live.at_risk, now, words),
        "counts": _counts(live.counts),
        "intake": _intake(live.intake),
    }


def _urgent_list(urgent: service.UrgentList, now: datetime, words: "_RowWords | None" = None) -> dict:
    words = words or _RowWords.load()
    more = (_("Showing the %(shown)d most urgent of %(total)d tickets.", shown=len(urgent.rows), total=urgent.total)
            if urgent.more else "")
    return {"total": urgent.total, "more": more, "rows": [_urgent_row(row, now, words) for row in urgent.rows]}


@dataclass(frozen=True)
class _RowWords:
    """The words of the listed rows, translated once per answer instead of once per row (100 rows
    every 30 seconds for every open board)."""

    language: str
    priorities: dict[Priority, str]
    statuses: dict[Status, str]
    clocks: dict[str, str]
    unit: str  # "unit %(u)s" in the page's language
    flat: str
    countdown: dict[str, str]  # the field pages' countdown words, with {d} {h} {m} {span}

    @classmethod
    def load(cls) -> "_RowWords":
        return cls(current_language(), {p: str(label) for p, label in PRIORITY_LABELS.items()},
                   {s: str(staff_status_label(s)) for s in Status}, {c: str(label) for c, label in CLOCK_LABELS.items()},
                   _("unit %(u)s"), _("flat %(f)s"), countdown_words())

    def left(self, due: datetime, now: datetime) -> str:
        """'in 1 h 5 min' or '25 min overdue', worded as the technician's countdown (app.field.services)."""
        seconds = (due - now).total_seconds()
        if seconds > 0:
            return self.countdown["left"].format(span=self._span(math.ceil(seconds / 60)))
        return self.countdown["overdue"].format(span=self._span(math.floor(-seconds / 60)))

    def _span(self, minutes: int) -> str:
        if minutes >= 24 * 60:
            days, rest = divmod(minutes, 24 * 60)
            return self.countdown["days"].format(d=days, h=rest // 60)
        if minutes >= 60:
            return self.countdown["hours"].format(h=minutes // 60, m=minutes % 60)
        return self.countdown["minutes"].format(m=minutes)


def _urgent_row(row: service.Urgent, now: datetime, words: _RowWords) -> dict:
    ticket = row.ticket
    return {
        "reference": ticket.reference,
        "label": format_reference(ticket.reference),
        "url": url_for("desk.ticket", reference=ticket.reference),
        "problem": f"{ticket.category.display_name(words.language)} · {words.priorities[ticket.priority]}",
        "address": address_of(ticket, words),
        "status": words.statuses[ticket.status],
        "assignee": ticket.assignee.full_name if ticket.assignee else "—",
        "clock": words.clocks.get(row.clock or "", ""),
        "due": row.due.isoformat(),
        "due_label": format_when(row.due),
        "left": words.left(row.due, now),
        "overdue": row.due <= now,
    }


def address_of(ticket: Ticket, words: _RowWords) -> str:
    """District, typed address, unit and flat, as the team board writes them."""
    parts = []
    if ticket.district:
        parts.append(ticket.district.display_name(words.language))
    parts.append(ticket.address_text)
    if ticket.unit:
        parts.append(words.unit % {"u": ticket.unit})
    if ticket.flat:
        parts.append(words.flat % {"f": ticket.flat})
    return " ".join(p for p in parts if p)


def _counts(counts: service.StatusCounts) -> dict:
    language = current_language()
    return {
        "columns": [{"key": s.value, "label": str(staff_status_label(s))} for s in service.STATUS_COLUMNS],
        "rows": [{
            "key": str(row.district.id) if row.district else "none",
            "label": row.district.display_name(language) if row.district else _("No district"),
            "cells": [row.counts.get(s, 0) for s in service.STATUS_COLUMNS],
            "total": row.total,
        } for row in counts.rows],
        "totals": [counts.column(s) for s in service.STATUS_COLUMNS],
        "total": counts.total,
    }


def _intake(intake: service.Intake) -> dict:
    return {
        "day": intake.day.isoformat(),
        "hours": list(service.HOURS),
        "rows": [{
            "key": channel.value,
            "label": str(CHANNEL_LABELS[channel]),
            "cells": list(intake.by_channel[channel]),
            "total": intake.channel(channel),
        } for channel in service.CHANNELS],
        "totals": [intake.hour(h) for h in service.HOURS],
        "total": intake.total,
    }

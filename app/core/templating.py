"""Template helpers: locale-aware names, times and references, and the language switch."""
from __future__ import annotations

from flask import Flask, request, url_for

from app.core import navigation
from app.core.i18n import current_language, format_when
from app.messaging.numbers import display_phone
from app.tickets.labels import CHANNEL_LABELS, PRIORITY_LABELS, RESOLUTION_LABELS, staff_status_label
from app.tickets.lifecycle import ACTION_LABELS, STATUS_LABELS
from app.tickets.references import format_reference


def _localised(obj) -> str:
    """The name of a district, category or team in the page's language."""
    return obj.display_name(current_language()) if obj is not None else ""


def _event_label(event) -> str:
    """What an event did, in words: the state it led to, else the action."""
    if event.to_status is not None:
        return str(STATUS_LABELS[event.to_status])
    return str(ACTION_LABELS.get(event.action, event.action))


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        when=format_when,
        reference=format_reference,
        status_label=lambda status: STATUS_LABELS[status],
        staff_status_label=staff_status_label,
        event_label=_event_label,
        priority_label=lambda priority: PRIORITY_LABELS[priority],
        channel_label=lambda channel: CHANNEL_LABELS[channel],
        resolution_label=lambda code: RESOLUTION_LABELS.get(code, code),
        localised=_localised,
        phone=display_phone,
    )

    @app.context_processor
    def _globals():
        here = request.full_path.rstrip("?") if request else "/"
        return {
            "current_language": current_language(),
            "language_links": [
                ("zh_Hans", "中文", url_for("core.set_language", code="zh_Hans", next=here)),
                ("en", "English", url_for("core.set_language", code="en", next=here)),
            ],
            "staff_nav": navigation.links(app),
            "company_name": app.config["COMPANY_NAME_EN" if current_language() == "en" else "COMPANY_NAME"],
        }

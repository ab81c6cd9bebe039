"""Clock and time-zone helpers. All stored times are aware UTC; people see the company's zone."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


def company_zone() -> ZoneInfo:
    """The heating company's time zone (Asia/Shanghai unless configured)."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def to_local(moment: datetime) -> datetime:
    """An aware UTC moment in the company's zone, for display."""
    return moment.astimezone(company_zone())

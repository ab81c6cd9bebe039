"""Where each role starts its day."""
from __future__ import annotations

from flask import url_for

from app.auth.models import Role

_HOME_ENDPOINTS = {
    Role.AGENT: "console.queue",
    Role.TECHNICIAN: "field.jobs",
    Role.SUPERVISOR: "reports.board",
    Role.ADMIN: "admin.index",
}


def home_for(user) -> str:
    return url_for(_HOME_ENDPOINTS[user.role])

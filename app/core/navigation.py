"""The staff navigation: each feature's routes module declares NAV = [(endpoint, label, roles)]."""
from __future__ import annotations

from types import ModuleType

from flask import Flask
from flask_login import current_user

_KEY = "heatdesk.nav"


def register(app: Flask, module: ModuleType) -> None:
    app.extensions.setdefault(_KEY, []).extend(getattr(module, "NAV", []))


def links(app: Flask) -> list[tuple[str, str]]:
    """The links the signed-in user's role may follow."""
    if not current_user.is_authenticated:
        return []
    return [(endpoint, str(label)) for endpoint, label, roles in app.extensions.get(_KEY, [])
            if current_user.role in roles]

"""Access rules: every route declares who may use it; a route without a rule is refused.

`@public` marks pages for anyone (the resident channel); `@roles_required(...)` is for staff.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from flask import Flask, abort, redirect, request, url_for
from flask_login import current_user

PUBLIC = "public"
STAFF = ("agent", "technician", "supervisor", "admin")
_ALWAYS_PUBLIC_ENDPOINTS = {"static"}


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Anyone may use this route, signed in or not."""
    view.access_rule = PUBLIC  # type: ignore[attr-defined]
    return view


def roles_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Only signed-in staff with one of `roles` may use this route."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if request.method == "GET":
                    return redirect(url_for("auth.sign_in_page", next=request.full_path.rstrip("?")))
                abort(401)
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapper.access_rule = tuple(roles)  # type: ignore[attr-defined]
        return wrapper

    return decorate


def rule_for(app: Flask, endpoint: str) -> Any:
    """The declared rule of an endpoint, or None if it has none."""
    if endpoint in _ALWAYS_PUBLIC_ENDPOINTS:
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def init_app(app: Flask) -> None:
    @app.before_request
    def _require_rule() -> None:
        if request.endpoint is None:
            return  # 404 or 405: nothing to protect
        if rule_for(app, request.endpoint) is None:
            abort(403)

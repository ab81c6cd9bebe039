"""Site-wide routes: the language switch and the health check."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, request
from sqlalchemy import text

from app.core.access import public
from app.core.i18n import LANG_COOKIE
from app.extensions import db

bp = Blueprint("core", __name__)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: never an open redirect."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


@bp.get("/lang/<code>")
@public
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(safe_next(request.args.get("next")))
    response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                        secure=request.is_secure)
    return response


@bp.get("/healthz")
@public
def health():
    """For load balancers: 200 when the database answers, 503 when it does not."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}

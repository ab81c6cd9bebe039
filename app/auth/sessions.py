"""Loading the signed-in user from the session, refusing stale, expired or deactivated sessions."""
from __future__ import annotations

from flask import Flask, current_app, session
from flask_login import current_user, logout_user

from app.auth.models import User
from app.core.time import utcnow
from app.extensions import db, login_manager


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """A user whose session version still matches and who is still active; otherwise nobody."""
    user_id, _, version = (session_id or "").partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def _expired(now: float) -> bool:
    config = current_app.config
    signed_in_at = session.get("signed_in_at")
    last_seen = session.get("last_seen")
    if not isinstance(signed_in_at, (int, float)) or not isinstance(last_seen, (int, float)):
        return False  # signed in by a remember-me cookie: its own lifetime applies
    return (now - last_seen > config["STAFF_IDLE_MINUTES"] * 60
            or now - signed_in_at > config["STAFF_SESSION_HOURS"] * 3600)


def _enforce_lifetimes() -> None:
    """Idle and absolute session lifetimes for staff."""
    if not current_user.is_authenticated:
        return
    now = utcnow().timestamp()
    if _expired(now):
        logout_user()
        session.clear()
        return
    if "signed_in_at" not in session:  # came back through a remember-me cookie
        session["signed_in_at"] = now
    session["last_seen"] = now


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.sign_in_page"
    login_manager.session_protection = "basic"
    app.before_request(_enforce_lifetimes)

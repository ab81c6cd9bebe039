"""Signing staff in and out; sessions end for real (the session version changes)."""
from __future__ import annotations

from flask import g, session
from flask_login import login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.auth.models import User
from app.core.time import utcnow
from app.extensions import db

# Checked when the username is unknown, so a wrong username takes as long as a wrong password.
_DUMMY_HASH = "pbkdf2:sha256:600000$dummysalt$" + "0" * 64


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, or None (one answer for every failure)."""
    user = db.session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    return user


def sign_in(user: User, remember: bool = False) -> None:
    """Start a fresh session: nothing from the anonymous session (or a planted cookie) survives."""
    session.clear()
    g.pop("csrf_token", None)  # the old session's token was cached for this request: forget it too
    login_user(user, remember=remember)
    now = utcnow().timestamp()
    session["signed_in_at"] = now
    session["last_seen"] = now


def end_sessions(user: User) -> None:
    """Invalidate every session and remember-me cookie of this user (sign-out, deactivation, new password)."""
    user.session_version += 1


def sign_out(user: User) -> None:
    end_sessions(user)
    logout_user()
    session.clear()


def deactivate(user: User) -> None:
    """The user is signed out at their next request and cannot sign in again."""
    user.active = False
    end_sessions(user)

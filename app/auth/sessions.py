"""Loading the signed-in user from the session cookie, refusing stale or deactivated sessions."""
from __future__ import annotations

from app.auth.models import User
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

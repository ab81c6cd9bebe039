"""Staff accounts: who may sign in, in which role and team, with which password.

Accounts are deactivated, never deleted: tickets and their events name the people who worked them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l, ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.admin.validation import Errors, flush_or_refuse
from app.auth import service as auth
from app.auth.models import Role, User
from app.auth.passwords import password_problems
from app.core.errors import DomainError
from app.extensions import db
from app.messaging.numbers import normalise_phone
from app.routing.models import Team
from app.tickets.models import OPEN_STATUSES, Ticket

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,39}$")
USERNAME_TAKEN = _l("This username is already taken.")
TEAM_ROLES = (Role.TECHNICIAN, Role.SUPERVISOR)


@dataclass
class UserInput:
    """What the edit form changes (the username is fixed once made)."""

    family_name: str = ""
    given_name: str = ""
    role: str = ""
    team_id: int | None = None
    phone: str = ""


@dataclass
class NewUserInput(UserInput):
    username: str = ""
    password: str = ""
    password_confirm: str = ""


def create_user(data: NewUserInput) -> User:
    """A new member of staff with a password that meets the policy."""
    errors = Errors()
    username = errors.text("username", data.username, limit=40).lower()
    if username and "username" not in errors:
        if not USERNAME.match(username):
            errors.add("username", _l("Use 2 to 40 lower-case letters, digits, '.', '-' or '_', starting with a "
                                      "letter, for example wangjg."))
        elif db.session.scalar(select(User.id).where(User.username == username)):
            errors.add("username", USERNAME_TAKEN)
    user = User(username=username, active=True, session_version=1)
    profile = _check_profile(user, data, errors, by=None)
    _check_password(errors, data.password, data.password_confirm, username)
    errors.raise_if_any()
    _set_profile(user, profile)
    user.set_password(data.password)
    db.session.add(user)
    flush_or_refuse("username", USERNAME_TAKEN)
    return user


def update_user(user: User, data: UserInput, by: User) -> None:
    """Change names, phone, role or team; an administrator cannot take away their own admin role."""
    errors = Errors()
    profile = _check_profile(user, data, errors, by=by)
    errors.raise_if_any()
    _set_profile(user, profile)
    db.session.flush()


@dataclass
class _Profile:
    family_name: str
    given_name: str
    role: Role | None
    team: Team | None
    phone: str | None


def _check_profile(user: User, data: UserInput, errors: Errors, by: User | None) -> _Profile:
    family_name = errors.text("family_name", data.family_name, limit=40)
    given_name = errors.text("given_name", data.given_name, limit=40)
    role = errors.choice("role", data.role, Role, _l("Please choose a role."))
    team = db.session.get(Team, data.team_id) if data.team_id else None
    if data.team_id and team is None:
        errors.add("team_id", _l("Please choose a team from the list."))
    elif role in TEAM_ROLES and team is None:
        errors.add("team_id", _l("Technicians and supervisors belong to a team: please choose one."))
    elif role is not None and role not in TEAM_ROLES and team is not None:
        errors.add("team_id", _l("Agents and administrators work for every district: leave the team empty."))
    phone_text = errors.text("phone", data.phone, limit=32, required=False)
    phone = normalise_phone(phone_text) if phone_text else None
    if phone_text and phone is None and "phone" not in errors:
        errors.add("phone", _l("Please enter a valid phone number, for example 139 1234 5678."))

    if by is not None and user.id == by.id and role is not None and role is not Role.ADMIN:
        errors.add("role", _l("You cannot take away your own administrator role: ask another administrator."))
    moves_away = role is not Role.TECHNICIAN or team is None or team.id != user.team_id
    if user.id and user.role is Role.TECHNICIAN and moves_away and "role" not in errors and "team_id" not in errors:
        # Technicians see only their team's tickets: one who left the team could not finish these.
        open_jobs = open_tickets_of(user)
        if open_jobs:
            field = "role" if role is not Role.TECHNICIAN else "team_id"
            errors.add(field, ngettext(
                "%(name)s still has %(num)d open ticket assigned: have it reassigned first.",
                "%(name)s still has %(num)d open tickets assigned: have them reassigned first.",
                open_jobs, name=user.full_name))
    return _Profile(family_name, given_name, role, team, phone)


def _set_profile(user: User, profile: _Profile) -> None:
    user.family_name, user.given_name = profile.family_name, profile.given_name
    user.role, user.team, user.phone = profile.role, profile.team, profile.phone


def _check_password(errors: Errors, password: str, confirm: str, username: str) -> None:
    password = password if isinstance(password, str) else ""
    if not password:
        errors.add("password", _l("Please choose a password."))
        return
    problems = password_problems(password, username)
    if problems:
        errors.add("password", " ".join(str(p) for p in problems))
    elif password != (confirm if isinstance(confirm, str) else ""):
        errors.add("password_confirm", _l("The two passwords differ: please type the same password twice."))


def reset_password(user: User, password: str, confirm: str) -> None:
    """Give the user a new password; every session they have ends at its next request."""
    errors = Errors()
    _check_password(errors, password, confirm, user.username)
    errors.raise_if_any()
    user.set_password(password)
    auth.end_sessions(user)


def deactivate_user(user: User, by: User) -> int:
    """Stop the user signing in (signed out at their next request); returns their open tickets.

    Allowed even when they have open tickets: locking out someone who left must never wait.
    Their supervisor reassigns the tickets.
    """
    if user.id == by.id:
        raise DomainError(_l("You cannot deactivate your own account: ask another administrator."))
    if user.active:
        auth.deactivate(user)
    return open_tickets_of(user)


def reactivate_user(user: User) -> None:
    """Let the user sign in again (with their existing password)."""
    user.active = True


def open_tickets_of(user: User) -> int:
    """How many open tickets are assigned to the user."""
    if not user.id:
        return 0
    return db.session.scalar(
        select(func.count(Ticket.id)).where(Ticket.assignee_id == user.id, Ticket.status.in_(OPEN_STATUSES))) or 0


def all_users() -> list[User]:
    """Active people first, then by role and username."""
    return list(db.session.scalars(
        select(User).options(selectinload(User.team)).order_by(User.active.desc(), User.role, User.username)))

"""Password policy: at least 8 characters, not a common password, not the username."""
from __future__ import annotations

import functools

from flask_babel import LazyString, lazy_gettext as _l

MIN_LENGTH = 8
MAX_LENGTH = 128


@functools.cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords from zxcvbn's bundled frequency list."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problems(password: str, username: str = "") -> list[LazyString]:
    """Why a new password is refused (empty when it is acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_l("Use at least %(n)d characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(_l("Use at most %(n)d characters.", n=MAX_LENGTH))
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(password)) < 3:
        problems.append(_l("This password is too common; choose another."))
    if username and username.lower() in lowered:
        problems.append(_l("The password must not contain the username."))
    return problems

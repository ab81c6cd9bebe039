"""Domain errors: raised by services, shown by every UI as a clear message, never a 500."""
from __future__ import annotations

from typing import Mapping

from flask_babel import LazyString


class DomainError(Exception):
    """A business rule refused the request; `message` is safe to show to the user."""

    def __init__(self, message: LazyString | str):
        super().__init__(str(message))
        self.message = message


class IllegalTransition(DomainError):
    """The ticket's state does not allow that action."""


class ValidationFailed(DomainError):
    """Input broke a rule; `errors` maps each field name to its message."""

    def __init__(self, errors: Mapping[str, LazyString | str]):
        super().__init__("; ".join(str(m) for m in errors.values()))
        self.errors = dict(errors)


class Conflict(DomainError):
    """Someone else changed the record since the user loaded it (optimistic locking)."""


class NotAllowed(DomainError):
    """The user's role may not do this."""

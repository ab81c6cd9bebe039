"""Checking what an administrator typed: one message per field, collected before anything changes."""
from __future__ import annotations

import enum
import re
from typing import TypeVar

from flask_babel import LazyString, lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.core.errors import ValidationFailed
from app.core.text import clean_text, has_control_characters
from app.extensions import db

E = TypeVar("E", bound=enum.Enum)

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

NOT_ALLOWED = _l("This field contains characters that are not allowed.")
REQUIRED = _l("Please fill in this field.")


def too_long(limit: int) -> LazyString:
    return _l("Please keep this under %(n)d characters.", n=limit)


class Errors:
    """Per-field messages; the first message for a field wins (it is usually the most basic one)."""

    def __init__(self) -> None:
        self.by_field: dict[str, LazyString | str] = {}

    def add(self, field: str, message: LazyString | str) -> None:
        self.by_field.setdefault(field, message)

    def __contains__(self, field: str) -> bool:
        return field in self.by_field

    def raise_if_any(self) -> None:
        """Refuse the whole request before anything is written."""
        if self.by_field:
            raise ValidationFailed(self.by_field)

    def text(self, field: str, value: str | None, *, limit: int, required: bool = True) -> str:
        """Clean one-line text: NFC, no control characters, bounded length."""
        if has_control_characters(value):
            self.add(field, NOT_ALLOWED)
        cleaned = clean_text(value if isinstance(value, str) else "")
        if required and not cleaned:
            self.add(field, REQUIRED)
        elif len(cleaned) > limit:
            self.add(field, too_long(limit))
        return cleaned

    def code(self, field: str, value: str | None, *, limit: int = 40) -> str:
        """A short machine code such as `kundulun` or `kdl-1`: stable, typed the same way everywhere."""
        code = self.text(field, value, limit=limit).lower()
        if code and field not in self and not _CODE.match(code):
            self.add(field, _l("Use only lower-case letters, digits, '-' and '_', for example kdl-1."))
        return code

    def whole_number(self, field: str, value: str | None, *, low: int, high: int,
                     required: bool = True) -> int | None:
        """A whole number within [low, high]; None when it may be left empty and was."""
        text = clean_text(value if isinstance(value, str) else "")
        if not text:
            if required:
                self.add(field, REQUIRED)
            return None
        if not re.fullmatch(r"[+-]?\d{1,9}", text):
            self.add(field, _l("Please enter a whole number."))
            return None
        number = int(text)
        if not low <= number <= high:
            self.add(field, _l("Please enter a number from %(low)d to %(high)d.", low=low, high=high))
            return None
        return number

    def choice(self, field: str, value: str | None, choices: type[E], message: LazyString) -> E | None:
        """One member of an enum, given by its value."""
        try:
            return choices(value)
        except ValueError:
            self.add(field, message)
            return None


def flush_or_refuse(field: str, message: LazyString | str) -> None:
    """Write now; a unique constraint that another administrator won in the meantime is a field error."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise ValidationFailed({field: message}) from error

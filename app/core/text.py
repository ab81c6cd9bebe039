"""Text hygiene for everything people type: NFC, no NUL or control characters, bounded length."""
from __future__ import annotations

import re
import unicodedata

# C0 and C1 control characters except tab, newline and carriage return, plus DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Bidi overrides and zero-width marks are used to disguise text; they have no place in a complaint.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """Normalise to NFC, strip control and invisible characters, tidy white space."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _INVISIBLE.sub("", text)
    if multiline:
        lines = [line.rstrip() for line in text.split("\n")]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    else:
        text = " ".join(text.split())
    return text.strip()


def has_control_characters(value: str | None) -> bool:
    """True if the raw value holds a NUL or another control character (tab and newline allowed)."""
    return bool(value) and bool(_CONTROL.search(value))

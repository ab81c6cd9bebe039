"""Ticket references: ten random digits, easy to read over the phone and to key into a voice menu.

Not sequential, so a reference says nothing about others and cannot be guessed from one's own:
with a million tickets a random guess hits one in 10,000 times, and the tracking page also
asks for the phone number.
"""
from __future__ import annotations

import re
import secrets

LENGTH = 10


def new_reference() -> str:
    """A fresh random reference (uniqueness is the database's job: see intake)."""
    return str(secrets.randbelow(9 * 10 ** (LENGTH - 1)) + 10 ** (LENGTH - 1))


def parse_reference(text: str | None) -> str | None:
    """The reference in what a person typed (spaces, dashes, full-width digits allowed), or None."""
    if not text:
        return None
    digits = re.sub(r"[\s\-·.]", "", text.translate(_FULL_WIDTH))
    return digits if re.fullmatch(r"[1-9]\d{%d}" % (LENGTH - 1), digits) else None


def format_reference(reference: str) -> str:
    """Grouped 3-3-4 for reading aloud: 384 129 5706."""
    return f"{reference[:3]} {reference[3:6]} {reference[6:]}"


_FULL_WIDTH = {0xFF10 + i: ord("0") + i for i in range(10)}

"""Opt-outs: a number that sent STOP (or that the carrier reports as opted out) gets nothing more."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.messaging.models import PhoneOptOut


def is_opted_out(number: str | None) -> bool:
    """True if the number asked for no more messages and has not opted back in."""
    if not number:
        return False
    return bool(db.session.scalar(
        select(PhoneOptOut.opted_out).where(PhoneOptOut.number == number)
    ))


def opted_out_among(numbers: set[str]) -> set[str]:
    """Which of these numbers opted out: one query for a whole batch of recipients."""
    if not numbers:
        return set()
    return set(db.session.scalars(
        select(PhoneOptOut.number).where(PhoneOptOut.number.in_(numbers), PhoneOptOut.opted_out.is_(True))
    ))


def opt_out(number: str, source: str = "keyword") -> bool:
    """Record STOP for the number; False if it was already opted out (confirm only once)."""
    row = db.session.scalar(select(PhoneOptOut).where(PhoneOptOut.number == number))
    if row is None:
        db.session.add(PhoneOptOut(number=number, opted_out=True, source=source))
        db.session.flush()
        return True
    if row.opted_out:
        return False
    row.opted_out = True
    row.source = source
    return True


def opt_in(number: str) -> bool:
    """Record START for the number; False if it was not opted out."""
    row = db.session.scalar(select(PhoneOptOut).where(PhoneOptOut.number == number))
    if row is None or not row.opted_out:
        return False
    row.opted_out = False
    row.source = "keyword"
    return True

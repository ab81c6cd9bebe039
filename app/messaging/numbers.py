"""Phone numbers: normalise to E.164, and decide which ones the desk may text."""
from __future__ import annotations

import phonenumbers
from flask import current_app
from phonenumbers import NumberParseException, PhoneNumberType

_TEXTABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalise_phone(raw: str, region: str | None = None) -> str | None:
    """E.164 form of a number typed in any common way, or None if it is not a valid number."""
    region = region or current_app.config["DEFAULT_REGION"]
    text = (raw or "").strip()
    if not text or len(text) > 32:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def may_text(e164: str) -> bool:
    """Only mobiles in the utility's own region: a public form that texts anywhere is an SMS-pumping relay."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except NumberParseException:
        return False
    return (
        phonenumbers.region_code_for_number(parsed) == current_app.config["DEFAULT_REGION"]
        and phonenumbers.number_type(parsed) in _TEXTABLE
    )


def display_phone(e164: str) -> str:
    """A number as people in the region write it (national format at home, international abroad)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(parsed) == current_app.config["DEFAULT_REGION"]:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

"""Indoor temperatures as people type them: '17.5', '17,5', '17.5℃', '１８°C'."""
from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation

RANGE = (Decimal("-10"), Decimal("40"))  # °C: what a flat in a northern winter can plausibly read
_MAX_CHARS = 10


def parse_temperature(raw: object) -> Decimal | None:
    """The value to one decimal, None when left empty; ValueError when it is not a number."""
    if raw is None:
        return None
    if isinstance(raw, Decimal):
        text = str(raw)
    else:
        text = unicodedata.normalize("NFKC", str(raw)).strip()
    for unit in ("°C", "℃", "度", "°", "C", "c"):
        text = text.removesuffix(unit).strip()
    text = text.replace(",", ".").replace("。", ".").replace("－", "-")
    if not text:
        return None
    if len(text) > _MAX_CHARS:
        raise ValueError("too long for a temperature")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not value.is_finite():
        raise ValueError("not a finite number")
    return value.quantize(Decimal("0.1"))


def in_range(value: Decimal) -> bool:
    return RANGE[0] <= value <= RANGE[1]

"""How many SMS segments a text costs: GSM-7 160/153, otherwise UCS-2 70/67 (all Chinese text)."""
from __future__ import annotations

_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€")


def is_gsm7(text: str) -> bool:
    return all(ch in _GSM7 or ch in _GSM7_EXTENDED for ch in text)


def segment_count(text: str) -> int:
    """Segments a carrier bills for `text`; UCS-2 counts UTF-16 code units (an emoji is two)."""
    if is_gsm7(text):
        units = sum(2 if ch in _GSM7_EXTENDED else 1 for ch in text)
        single, multi = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
    if units <= single:
        return 1
    return -(-units // multi)

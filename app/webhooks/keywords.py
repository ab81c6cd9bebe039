"""Reading a resident's text message: its language, the command it is, the fault it describes.

Residents write the way they speak: "暖气不热", "家里冷", "no heat", "5 很满意". The words here are
deliberately few and plain; anything unrecognised is a complaint in the category "other", which
agents triage.
"""
from __future__ import annotations

import re
import unicodedata

ZH = "zh_Hans"
EN = "en"

# CJK ideographs, extension A, compatibility ideographs, CJK punctuation and full-width forms.
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")

# (category code, Chinese substrings, English word patterns): the first category that matches wins,
# so the emergencies come first ("暖气不热，屋里很冷" is no heat, not low temperature).
CATEGORY_WORDS: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("no_heat", ("不热", "没暖气", "没有暖气", "暖气不热", "不供暖", "没供暖", "停暖", "冰凉"),
     (r"no heat(ing)?", r"not heating", r"heating (is )?(off|out|down)", r"radiators? (is |are )?cold")),
    ("leak", ("漏水", "爆管", "漏", "跑水", "渗水"),
     (r"leak(s|ing|ed)?", r"burst", r"flood(ed|ing)?", r"dripping")),
    ("low_temperature", ("温度低", "室温低", "温度不够", "不达标", "冷"),
     (r"cold", r"low temp(erature)?", r"chilly", r"freezing", r"not warm enough")),
    ("radiator_noise", ("异响", "响", "放气", "空气", "噪音"),
     (r"nois(e|y)", r"air", r"bang(ing)?", r"knock(ing)?", r"gurgl(e|ing)", r"bleed")),
    ("billing", ("缴费", "收费", "账单", "交费", "费用", "退费"),
     (r"bill(s|ing)?", r"charge[sd]?", r"payment", r"pay", r"fees?", r"invoice", r"refund")),
    ("service", ("投诉", "态度", "服务差"),
     (r"complain(t)?", r"rude", r"attitude", r"service")),
]
DEFAULT_CATEGORY = "other"

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "TD", "退订", "退定"})
START_WORDS = frozenset({"START", "UNSTOP", "YES", "订阅", "恢复"})
HELP_WORDS = frozenset({"HELP", "INFO", "帮助", "?", "？"})
STATUS_WORDS = frozenset({"STATUS", "查询", "进度", "查询进度", "查进度", "查"})

# "5", "5分", "5 很满意", "1，还是不热", "4 good": a score, then perhaps a comment. A digit followed
# straight by an address word ("3号楼暖气不热", "2单元") is not a score.
_RATING = re.compile(r"^([1-5])\s*(?:分|星|/5)?(?:$|[\s,，.。:：!！、;；~\-]+(.*)$|(?![\d号楼栋幢单元室#层户])(.+)$)", re.S)
_PUNCTUATION = re.compile(r"[\s.,!?;:。，！？；：、~\-]+")


def normalise(text: str | None) -> str:
    """NFKC (full-width digits and letters become ASCII), trimmed."""
    return unicodedata.normalize("NFKC", text or "").strip()


def detect_language(text: str | None) -> str:
    """Chinese if the text has any CJK character, else English."""
    return ZH if _CJK.search(text or "") else EN


def guess_category(text: str | None) -> str:
    """The category code the words point to, or "other" for an agent to decide."""
    plain = normalise(text)
    lower = plain.lower()
    for code, chinese, english in CATEGORY_WORDS:
        if any(word in plain for word in chinese):
            return code
        if any(re.search(rf"\b{pattern}\b", lower) for pattern in english):
            return code
    return DEFAULT_CATEGORY


def command_of(text: str | None) -> str | None:
    """"stop", "start", "help" or "status" when the whole message is that command word, else None."""
    plain = normalise(text)
    word = _PUNCTUATION.sub("", plain).upper() or plain
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    if word in STATUS_WORDS:
        return "status"
    return None


def parse_rating(text: str | None) -> tuple[int, str] | None:
    """(score, comment) when the message starts with a score 1–5, else None."""
    match = _RATING.match(normalise(text))
    if match is None:
        return None
    comment = (match.group(2) or match.group(3) or "").strip()
    return int(match.group(1)), comment

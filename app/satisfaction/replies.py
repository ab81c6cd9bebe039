"""Reading a resident's text in answer to the survey: "没修好", "还是不热", "still cold" mean not fixed.

Only asked of a text from a number whose ticket is resolved and waiting for its score, and only
when the text carries no score ("1 还是不热" is a score with a comment). The words are few and
plain on purpose: anything else from that number is handled as before.
"""
from __future__ import annotations

import re
import unicodedata

NOT_FIXED_ZH = (
    "没修好", "没有修好", "没修", "还是不热", "还不热", "不热", "没好", "没有好", "还是冷", "还冷",
    "不暖和", "没解决", "没有解决", "未解决",
)
NOT_FIXED_EN = (
    r"not fixed", r"still (cold|broken|leaking|not (warm|working|fixed))", r"(still )?no heat(ing)?",
    r"not (warm|working|resolved|solved)", r"still not right",
)
_EN = re.compile(r"\b(?:" + "|".join(NOT_FIXED_EN) + r")\b")


def means_not_fixed(text: str | None) -> bool:
    """True when the words say the problem is still there."""
    plain = unicodedata.normalize("NFKC", text or "").strip()
    if any(word in plain for word in NOT_FIXED_ZH):
        return True
    return bool(_EN.search(plain.lower()))

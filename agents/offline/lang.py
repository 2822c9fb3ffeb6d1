"""Guessing the customer's language from what they type, when they have not chosen one.

Deliberately simple: Vietnamese diacritics, or common Vietnamese words typed without them,
mean Vietnamese; common English words mean English; anything else (a SKU, "ok", a number) is
no evidence and keeps the conversation's language.
"""

from __future__ import annotations

import re

from agents.offline.messages import Lang
from core.text import fold


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Letters that only Vietnamese uses among the two languages (any tone mark, ơ, ư, ă, â, đ...).
_VI_LETTERS = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]",
    re.IGNORECASE,
)
_VI_WORDS = _words(
    "minh toi ban shop oi cho xem mua gia bao nhieu khong ko co con hang ao quan vay dam giay "
    "dep tui den trang xanh nhe nha chao cam on duoc roi gio don dat giao ship "
    "muon can tim"
)
_EN_WORDS = _words(
    "hi hello hey i you want buy show me do have how much price please thanks thank the "
    "is are what where my order orders cart looking for need can shirt shoes dress black "
    "white red blue size english"
)


def detect_language(text: str) -> Lang | None:
    if not text or not text.strip():
        return None
    if _VI_LETTERS.search(text):
        return "vi"
    words = re.findall(r"[a-z]+", fold(text))
    vi = sum(w in _VI_WORDS for w in words)
    en = sum(w in _EN_WORDS for w in words)
    if vi > en:
        return "vi"
    if en > vi:
        return "en"
    return None

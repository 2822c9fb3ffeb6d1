"""A quantity as a shopper types it: "2", "2 cái", "hai chiếc", "một chục", "hai lăm", "two".

Vietnamese number words with or without diacritics (một, hai, ba, bốn/tư, năm/lăm, sáu,
bảy, tám, chín, mười/mươi, chục, trăm, "mười hai", "hai mươi lăm", colloquial "hai lăm"
= 25 and "ba mốt" = 31, "nửa chục" = 5) and English ones (one ... twenty, thirty ...,
"a dozen", "a couple"), wrapped in the words people put around them ("cho mình lấy 2 cái
nhé", "two please"). Anything else is not a quantity: "áo hai dây" names a product, so the
whole message must be the number, its unit and polite filler; a message that is anything
more returns None and the flow asks again.

The vietnam-number package on PyPI parses Vietnamese number words too, but it is licensed
GPL-3.0 (shopbot is Apache-2.0), needs diacritics ("bon" is not 4 for it), knows no English,
and reads "áo hai dây" as 2 by skipping the words it does not know.
"""

from __future__ import annotations

import re

from core.text import fold

# Folded, so typed with or without diacritics. "mot" is một and mốt, "tu" is tư, "nam" năm.
_UNITS = {
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "tu": 4,
    "nam": 5,
    "lam": 5,
    "nham": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
}
# After a number word without "mươi", these make the tens colloquially: "hai lăm" is 25.
_COLLOQUIAL_ONES = frozenset({"mot", "tu", "lam", "nham"})
_TENS = frozenset({"muoi", "chuc"})  # mười/mươi, chục
_HUNDRED = "tram"
_ZERO_TENS = frozenset({"linh", "le"})  # "một trăm linh năm"

_EN = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "dozen": 12,
    "couple": 2,
}
_EN_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}

# What people put around a quantity, folded: asking, pronouns, particles, units. Kept to
# words that cannot name a product, so "2 cái áo" is not a bare quantity.
_FILLER_WORDS = (
    # Vietnamese: "cho mình lấy", "nhé", "thôi", "số lượng", "khoảng"...
    "cho minh toi tui em anh chi ban lay mua dat them nhe nha nhaa a ah thoi di shop "
    "sop oi ok oke okay vay voi so luong sl la dung roi duoc dc ha ne "
    # units
    "cai chiec c doi bo hop cap mon san pham sp goi chai lo tuyp cay "
    # English
    "please pls plz i ll ill id im will would like want take give me just only x qty "
    "quantity of them it the pcs pc piece pieces item items unit units pair pairs set "
    "sets and"
)
_FILLER = frozenset(_FILLER_WORDS.split())
_TOKEN = re.compile(r"-?\d+|[a-z]+")


def parse_quantity(text: str) -> int | None:
    """The number the message is, or None when it is not only a quantity. Zero, negative
    and huge numbers are returned as typed: whether they are allowed is the caller's rule."""
    words = [w for w in _TOKEN.findall(fold(text or "")) if w not in _FILLER]
    if not words:
        return None
    digits = [w for w in words if w.lstrip("-").isdigit()]
    if digits:
        if len(words) != 1 or len(words[0].lstrip("-")) > 6:
            return None
        return int(words[0])
    if words[0] == "a" and len(words) > 1:  # "a dozen", "a couple"
        words = words[1:]
    return _english(words) if words[0] in _EN or words[0] in _EN_TENS else _vietnamese(words)


def _english(words: list[str]) -> int | None:
    """ "two", "twenty one" / "twenty-one", "a dozen"."""
    if len(words) == 1:
        return _EN.get(words[0], _EN_TENS.get(words[0]))
    if len(words) == 2 and words[0] in _EN_TENS and _EN.get(words[1], 10) < 10:
        return _EN_TENS[words[0]] + _EN[words[1]]
    return None


def _vietnamese(words: list[str]) -> int | None:
    """0 to 999 in words: "mười hai", "hai mươi lăm", "hai lăm", "một trăm linh năm",
    "chục", "một chục", "nửa chục"."""
    if words == ["nua", "chuc"]:
        return 5
    total = 0
    current = 0
    # start: nothing read in this group; unit: a digit word; tens: the tens are set, ones may
    # follow; done: nothing more may follow in this group.
    state = "start"
    for w in words:
        if w in _UNITS:
            value = _UNITS[w]
            if state == "start":
                current, state = value, "unit"
            elif state == "tens":
                current, state = current + value, "done"
            elif state == "unit" and w in _COLLOQUIAL_ONES and current:
                current, state = current * 10 + value, "done"
            else:
                return None
        elif w in _TENS:
            if state == "start":
                current, state = 10, "tens"
            elif state == "unit" and current:
                current, state = current * 10, "tens"
            else:
                return None
        elif w == _HUNDRED:
            if state not in ("start", "unit") or total:
                return None
            total, current, state = (current or 1) * 100, 0, "start"
        elif w in _ZERO_TENS and total and state == "start":
            continue
        else:
            return None
    return total + current

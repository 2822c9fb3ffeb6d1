"""Whether the model's answer asks the customer for a phone number, so a channel can offer
the platform's share-my-number button (Telegram's request_contact) under it.

Read on folded text (lower case, no diacritics). Asking is a mention of a phone that quotes no
number: "cho em xin số điện thoại ạ", "What phone number should the courier call?"; an answer
that repeats a number ("giao tới SĐT 0912 345 678") is not asking. A wrong guess only shows
or leaves out a button; nothing is filled from it.
"""

from __future__ import annotations

import re

from core.text import fold

_PHONE_WORD = re.compile(r"\b(?:so dien thoai|so dt|sdt|phone(?: number)?(?! cases?\b))\b")
_A_NUMBER = re.compile(r"\d[\d .-]{7,}\d")


def asks_for_phone(text: str) -> bool:
    folded = fold(text)
    return bool(_PHONE_WORD.search(folded)) and not _A_NUMBER.search(folded)

"""What a staff member typed into an order search: an order number, a phone, or a name.

One rule, so "0912345678" is never taken for order 912345678:

* ``DH`` or ``#`` followed by digits (``DH000012``, ``dh12``, ``#12``) is an order number;
* only digits (with the spaces, dots, dashes, brackets and ``+`` people put in phones):
  up to 6 digits is an order number (``12``, ``000012``: order numbers have six digits),
  7 or more is a phone: a whole valid number (``0912 345 678``, ``+84912345678``,
  ``84912345678``) matches that phone exactly, a part of one (``0912 345``, ``345678``)
  matches phones that start (leading ``0``, ``84`` or ``+``) or end with those digits;
* anything else is part of the buyer's name, accents optional.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import InvalidInput
from core.phone import normalise_phone
from core.text import fold

ORDER_NUMBER_DIGITS = 6
_PREFIXED_NUMBER = re.compile(r"(?:DH|#)\s*(\d+)", re.IGNORECASE)
_PHONE_CHARS = re.compile(r"[\d\s+().\-]+")


@dataclass(frozen=True, slots=True)
class ByNumber:
    order_id: int


@dataclass(frozen=True, slots=True)
class ByPhone:
    """``exact`` is an E.164 number; otherwise ``like`` is a SQL LIKE pattern on E.164."""

    exact: str | None
    like: str | None


@dataclass(frozen=True, slots=True)
class ByName:
    folded: str


OrderSearch = ByNumber | ByPhone | ByName


def read_order_search(text: str) -> OrderSearch:
    """Which of the three ``text`` is (see the module's rule)."""
    term = text.strip()
    if m := _PREFIXED_NUMBER.fullmatch(term):
        return ByNumber(int(m.group(1)))
    digits = re.sub(r"\D", "", term)
    if digits and _PHONE_CHARS.fullmatch(term):
        if len(digits) <= ORDER_NUMBER_DIGITS and "+" not in term:
            return ByNumber(int(digits))
        return phone_search(term, digits)
    return ByName(fold(term))


def phone_search(term: str, digits: str) -> ByPhone:
    try:
        return ByPhone(exact=normalise_phone(term), like=None)
    except InvalidInput:
        pass
    if digits.startswith("0"):
        return ByPhone(exact=None, like=f"+84{digits[1:]}%")
    if digits.startswith("84") or term.startswith("+"):
        return ByPhone(exact=None, like=f"+{digits}%")
    return ByPhone(exact=None, like=f"%{digits}")

"""Cell values as people type them: text without odd spaces, amounts in đồng ("150.000đ"),
counts, VAT rates ("10%", or 0.1 from a percent cell), lists of image URLs."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from core.catalog import check_vat_rate
from core.catalog_rows.errors import CellError
from core.errors import InvalidInput

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_CURRENCY = re.compile(r"(?:₫|đ|vnđ|vnd|đồng|dong|d)\.?$", re.IGNORECASE)
_DIGITS = re.compile(r"^\d+$")


def cell_text(value: object) -> str:
    """A cell as text: numbers without a spurious ``.0``, no surrounding or odd spaces."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    text = str(value).replace("\u00a0", " ").replace("\ufeff", "").replace("\u200b", "")
    return text.strip()


@dataclass(frozen=True, slots=True)
class _Kind:
    """How a numeric column talks about its values in messages."""

    not_number: str  # "'{raw}' ..."
    not_whole: str
    negative: str


_MONEY = _Kind(
    "is not an amount in đồng (write e.g. 150000 or 150.000đ)",
    "is not a whole number of đồng",
    "is negative; prices cannot be",
)
_COUNT = _Kind("is not a whole number", "is not a whole number", "is negative")


def _whole(value: object, kind: _Kind) -> int | None:
    """A non-negative whole number from a cell; None when blank. Grouping with dots, commas
    or spaces is read as thousands ("1.500" is 1500, Vietnamese style); decimals are refused
    unless they are zero ("150000.00")."""
    if value is None:
        return None
    raw = cell_text(value)
    if isinstance(value, bool):
        raise CellError(f"'{raw}' {kind.not_number}.")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or abs(value - round(value)) > 1e-6:
            raise CellError(f"'{raw}' {kind.not_whole}.", "not_whole")
        number = round(value)
    else:
        text = _CURRENCY.sub("", _SPACES.sub("", raw)) if kind is _MONEY else _SPACES.sub("", raw)
        if not text:
            if raw:
                raise CellError(f"'{raw}' {kind.not_number}.")
            return None
        if text.startswith("-") and _parses(text[1:], kind):
            raise CellError(f"'{raw}' {kind.negative}.", "negative")
        number = _parse_grouped(text, raw, kind)
    if number < 0:
        raise CellError(f"'{raw}' {kind.negative}.", "negative")
    return number


def _parses(text: str, kind: _Kind) -> bool:
    try:
        _parse_grouped(text, text, kind)
    except CellError as exc:
        return exc.code == "not_whole"
    return True


def _parse_grouped(text: str, raw: str, kind: _Kind) -> int:
    if _DIGITS.match(text):
        return int(text)
    seps = [c for c in text if c in ".,"]
    if not seps or any(not (c.isdigit() or c in ".,") for c in text):
        raise CellError(f"'{raw}' {kind.not_number}.")
    # The last separator is a decimal mark if it differs from the others, or if it is the only
    # one and is not followed by exactly three digits.
    last = text.rfind(seps[-1])
    is_decimal = len(set(seps)) == 2 or (len(seps) == 1 and len(text) - last - 1 != 3)
    whole, fraction = (text[:last], text[last + 1 :]) if is_decimal else (text, "")
    if fraction and set(fraction) != {"0"}:
        raise CellError(f"'{raw}' {kind.not_whole}.", "not_whole")
    groups = re.split(r"[.,]", whole)
    well_grouped = (
        all(g.isdigit() for g in groups)
        and (len(groups) == 1 or len(groups[0]) <= 3)
        and all(len(g) == 3 for g in groups[1:])
        and len({c for c in whole if c in ".,"}) <= 1
    )
    if not well_grouped:
        raise CellError(f"'{raw}' {kind.not_number}.")
    return int("".join(groups))


def parse_money(value: object) -> int | None:
    """Whole đồng: 150000, "150.000", "150,000", "150.000đ", "150 000 ₫"; None when blank."""
    return _whole(value, _MONEY)


def parse_quantity(value: object) -> int | None:
    """A count (units, grams); None when blank."""
    return _whole(value, _COUNT)


def parse_vat(value: object) -> int | None:
    """VAT as 0, 5, 8 or 10: "10", "10%", or an Excel percent cell (0.1)."""
    if value is None:
        return None
    raw = cell_text(value)
    text = _SPACES.sub("", raw).removesuffix("%").replace(",", ".")
    if not text:
        return None
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        rate = Decimal(text)
        if not rate.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise CellError(f"'{raw}' is not a VAT rate (0, 5, 8 or 10).", "invalid_vat_rate") from None
    if 0 < rate < 1 and not raw.endswith("%"):
        rate *= 100  # an Excel cell formatted as percent holds 0.1 for 10%
    if rate != rate.to_integral_value():
        raise CellError(f"VAT must be 0, 5, 8 or 10 %, got {raw}.", "invalid_vat_rate")
    try:
        return check_vat_rate(int(rate))
    except InvalidInput as exc:
        raise CellError(exc.message, exc.code) from None


def split_media(text: str) -> list[str]:
    """URLs separated by ``|``, spaces or line breaks."""
    return [u for u in re.split(r"[|\s]+", text) if u]


def is_blank(cells: Sequence[object]) -> bool:
    return all(not cell_text(c) for c in cells)

"""Vietnamese tax codes (mã số thuế, MST): 10 digits, or 10 digits + '-' + 3 for a branch.

The tenth digit is a check digit over the first nine (weights 31, 29, 23, 19, 17, 13, 7, 5, 3;
check = 10 - sum mod 11), so a mistyped digit is caught here instead of on the e-invoice.
"""

from __future__ import annotations

import re

from core.errors import InvalidInput

_MST = re.compile(r"^(\d{10})(?:-(\d{3}))?$")
_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when no valid code can start with them."""
    digit = 10 - sum(int(d) * w for d, w in zip(first_nine, _WEIGHTS, strict=True)) % 11
    return digit if digit < 10 else None


def normalise_tax_code(raw: str, *, field: str = "tax_code") -> str:
    """``0300588569``, ``0300 588 569`` and ``0300588569 - 001`` are accepted; spaces dropped."""
    text = re.sub(r"\s+", "", raw)
    m = _MST.match(text)
    if m is None:
        raise InvalidInput(
            f"'{raw}' is not a tax code: use 10 digits, or 10 digits, '-' and 3 for a branch.",
            field=field,
            code="invalid_tax_code",
        )
    main = m.group(1)
    if check_digit(main[:9]) != int(main[9]):
        raise InvalidInput(
            f"'{raw}' is not a valid tax code (its check digit is wrong; please re-check it).",
            field=field,
            code="invalid_tax_code",
        )
    if m.group(2) == "000":
        raise InvalidInput(
            f"'{raw}': branch numbers start at 001.", field=field, code="invalid_tax_code"
        )
    return text

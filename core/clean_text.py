"""Text hygiene at the edge: control characters are refused where text comes in.

NUL cannot be stored in PostgreSQL text or JSON, other C0/C1 controls break exports (Excel
refuses them) and hide in what people read. Every string of every tool input is checked once,
at any depth (tools/runner.py), as is each chat message; line breaks and tabs are allowed only
in fields meant to hold several lines (notes, addresses, descriptions, uploaded text).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from core.errors import InvalidInput

# Field names whose text may span lines (any part of the path: ``address.line`` too). Search
# queries too: they are often a chat message as typed, line breaks and all.
MULTILINE = re.compile(
    r"note|description|address|message|text|content|comment|reason|body|instruction|csv"
    r"|query|search",
    re.IGNORECASE,
)
_LINE_BREAKS = frozenset("\n\t\r")


def _bad(ch: str, multiline: bool) -> bool:
    if multiline and ch in _LINE_BREAKS:
        return False
    # Cc: C0 and C1 controls and DEL; Cs: lone surrogates (not encodable as UTF-8).
    return unicodedata.category(ch) in ("Cc", "Cs")


_SUSPECT = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def first_control(text: str, *, multiline: bool) -> str | None:
    """The first character not allowed in such a field, or None."""
    for match in _SUSPECT.finditer(text):
        if _bad(match.group(), multiline):
            return match.group()
    return None


def is_multiline(field: str) -> bool:
    return any(MULTILINE.search(part) for part in field.split("."))


def check_text(text: str, field: str, *, multiline: bool | None = None) -> None:
    """Raises InvalidInput naming the field when the text holds a control character."""
    if _SUSPECT.search(text) is None:  # the common case, decided without the field's rules
        return
    found = first_control(text, multiline=is_multiline(field) if multiline is None else multiline)
    if found is not None:
        raise InvalidInput(
            f"{field or 'text'}: control character U+{ord(found):04X} is not allowed here.",
            field=field or None,
            code="control_character",
        )


def check_all(value: Any, path: str = "") -> None:
    """Every string in a value made of dicts, lists and tuples (keys too), at any depth."""
    if isinstance(value, str):
        check_text(value, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                if _SUSPECT.search(key) is not None:
                    check_text(key, f"{path}.{key}" if path else key, multiline=False)
                if isinstance(item, str) and _SUSPECT.search(item) is None:
                    continue  # clean: no path to build
            if item is None or isinstance(item, int | float):
                continue
            check_all(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            if item is None or isinstance(item, int | float):
                continue
            check_all(item, f"{path}.{i}" if path else str(i))


_ANY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def scrub(value: Any) -> Any:
    """A copy fit to store anywhere (the audit of a refused call): controls other than line
    breaks and tabs become U+FFFD."""
    if isinstance(value, str):
        return _ANY_CONTROL.sub("\ufffd", value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value

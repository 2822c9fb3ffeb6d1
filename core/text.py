"""Text folding for search: Vietnamese diacritics and case are ignored.

"ao thun" finds "Áo thun".
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^0-9a-z]+")


class _StripMarks(dict[int, int | None]):
    """A ``str.translate`` table that drops combining marks (category Mn) and keeps the rest.

    Filled on first sight of each code point: the reply checks fold hundreds of texts a turn,
    and asking ``unicodedata.category`` per character in Python was most of their cost."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.category(chr(code)) == "Mn" else code
        self[code] = kept
        return kept


_STRIP_MARKS = _StripMarks()


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ -> d too) and collapse white space."""
    if not text.isascii():  # ASCII has nothing to decompose or strip
        decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
        text = decomposed.translate(_STRIP_MARKS)
    return _SPACES.sub(" ", text.lower()).strip()


def tokens(text: str) -> list[str]:
    return [t for t in _NON_WORD.split(fold(text)) if t]

"""Vietnamese alphabetical order, as a dictionary sorts.

Sorting by code point puts "Áo" after "Ví" (Á is U+00C1) and "Đầm" after every ASCII word.
Vietnamese order compares letters first, with its own alphabet (a ă â b c d đ e ê g h i k l m
n o ô ơ p q r s t u ư v x y), then the tones (none, huyền, hỏi, ngã, sắc, nặng), then case.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

# Marks that make a letter of its own (ă â ê ô ơ ư), in alphabet order after the bare letter.
_BREVE, _CIRCUMFLEX, _HORN = "\u0306", "\u0302", "\u031b"
_LETTER_MARKS = {_BREVE: 1, _CIRCUMFLEX: 2, _HORN: 3}
# Tone marks, in dictionary order (no mark first).
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def _letters(text: str) -> list[tuple[str, int, int]]:
    """(base letter, letter mark rank, tone rank) for each character, lower-cased."""
    out: list[tuple[str, int, int]] = []
    for ch in unicodedata.normalize("NFD", text.lower()):
        if unicodedata.combining(ch) and out:
            base, mark, tone = out[-1]
            out[-1] = (base, max(mark, _LETTER_MARKS.get(ch, 0)), max(tone, _TONES.get(ch, 0)))
        elif ch == "đ":
            out.append(("d", 4, 0))  # đ comes after every d
        else:
            out.append((ch, 0, 0))
    return out


def vi_sort_key(text: str) -> tuple[tuple[tuple[str, int], ...], tuple[int, ...], str]:
    """A key for ``sorted``: letters (with ă â đ ê ô ơ ư as letters of their own), then tones,
    then the text itself (so upper and lower case never tie)."""
    letters = _letters(text.strip())
    return (
        tuple((base, mark) for base, mark, _ in letters),
        tuple(tone for _, _, tone in letters),
        text,
    )


def sorted_vi(items: Iterable[T], key: Callable[[T], str] | None = None) -> list[T]:
    """``items`` in Vietnamese alphabetical order (of ``key(item)``, or the item itself)."""
    pick: Callable[[T], str] = key or (lambda item: str(item))
    return sorted(items, key=lambda item: vi_sort_key(pick(item)))

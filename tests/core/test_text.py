"""Folding: the fast fold is the plain definition (NFD, drop combining marks, lower case,
collapse white space), character for character."""

from __future__ import annotations

import re
import unicodedata

from core.text import fold, tokens


def _fold_by_definition(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return re.sub(r"\s+", " ", stripped.lower()).strip()


def test_fold_strips_vietnamese_diacritics_case_and_spacing() -> None:
    assert fold("  Áo THUN\tđen  Đỏ\n") == "ao thun den do"
    assert tokens("Áo thun, size M!") == ["ao", "thun", "size", "m"]


def test_fold_matches_its_definition_for_every_character_of_the_basic_plane() -> None:
    chars = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]
    for i in range(0, len(chars), 512):
        chunk = "Ợ" + " a".join(chars[i : i + 512]) + "İ"
        assert fold(chunk) == _fold_by_definition(chunk)

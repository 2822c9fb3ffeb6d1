"""Which characters each kind of field takes (core/clean_text.py)."""

from __future__ import annotations

import pytest

from core.clean_text import check_all, first_control, is_multiline, scrub
from core.errors import InvalidInput


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800"])
def test_controls_and_lone_surrogates_are_refused_everywhere(char: str) -> None:
    assert first_control(f"a{char}b", multiline=True) == char
    assert first_control(f"a{char}b", multiline=False) == char


def test_line_breaks_and_tabs_only_where_text_spans_lines() -> None:
    assert first_control("a\r\n\tb", multiline=True) is None
    assert first_control("a\nb", multiline=False) == "\n"
    assert is_multiline("note")
    assert is_multiline("address.line")
    assert is_multiline("lines.0.query")
    assert not is_multiline("variants.0.name")


def test_vietnamese_and_emoji_are_plain_text() -> None:
    assert first_control("Áo thun cổ tròn 🙂 – 150.000₫", multiline=False) is None


def test_the_refusal_names_the_path_keys_included() -> None:
    with pytest.raises(InvalidInput) as bad:
        check_all({"variants": [{"options": {"Màu\x01": "Đen"}}]})
    assert (bad.value.field, bad.value.code) == ("variants.0.options.Màu\x01", "control_character")


def test_scrub_keeps_line_breaks_and_replaces_the_rest() -> None:
    assert scrub({"a\x00": ["x\x1by", "l1\nl2\t"]}) == {"a\ufffd": ["x\ufffdy", "l1\nl2\t"]}

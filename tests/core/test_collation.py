from __future__ import annotations

import random

from core.collation import sorted_vi


def test_vietnamese_alphabet_order() -> None:
    words = ["a", "ă", "â", "b", "d", "đ", "e", "ê", "o", "ô", "ơ", "u", "ư", "y"]
    shuffled = words[:]
    random.Random(1).shuffle(shuffled)
    assert sorted_vi(shuffled) == words


def test_accented_first_letters_sort_with_their_letter() -> None:
    cats = ["Ví da", "Quần jean", "Áo thun", "Đầm", "Dép", "Balo", "Áo khoác", "Ao choang"]
    assert sorted_vi(cats) == [
        "Ao choang",
        "Áo khoác",
        "Áo thun",
        "Balo",
        "Dép",
        "Đầm",
        "Quần jean",
        "Ví da",
    ]


def test_tones_order_a_word_after_its_letters() -> None:
    tones = ["ma", "mà", "mả", "mã", "má", "mạ"]
    assert sorted_vi(reversed(tones)) == tones
    assert sorted_vi(["mạ", "mac"]) == ["mạ", "mac"]  # letters first, tones after


def test_a_key_picks_what_to_sort_by() -> None:
    rows = [{"name": "Ưu đãi"}, {"name": "Túi"}, {"name": "Ốp lưng"}]
    assert [r["name"] for r in sorted_vi(rows, key=lambda r: r["name"])] == [
        "Ốp lưng",
        "Túi",
        "Ưu đãi",
    ]

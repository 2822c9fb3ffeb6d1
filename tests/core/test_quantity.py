"""Quantities as shoppers type them, in Vietnamese (with and without diacritics) and English."""

from __future__ import annotations

import pytest

from core.quantity import parse_quantity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", 2),
        (" 3 cái ", 3),
        ("10 pcs", 10),
        ("x2", 2),
        ("2c", 2),
        ("sl: 3", 3),
        ("cho mình lấy 2 cái nhé", 2),
        ("một", 1),
        ("mot", 1),
        ("hai", 2),
        ("hai cái", 2),
        ("hai chiếc", 2),
        ("ba", 3),
        ("bốn", 4),
        ("bon cai", 4),
        ("tư", 4),
        ("năm", 5),
        ("sáu", 6),
        ("bảy", 7),
        ("bay", 7),
        ("tám", 8),
        ("chín", 9),
        ("mười", 10),
        ("muoi", 10),
        ("chục", 10),
        ("một chục", 10),
        ("hai chục", 20),
        ("nửa chục", 5),
        ("mười hai", 12),
        ("mười lăm", 15),
        ("hai mươi", 20),
        ("hai mươi lăm", 25),
        ("hai lăm", 25),
        ("ba mốt", 31),
        ("hai tư", 24),
        ("một trăm linh năm", 105),
        ("lấy hai cái nha shop", 2),
        ("1 đôi", 1),
        ("one", 1),
        ("two", 2),
        ("Two please", 2),
        ("three pcs", 3),
        ("twelve", 12),
        ("twenty-one", 21),
        ("twenty one", 21),
        ("a dozen", 12),
        ("a couple", 2),
        ("I'll take two", 2),
        ("0", 0),
        ("zero", 0),
        ("-1", -1),
    ],
)
def test_a_quantity_in_digits_or_words(text: str, expected: int) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "quan jean",
        "áo hai dây",  # a product, not two of anything
        "2 cái áo",
        "hai ba",  # "two or three": not one number
        "hai hai",
        "mười mười",
        "cái",
        "100000000",
        "1 2",
        "twenty twenty",
        "ship mất bao lâu",
    ],
)
def test_anything_more_than_a_quantity_is_none(text: str) -> None:
    assert parse_quantity(text) is None

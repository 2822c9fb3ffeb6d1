"""The confirmation and cancel checks that gate place_order and cancel_order."""

from __future__ import annotations

import pytest

from agents.llm.intent import asks_to_cancel, is_confirmation


@pytest.mark.parametrize(
    "text",
    [
        "ok chốt đơn",
        "có",
        "Đồng ý",
        "xác nhận",
        "Chốt!",
        "oke shop",
        "ok",
        "dạ được",
        "Đúng rồi, chốt nha",
        "yes",
        "Yes, confirm",
        "sure",
        "Đồng ý đặt hàng",
        "Yes, place it",
        "chot don",
        "dong y",
    ],
)
def test_yes(text: str) -> None:
    assert is_confirmation(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "phí ship bao nhiêu?",
        "có ship tỉnh không",
        "ok nhưng đổi size L",
        "chưa, để mình xem",
        "đừng đặt",
        "không",
        "ko chốt",
        "no",
        "wait",
        "hủy đi",
        "Chưa, sửa lại",
        "Not yet, change it",
        "cho mình xem áo da",
        "12 Lê Lợi, Quận 1",
        "ok " + "rất " * 20 + "đẹp",  # long messages carry more than a yes
    ],
)
def test_not_yes(text: str) -> None:
    assert not is_confirmation(text)


@pytest.mark.parametrize(
    ("text", "cancel"),
    [
        ("Hủy đơn DH000001 giúp mình", True),
        ("huy don", True),
        ("mình không lấy nữa", True),
        ("please cancel my order", True),
        ("đơn của mình sao rồi?", False),
        ("ok", False),
    ],
)
def test_cancel(text: str, cancel: bool) -> None:
    assert asks_to_cancel(text) is cancel

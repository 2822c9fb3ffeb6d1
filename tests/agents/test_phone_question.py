"""When the model's answer counts as asking for a phone (the share-phone button under it)."""

from __future__ import annotations

import pytest

from agents.llm.phone_question import asks_for_phone


@pytest.mark.parametrize(
    "text",
    [
        "Anh/chị cho em xin số điện thoại để shipper liên hệ ạ.",
        "Bạn cho mình xin SĐT nhé",
        "Cho em xin tên, sđt và địa chỉ giao hàng ạ",
        "What phone number should the courier call?",
        "Please send your name, phone and address.",
    ],
)
def test_asking_for_a_phone(text: str) -> None:
    assert asks_for_phone(text)


@pytest.mark.parametrize(
    "text",
    [
        "Đơn sẽ giao tới SĐT 0912 345 678 nhé",  # repeats a number: not asking
        "Your order will be delivered; the courier calls +84 912 345 678 first.",
        "Ốp lưng điện thoại còn màu đen ạ",  # a phone as a product
        "We have phone cases in black.",
        "Dạ shop còn áo thun trắng size M ạ.",
    ],
)
def test_not_asking_for_a_phone(text: str) -> None:
    assert not asks_for_phone(text)

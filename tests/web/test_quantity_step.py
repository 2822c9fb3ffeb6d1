"""The quantity step through the web chat API (issue 8, item 5): after choosing a colour and
size, "two" ran a product search and lost the variant, then "1" and "-1" were searches too."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Caller
from tests.web.chat_client import WebChat

pytestmark = pytest.mark.usefixtures("catalogue")

QUANTITY_BUTTONS = ["1", "2", "3"]


async def choose_black_m(chat: WebChat, *, english: bool = False) -> None:
    await chat.say("ao thun")
    await chat.press_card("Áo thun cotton basic", "View" if english else "Xem")
    await chat.press("Đen")
    await chat.press("M")
    assert ("How many?" if english else "Bạn lấy mấy cái?") in chat.text, chat.text


async def test_number_words_add_the_chosen_variant(client: httpx.AsyncClient) -> None:
    chat = WebChat(client)
    await choose_black_m(chat)
    await chat.say("hai cái")
    assert "Đã thêm 2 × Áo thun cotton basic (Đen / M) vào giỏ hàng." in chat.text
    await choose_black_m(chat)
    await chat.say("một")
    assert "Đã thêm 1 × Áo thun cotton basic (Đen / M)" in chat.text
    assert "Giỏ hàng (3)" in chat.titles()


async def test_anything_else_asks_again_and_keeps_the_variant(client: httpx.AsyncClient) -> None:
    chat = WebChat(client)
    await choose_black_m(chat)
    await chat.say("two")
    assert "Đã thêm 2 × Áo thun cotton basic (Đen / M)" in chat.text

    await choose_black_m(chat)
    await chat.say("xyz")
    assert "Mình chưa hiểu “xyz” là số lượng" in chat.text
    assert "Áo thun cotton basic (Đen / M)" in chat.text
    assert chat.titles()[:3] == QUANTITY_BUTTONS
    await chat.say("-1")
    assert "Số lượng phải từ 1 đến 99" in chat.text
    assert chat.titles()[:3] == QUANTITY_BUTTONS
    await chat.say("0")
    assert "Bạn chọn ít nhất 1 nhé. Áo thun cotton basic (Đen / M) hiện còn 10 sản phẩm." in (
        chat.text
    )
    await chat.say("1")
    assert "Đã thêm 1 × Áo thun cotton basic (Đen / M)" in chat.text
    assert "Giỏ hàng (3)" in chat.titles()


async def test_english_number_words(client: httpx.AsyncClient) -> None:
    chat = WebChat(client)
    await chat.send(payload="lang:en")
    await choose_black_m(chat, english=True)
    await chat.say("three please")
    assert "Added 3 × Áo thun cotton basic (Đen / M) to your cart." in chat.text
    await choose_black_m(chat, english=True)
    await chat.say("blue")
    assert "I didn't get “blue” as a quantity." in chat.text
    await chat.say("0")
    assert "Please choose at least 1. Áo thun cotton basic (Đen / M): 10 in stock." in chat.text


async def test_a_variant_switched_off_meanwhile_is_said_sold_out(
    client: httpx.AsyncClient, shop: Caller
) -> None:
    chat = WebChat(client)
    await choose_black_m(chat)
    await shop("update_product", code="AT01", variants=[{"sku": "AT01-DE-M", "active": False}])
    await chat.say("xyz")
    assert "Rất tiếc, Áo thun cotton basic đang tạm hết hàng." in chat.text
    await chat.say("2")  # the question was dropped: no quantity for a variant not sold
    assert "Đã thêm" not in chat.text


async def test_a_cart_lines_new_quantity_in_words(client: httpx.AsyncClient) -> None:
    chat = WebChat(client)
    await choose_black_m(chat)
    await chat.say("1")
    await chat.press("Giỏ hàng (1)")
    await chat.press("Sửa số lượng")
    await chat.press("1. Áo thun cotton basic (Đen / M)")
    await chat.say("ba cái")
    assert "Đã đổi Áo thun cotton basic (Đen / M) thành 3." in chat.text

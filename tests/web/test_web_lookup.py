"""A shopper on another device finds their order by its number plus the phone it was placed
with (issue 8, item 3), through the web chat API with the button flow."""

from __future__ import annotations

import httpx
import pytest

from tests.web.chat_client import WebChat, buy_one_tee

pytestmark = pytest.mark.usefixtures("catalogue")

PHONE = "0987654321"  # what buy_one_tee types


async def test_number_and_phone_in_one_message_show_the_order_on_a_new_device(
    client: httpx.AsyncClient,
) -> None:
    number = await buy_one_tee(WebChat(client))
    other = WebChat(client)  # a new browser: a new customer with no orders
    await other.say(f"{number} 0987 654 321")
    assert number in other.text
    assert "Áo thun cotton basic" in other.text
    assert "149.000₫" in other.text
    assert "Trần Thị Bình" not in other.text  # nothing personal
    assert "Hai Bà Trưng" not in other.text


async def test_the_number_alone_asks_for_the_phone_then_shows_the_order(
    client: httpx.AsyncClient,
) -> None:
    number = await buy_one_tee(WebChat(client))
    other = WebChat(client)
    await other.say(f"đơn {number} của mình sao rồi")
    assert "số điện thoại" in other.text
    assert "149.000₫" not in other.text
    await other.say("+84 987 654 321")
    assert number in other.text
    assert "149.000₫" in other.text


async def test_a_wrong_phone_and_an_unknown_number_get_the_same_answer(
    client: httpx.AsyncClient,
) -> None:
    number = await buy_one_tee(WebChat(client))
    guesser = WebChat(client)
    await guesser.say(f"{number} 0912345678")
    wrong_phone = guesser.text
    await guesser.say(f"DH999999 {PHONE}")
    assert guesser.text == wrong_phone
    assert "149.000₫" not in wrong_phone


async def test_the_buyer_sees_their_own_order_without_a_phone(client: httpx.AsyncClient) -> None:
    chat = WebChat(client)
    number = await buy_one_tee(chat)
    await chat.say(number)
    assert "149.000₫" in chat.text
    assert "số điện thoại" not in chat.text

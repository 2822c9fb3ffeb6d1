"""Typed questions in the button flow, without an LLM (issue 8, item 4): they are answered
from the shop's settings and the customer's own orders, not searched as product words; and a
product the shop does not sell is said plainly, without unrelated "closest" products."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Caller
from tests.factories import make_product
from tests.web.chat_client import WebChat, buy_one_tee

pytestmark = pytest.mark.usefixtures("catalogue")


async def ask(chat: WebChat, text: str) -> str:
    await chat.say(text)
    assert chat.cards() == [], f"{text!r} showed products: {chat.text}"
    return chat.text


async def test_order_status_from_the_customers_own_orders(client: httpx.AsyncClient) -> None:
    chat = WebChat(client)
    assert "chưa thấy đơn hàng nào của bạn" in await ask(chat, "đơn hàng của tôi đến đâu rồi?")
    number = await buy_one_tee(chat)
    text = await ask(chat, "don hang cua minh den dau roi")
    assert f"Đơn {number} của bạn: Chờ xác nhận." in text
    assert "Thời gian giao dự kiến: 2–4 ngày làm việc" in text
    assert number in chat.titles()  # a button to the order's details
    # Someone else's chat does not see it.
    other = WebChat(client)
    assert number not in await ask(other, "kiểm tra đơn hàng")


async def test_order_status_in_english(client: httpx.AsyncClient) -> None:
    chat = WebChat(client)
    number = await buy_one_tee(chat)
    await chat.send(payload="lang:en")
    text = await ask(chat, "where is my order?")
    assert f"Your order {number}: Awaiting confirmation." in text
    assert "Expected delivery time: 2–4 working days" in text


async def test_shipping_payment_returns_and_hours_from_the_settings(
    client: httpx.AsyncClient,
) -> None:
    chat = WebChat(client)
    assert "Thời gian giao hàng: 2–4 ngày làm việc" in await ask(chat, "ship mất bao lâu?")
    fee = await ask(chat, "phí ship bao nhiêu")
    assert "Phí giao hàng 30.000₫ mỗi đơn, miễn phí cho đơn từ 500.000₫." in fee
    assert "Phí giao hàng 30.000₫" in await ask(chat, "ship bn")
    pay = await ask(chat, "thanh toán thế nào")
    assert "thanh toán khi nhận hàng (COD) hoặc chuyển khoản" in pay
    assert "nhân viên sẽ gửi thông tin chuyển khoản" in pay  # no account set: staff send it
    assert "giữ hàng cho bạn 15 phút" in pay
    assert "Đổi trả trong 7 ngày" in await ask(chat, "có đổi size được không")
    assert "8:00 – 21:00" in await ask(chat, "shop mo cua may gio")
    assert "Không có gì ạ" in await ask(chat, "cảm ơn shop")
    assert "trợ lý bán hàng của Shop Test" in await ask(chat, "chào shop ạ")


async def test_english_questions(client: httpx.AsyncClient) -> None:
    chat = WebChat(client)
    await chat.send(payload="lang:en")
    assert "Delivery time: 2–4 working days" in await ask(chat, "how long does shipping take?")
    assert "Shipping is 30.000₫ per order" in await ask(chat, "shipping fee?")
    assert "cash on delivery (COD)" in await ask(chat, "how can I pay?")
    assert "Returns within 7 days" in await ask(chat, "what's your return policy")
    assert "Monday to Sunday" in await ask(chat, "what are your opening hours")


async def test_asking_for_a_person_hands_the_chat_over(client: httpx.AsyncClient) -> None:
    chat = WebChat(client)
    assert "Mình đã báo nhân viên" in await ask(chat, "cho mình gặp nhân viên tư vấn")
    assert chat.mode == "human"


async def test_a_product_not_sold_is_said_plainly(client: httpx.AsyncClient, shop: Caller) -> None:
    # "tủ" folds to "tu", as "tử" and "tự" do: these were offered as the "closest products".
    await make_product(shop, "PK02", "Thắt lưng da nam khoá tự động", category="Phụ kiện")
    await make_product(shop, "TX06", "Túi bao tử đeo hông", category="Túi xách")
    chat = WebChat(client)
    text = await ask(chat, "tủ lạnh samsung")
    assert "shop hiện không bán sản phẩm này" in text
    assert "Xem danh mục" in chat.titles()
    await chat.say("ao thun")  # product words are still searched
    assert "Áo thun cotton basic" in [c["title"] for c in chat.cards()]


async def test_a_question_at_the_quantity_step_keeps_the_variant(
    client: httpx.AsyncClient,
) -> None:
    chat = WebChat(client)
    await chat.say("ao thun")
    await chat.press_card("Áo thun cotton basic", "Xem")
    await chat.press("Đen")
    await chat.press("M")
    assert "Phí giao hàng 30.000₫" in await ask(chat, "phí ship bao nhiêu vậy shop")
    await chat.say("hai")
    assert "Đã thêm 2 × Áo thun cotton basic (Đen / M)" in chat.text


async def test_the_whole_phrase_ranks_first_in_the_chat(
    client: httpx.AsyncClient, shop: Caller
) -> None:
    await make_product(shop, "AT06", "Áo thun tay dài giữ nhiệt", category="Áo thun")
    await make_product(shop, "VD06", "Áo dài cách tân hoạ tiết sen", category="Váy đầm")
    chat = WebChat(client)
    await chat.say("áo dài")
    assert [c["title"] for c in chat.cards()] == [
        "Áo dài cách tân hoạ tiết sen",
        "Áo thun tay dài giữ nhiệt",
    ]
    await chat.say("quan jen")  # a typo still finds the jeans
    assert [c["title"] for c in chat.cards()] == ["Quần jean slim fit"]

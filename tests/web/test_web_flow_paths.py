"""The side paths of the offline flow through the web chat API: editing the cart, editing or
cancelling checkout, an expired quote, stock running out meanwhile, returns, English."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import update

from storage.database import Database
from storage.models import Quote
from tests.conftest import Caller
from tests.factories import ledger_mismatches
from tests.web.chat_client import ORDER_NUMBER, WebChat, buy_one_tee, order_count

pytestmark = pytest.mark.usefixtures("catalogue")


async def add(chat: WebChat, search: str, product: str, quantity: str, *choices: str) -> None:
    await chat.say(search)
    await chat.press_card(product, "Xem")
    for choice in choices:
        await chat.press(choice)
    await chat.say(quantity)
    assert "Đã thêm" in chat.text, chat.text


async def fill_details(chat: WebChat) -> None:
    await chat.say("Phạm Minh Khoa")
    await chat.say("0903 123 456")
    await chat.say("12 Trần Phú, Hải Châu, Đà Nẵng")
    assert "Phường/xã: —" in chat.text
    await chat.press("Đúng rồi")


async def test_cart_quantity_change_and_removal(client: httpx.AsyncClient) -> None:
    chat = WebChat(client)
    await add(chat, "ao thun", "Áo thun cotton basic", "1", "Đen", "M")
    await add(chat, "quan jean", "Quần jean slim fit", "2")
    await chat.press("Giỏ hàng (3)")
    assert "1. Áo thun cotton basic (Đen / M) × 1 — 149.000₫" in chat.text
    assert "2. Quần jean slim fit (30) × 2 — 1.198.000₫" in chat.text
    assert "Tạm tính: 1.347.000₫" in chat.text

    await chat.press("Sửa số lượng")
    await chat.press("1. Áo thun cotton basic (Đen / M)")
    await chat.say("4")
    assert "Áo thun cotton basic (Đen / M) × 4" in chat.text
    await chat.press("Sửa số lượng")
    await chat.press("1. Áo thun cotton basic (Đen / M)")
    await chat.say("99")
    assert "Chỉ còn 10" in chat.text
    await chat.say("abc xyz")  # not a number: the customer moved on (search)
    assert "chưa tìm thấy" in chat.text

    await chat.press("Giỏ hàng (4)" if "Giỏ hàng (4)" in chat.titles() else "Giỏ hàng (6)")
    await chat.press("Xoá sản phẩm")
    await chat.press("2. Quần jean slim fit (30)")
    assert "Đã xoá Quần jean slim fit (30)" in chat.text
    assert "1. Áo thun cotton basic" in chat.text
    assert "2. Quần jean" not in chat.text
    await chat.press("Xoá sản phẩm")
    await chat.press("1. Áo thun cotton basic (Đen / M)")
    assert "Giỏ hàng đang trống" in chat.text


async def test_checkout_edit_and_cancel_keep_the_cart(client: httpx.AsyncClient) -> None:
    chat = WebChat(client)
    await add(chat, "quan jean", "Quần jean slim fit", "1")
    await chat.press("Đặt hàng")
    await fill_details(chat)
    await chat.press("Tiền mặt khi nhận (COD)")
    assert "Tổng cộng: 599.000₫" in chat.text  # free shipping from 500.000₫

    await chat.press("Sửa")
    await chat.press("Đổi cách thanh toán")
    await chat.press("Chuyển khoản")
    assert "Thanh toán: Chuyển khoản ngân hàng" in chat.text
    assert "COD" not in chat.text.split("Giao đến")[0]

    await chat.press("Sửa")
    await chat.press("Sửa thông tin nhận")
    assert "Tên: Phạm Minh Khoa" in chat.titles()  # what was typed is offered back
    await chat.press("Tên: Phạm Minh Khoa")
    await chat.press("SĐT: 0903 123 456")
    await chat.say("99 Nguyễn Huệ, Bến Nghé, Quận 1, Hồ Chí Minh")
    await chat.press("Đúng rồi")  # the payment chosen before is kept: straight to the summary
    assert "99 Nguyễn Huệ" in chat.text
    assert "Thanh toán: Chuyển khoản ngân hàng" in chat.text

    await chat.press("Huỷ")
    assert "Giỏ hàng của bạn vẫn được giữ" in chat.text
    await chat.press("Giỏ hàng (1)")
    assert "Quần jean slim fit" in chat.text


async def test_an_expired_quote_is_quoted_again(client: httpx.AsyncClient, db: Database) -> None:
    chat = WebChat(client)
    await add(chat, "quan jean", "Quần jean slim fit", "1")
    await chat.press("Đặt hàng")
    await fill_details(chat)
    await chat.press("Tiền mặt khi nhận (COD)")
    async with db.transaction() as tx:
        await tx.session.execute(update(Quote).values(expires_at=tx.now))
    await chat.press("Xác nhận đặt hàng")
    assert "Báo giá cũ đã hết hạn" in chat.text
    assert "Tổng cộng" in chat.text
    assert await order_count(db) == 0
    await chat.press("Xác nhận đặt hàng")
    assert ORDER_NUMBER.search(chat.text)
    assert await order_count(db) == 1


async def test_stock_taken_meanwhile_adjusts_the_cart(client: httpx.AsyncClient) -> None:
    slow, fast = WebChat(client), WebChat(client)
    await add(slow, "quan jean", "Quần jean slim fit", "3")
    await add(fast, "quan jean", "Quần jean slim fit", "9")
    await fast.press("Đặt hàng")
    await fill_details(fast)
    await fast.press("Tiền mặt khi nhận (COD)")
    await fast.press("Xác nhận đặt hàng")
    assert ORDER_NUMBER.search(fast.text)

    await slow.press("Đặt hàng")
    await fill_details(slow)
    await slow.press("Tiền mặt khi nhận (COD)")
    assert "không đủ hàng" in slow.text
    assert "Quần jean slim fit (30): còn 1" in slow.text
    assert "× 1" in slow.text  # the cart now holds what is left


async def test_return_request_for_a_delivered_order(
    client: httpx.AsyncClient, shop: Caller, db: Database
) -> None:
    chat = WebChat(client)
    number = await buy_one_tee(chat)
    order_id = int(number[2:])
    await chat.press(number)
    assert "Yêu cầu đổi trả" not in chat.titles()  # not delivered yet
    for status in ("confirmed", "packing", "ready_to_ship", "shipping", "delivered"):
        await shop("set_order_status", order_id=order_id, status=status)

    await chat.press("Menu")
    await chat.press("Đơn hàng của tôi")
    assert "Đã giao" in chat.text
    await chat.press(number)
    assert "Huỷ đơn" not in chat.titles()
    await chat.press("Yêu cầu đổi trả")
    assert f"đổi trả đơn {number}" in chat.text
    await chat.press("Không vừa size")
    assert re.search(rf"Đã tạo yêu cầu đổi trả RT\d+ cho đơn {number}", chat.text)
    returns = await shop("list_returns", order_id=order_id)
    assert returns["returns"][0]["reason"] == "Không vừa size"

    await chat.press("Yêu cầu đổi trả")
    await chat.say("Màu khác ảnh")
    assert "đã được yêu cầu đổi trả rồi" in chat.text
    assert await ledger_mismatches(db) == []


async def test_english_purchase(client: httpx.AsyncClient) -> None:
    chat = WebChat(client)
    await chat.send(payload="lang:en")
    await chat.press("Browse categories")
    await chat.press("Quần jean (1)")
    await chat.press_card("Quần jean slim fit", "View")
    assert "How many?" in chat.text
    await chat.press("1")
    await chat.press("Check out")
    assert "recipient's name" in chat.text
    await chat.say("Jane Doe")
    await chat.say("not a phone")
    assert "is not a valid phone number" in chat.text
    await chat.say("+84 903 123 456")
    await chat.say("1 Le Loi, Ben Nghe, District 1, Ho Chi Minh City")
    await chat.press("Yes, correct")
    await chat.press("Cash on delivery (COD)")
    assert "Shipping: free" in chat.text
    assert "Total: 599.000₫" in chat.text
    await chat.press("Place order")
    assert "Order placed!" in chat.text
    assert ORDER_NUMBER.search(chat.text)


async def test_a_refused_return_reason_lets_the_next_text_be_read_afresh(
    client: httpx.AsyncClient, shop: Caller
) -> None:
    chat = WebChat(client)
    number = await buy_one_tee(chat)
    order_id = int(number[2:])
    for status in ("confirmed", "packing", "ready_to_ship", "shipping", "delivered"):
        await shop("set_order_status", order_id=order_id, status=status)
    await chat.send(payload=f"or:{order_id}")
    await chat.press("Không vừa size")
    await chat.send(payload=f"or:{order_id}")
    await chat.say("Màu khác ảnh")
    assert "đã được yêu cầu đổi trả rồi" in chat.text
    # The refused reason does not leave the chat waiting for another one: this is a search.
    await chat.say("quần jean")
    assert [c["title"] for c in chat.cards()] == ["Quần jean slim fit"], chat.text


async def test_details_typed_in_vietnamese_keep_an_english_checkout_english(
    client: httpx.AsyncClient,
) -> None:
    """The language is guessed from what a customer writes, not from a name or an address:
    "Phạm Minh Khoa" or "12 Trần Phú, Hải Châu" says nothing about the language they read."""
    chat = WebChat(client)
    await chat.say("Hello, what do you sell?")
    await chat.press("Browse categories")
    await chat.press("Quần jean (1)")
    await chat.press_card("Quần jean slim fit", "View")
    assert "How many?" in chat.text
    await chat.press("1")
    await chat.press("Check out")
    await chat.say("Phạm Minh Khoa")
    assert "phone" in chat.text, chat.text
    await chat.say("0903 123 456")
    await chat.say("12 Trần Phú, phường Hải Châu, quận Hải Châu, Đà Nẵng")
    assert "Yes, correct" in chat.titles(), chat.text
    await chat.press("Yes, correct")
    assert "Cash on delivery (COD)" in chat.titles(), chat.text


async def test_a_product_switched_off_after_adding_leaves_the_cart_with_a_notice(
    client: httpx.AsyncClient, shop: Caller
) -> None:
    chat = WebChat(client)
    await add(chat, "ao thun", "Áo thun cotton basic", "1", "Đen", "M")
    await add(chat, "quan jean", "Quần jean slim fit", "2")

    # Changing its quantity no longer ends in "not found": the line is dropped, and said so.
    await chat.press("Giỏ hàng (3)")
    await shop("update_product", code="QJ01", active=False)
    await chat.press("Sửa số lượng")
    await chat.press("2. Quần jean slim fit (30)")
    await chat.say("3")
    assert "ngừng bán nên mình đã bỏ khỏi giỏ hàng: Quần jean slim fit (30)." in chat.text
    assert "1. Áo thun cotton basic (Đen / M) × 1" in chat.text
    assert "Quần jean slim fit (30) ×" not in chat.text
    assert "Tạm tính: 149.000₫" in chat.text

    # Checkout carries on with the rest.
    await chat.press("Đặt hàng")
    await fill_details(chat)
    await chat.press("Tiền mặt khi nhận (COD)")
    await chat.press("Xác nhận đặt hàng")
    assert ORDER_NUMBER.search(chat.text), chat.text


async def test_checkout_drops_a_switched_off_variant_and_goes_on(
    client: httpx.AsyncClient, shop: Caller
) -> None:
    chat = WebChat(client)
    await add(chat, "ao thun", "Áo thun cotton basic", "1", "Đen", "M")
    await add(chat, "ao thun", "Áo thun cotton basic", "1", "Trắng")  # only in M
    await shop("update_product", code="AT01", variants=[{"sku": "AT01-DE-M", "active": False}])
    await chat.press("Đặt hàng")
    assert (
        "Sản phẩm đã ngừng bán nên mình đã bỏ khỏi giỏ hàng: Áo thun cotton basic (Đen / M)."
        in chat.text
    )
    await fill_details(chat)
    await chat.press("Tiền mặt khi nhận (COD)")
    assert "• Áo thun cotton basic - Trắng / M: 1 ×" in chat.text
    assert "Đen / M" not in chat.text


async def test_a_line_switched_off_during_checkout_is_dropped_from_the_quote(
    client: httpx.AsyncClient, shop: Caller
) -> None:
    chat = WebChat(client)
    await chat.send(payload="lang:en")
    await chat.say("Do you have jeans please?")
    await chat.press_card("Quần jean slim fit", "View")
    await chat.press("1")
    await chat.say("t-shirt cotton")
    await chat.press_card("Áo thun cotton basic", "View")
    await chat.press("Đen")
    await chat.press("M")
    await chat.press("1")
    await chat.press("Check out")
    await shop("update_product", code="QJ01", active=False)
    await chat.say("Jane Doe")
    await chat.say("+84 903 123 456")
    await chat.say("1 Le Loi, Ben Nghe, District 1, Ho Chi Minh City")
    await chat.press("Yes, correct")
    await chat.press("Cash on delivery (COD)")
    assert "No longer sold, so I removed it from your cart: Quần jean slim fit (30)." in chat.text
    assert "• Áo thun cotton basic - Đen / M: 1 ×" in chat.text
    assert "Quần jean slim fit -" not in chat.text
    assert "Place order" in chat.titles()
    # Everything gone: the cart says so, nothing is quoted.
    await shop("update_product", code="AT01", active=False)
    await chat.say("cart")
    assert "Your cart is empty." in chat.text
    assert "Áo thun cotton basic (Đen / M)" in chat.text


async def test_a_product_switched_off_after_the_summary_is_quoted_again_at_confirm(
    client: httpx.AsyncClient, shop: Caller, db: Database
) -> None:
    """Between the summary and Confirm the shop stops selling one item: Confirm shows a new
    summary without it (naming it) instead of an error, and the next Confirm places it."""
    chat = WebChat(client)
    await add(chat, "quan jean", "Quần jean slim fit", "1")
    await add(chat, "ao thun", "Áo thun cotton basic", "1", "Đen", "M")
    await chat.press("Đặt hàng")
    await fill_details(chat)
    await chat.press("Tiền mặt khi nhận (COD)")
    await shop("update_product", code="QJ01", active=False)
    await chat.press("Xác nhận đặt hàng")
    assert "Quần jean slim fit (30)" in chat.text, chat.text
    assert "Tổng cộng" in chat.text
    assert await order_count(db) == 0
    await chat.press("Xác nhận đặt hàng")
    assert ORDER_NUMBER.search(chat.text)
    assert await order_count(db) == 1

"""The offline sales flow end to end through the web chat API (SQLite, and PostgreSQL when set).

A ``WebChat`` behaves like the page: it keeps a session id, sends typed text, and presses
buttons by their title (sending the payload, with the title as text).
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from agents.conversation import ChatService
from bot.container import Container
from bot.http.app import create_app
from core.roles import Actor
from storage.database import Database
from storage.models import ChatMessage, Order
from tests.conftest import OWNER, Caller
from tests.factories import ledger_mismatches
from tests.web.chat_client import (
    ORDER_NUMBER,
    WebChat,
    buy_one_tee,
    conversation_of,
    order_count,
    outbox_topics,
)
from tests.web.conftest import make_catalogue, offline_settings
from tools.registry import Registry


@pytest.mark.usefixtures("catalogue")
async def test_browse_search_choose_checkout_confirm_then_cancel(
    client: httpx.AsyncClient, db: Database, shop: Caller
) -> None:
    chat = WebChat(client)
    await chat.send(payload="start")
    assert "Shop Test" in chat.text
    assert {"Xem danh mục", "Tìm sản phẩm", "Giỏ hàng", "Đơn hàng của tôi", "Gặp nhân viên"} <= set(
        chat.titles()
    )

    # Browse: categories -> products as cards with price and availability.
    await chat.press("Xem danh mục")
    assert {"Áo thun (2)", "Quần jean (1)"} <= set(chat.titles())
    await chat.press("Áo thun (2)")
    cards = {c["title"]: c for c in chat.cards()}
    assert cards["Áo thun cotton basic"]["price_text"] == "149.000₫"
    assert "Còn hàng" in cards["Áo thun cotton basic"]["subtitle"]
    assert "Hết hàng" in cards["Áo polo cá sấu"]["subtitle"]

    # Search without accents finds the accented name.
    await chat.say("ao thun")
    assert "Áo thun cotton basic" in [c["title"] for c in chat.cards()]

    # Variant step by step: colour, then only the sizes in stock (L is sold out in black).
    await chat.press_card("Áo thun cotton basic", "Xem")
    assert "Màu" in chat.text
    assert {"Đen", "Trắng"} <= set(chat.titles())
    await chat.press("Đen")
    assert "M" in chat.titles()
    assert "L" not in chat.titles()
    assert "Hết hàng: L" in chat.text
    await chat.press("M")
    assert "149.000₫" in chat.text
    assert "còn 10" in chat.text
    await chat.say("50")
    assert "Chỉ còn 10" in chat.text
    await chat.say("2")
    assert "Đã thêm 2 × Áo thun cotton basic (Đen / M)" in chat.text

    # Cart.
    await chat.press("Giỏ hàng (2)")
    assert "298.000₫" in chat.text

    # Checkout: a bad phone is explained and asked again.
    await chat.press("Đặt hàng")
    assert "tên người nhận" in chat.text
    await chat.say("Nguyễn Văn An")
    await chat.say("12345")
    assert "“12345” không phải số điện thoại hợp lệ" in chat.text
    await chat.say("0912 345 678")
    assert "Địa chỉ giao hàng" in chat.text
    await chat.say("25 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh")
    assert "Quận/huyện: Quận 1" in chat.text
    await chat.press("Đúng rồi")
    await chat.press("Tiền mặt khi nhận (COD)")
    summary = chat.text
    assert "• Áo thun cotton basic - Đen / M: 2 × 149.000₫ = 298.000₫" in summary
    assert "Phí giao hàng: 30.000₫" in summary
    assert "Tổng cộng: 328.000₫" in summary
    assert "Thu hộ khi giao (COD): 328.000₫" in summary
    assert "VAT" in summary
    confirm = chat.find("Xác nhận đặt hàng")

    # Confirm: an order number. A double tap returns the same order, not a second one.
    await chat.press("Xác nhận đặt hàng")
    number = ORDER_NUMBER.search(chat.text)
    assert number, chat.text
    await chat.send(text="Xác nhận đặt hàng", payload=confirm["payload"])
    assert number.group(0) in chat.text
    assert await order_count(db) == 1

    # Order status, then cancel.
    await chat.press("Menu")
    await chat.press("Đơn hàng của tôi")
    assert number.group(0) in chat.text
    assert "Chờ xác nhận" in chat.text
    await chat.press(number.group(0))
    assert "Huỷ đơn" in chat.titles()
    await chat.press("Huỷ đơn")
    assert "chắc chắn" in chat.text
    await chat.press("Có, huỷ đơn")
    assert f"Đã huỷ đơn {number.group(0)}" in chat.text
    assert "Trạng thái: Đã huỷ" in chat.text
    assert "Huỷ đơn" not in chat.titles()

    product = await shop("get_product", sku="AT01-DE-M")
    assert next(v for v in product["variants"] if v["sku"] == "AT01-DE-M")["available"] == 10
    assert await ledger_mismatches(db) == []


@pytest.mark.usefixtures("catalogue")
async def test_second_order_offers_the_saved_details(client: httpx.AsyncClient) -> None:
    chat = WebChat(client)
    await buy_one_tee(chat)
    await chat.press("Menu")
    await chat.say("quan jean")
    await chat.press_card("Quần jean slim fit", "Xem")
    await chat.press("1")
    await chat.press("Đặt hàng")
    assert "Trần Thị Bình" in chat.text
    assert "0987 654 321" in chat.text
    await chat.press("Dùng thông tin này")
    await chat.press("Chuyển khoản")
    assert "Phí giao hàng: miễn phí" in chat.text  # 599.000₫ is above the free-shipping line
    assert "COD" not in chat.text.split("Thanh toán:")[0]
    await chat.press("Xác nhận đặt hàng")
    assert "Nội dung chuyển khoản" in chat.text


@pytest.mark.usefixtures("catalogue")
async def test_a_retried_message_is_handled_once_and_gets_the_same_replies(
    client: httpx.AsyncClient, db: Database
) -> None:
    chat = WebChat(client)
    first = await chat.send(text="giỏ hàng", message_id="dup-1")
    assert first
    again = await chat.send(text="giỏ hàng", message_id="dup-1")
    assert again == first
    async with db.transaction(write=False) as tx:
        stored = await tx.session.scalar(
            select(func.count()).select_from(ChatMessage).where(ChatMessage.external_id == "dup-1")
        )
        answers = await tx.session.scalar(
            select(func.count()).select_from(ChatMessage).where(ChatMessage.role == "assistant")
        )
    assert stored == 1
    assert answers == len(first)


@pytest.mark.usefixtures("catalogue")
async def test_handoff_silences_the_bot_until_staff_hand_back(
    client: httpx.AsyncClient, db: Database, chat: ChatService, shop: Caller
) -> None:
    web = WebChat(client)
    await web.send(payload="start")
    await web.press("Gặp nhân viên")
    assert "nhân viên" in web.text.lower()
    assert web.mode == "human"
    assert await web.say("alo, có ai không?") == []
    assert web.mode == "human"
    assert await web.send(payload="cart") == []
    topics = await outbox_topics(db)
    assert topics.count("handoff.requested") == 1
    assert topics.count("chat.message_for_staff") == 2

    conv = await conversation_of(db, web.session_id)
    # A customer cannot hand the chat back to the bot; staff can.
    with pytest.raises(Exception) as err:
        await chat.runner.call(
            "hand_back_conversation",
            {"conversation_id": conv.id},
            Actor.customer(conv.customer_id or 0),
        )
    assert getattr(err.value, "code", "") == "permission_denied"
    await shop("hand_back_conversation", OWNER, conversation_id=conv.id)
    await web.say("giỏ hàng")
    assert web.replies
    assert web.mode == "bot"
    assert "handoff.ended" in await outbox_topics(db)


@pytest.mark.usefixtures("catalogue")
async def test_a_customer_cannot_see_or_cancel_another_sessions_orders(
    client: httpx.AsyncClient, db: Database
) -> None:
    alice = WebChat(client)
    number = await buy_one_tee(alice)
    order_id = int(number[2:])

    bob = WebChat(client)
    await bob.send(payload="orders")
    assert "chưa có đơn hàng" in bob.text
    await bob.say(number)  # not among bob's: asked for the phone it was placed with
    assert "số điện thoại" in bob.text
    assert "149.000" not in bob.text
    await bob.send(payload=f"ocy:{order_id}")
    assert number not in bob.text
    await bob.send(payload=f"o:{order_id}")
    assert "Buyer" not in bob.text
    assert "Trần Thị Bình" not in bob.text
    async with db.transaction(write=False) as tx:
        status = await tx.session.scalar(select(Order.status).where(Order.id == order_id))
    assert status == "new"


@pytest.mark.usefixtures("catalogue")
async def test_language_switch_and_english_detection(client: httpx.AsyncClient) -> None:
    chat = WebChat(client)
    await chat.say("/en")
    assert "English" in chat.text
    assert "Browse categories" in chat.titles()
    await chat.press("Browse categories")
    assert "Here are our categories" in chat.text
    # Chosen explicitly: Vietnamese words no longer switch it back.
    await chat.say("ao thun")
    assert "Results for" in chat.text

    other = WebChat(client)
    await other.say("Hello, do you have black shirts?")
    assert "Results for" in other.text or "couldn't find" in other.text


@pytest.mark.usefixtures("catalogue")
async def test_unknown_text_searches_then_falls_back_to_the_menu(
    client: httpx.AsyncClient,
) -> None:
    chat = WebChat(client)
    await chat.say("xyzzy qwerty")
    assert "chưa tìm thấy" in chat.text
    assert "Xem danh mục" in chat.titles()
    await chat.send(payload="no-such-button:1")
    assert "Xem danh mục" in chat.titles()


async def test_requests_are_validated_and_rate_limited(
    db: Database, db_url: str, registry: Registry
) -> None:
    from fastapi import FastAPI

    from bot.web import chat_router
    from bot.web.ratelimit import RateLimiter

    container = Container.create(offline_settings(db_url), db=db, registry=registry)
    app = FastAPI()
    app.include_router(chat_router(container, responder=None, limiter=RateLimiter(burst=2)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        bad = await c.post("/api/chat/messages", json={"session_id": "short", "text": "hi"})
        assert bad.status_code == 422
        sid = "a" * 20
        empty = await c.post("/api/chat/messages", json={"session_id": sid, "text": "  "})
        assert empty.status_code == 422
        bad_id = await c.post(
            "/api/chat/messages", json={"session_id": sid, "text": "hi", "message_id": "<x>"}
        )
        assert bad_id.status_code == 422
        for _ in range(2):
            ok = await c.post("/api/chat/messages", json={"session_id": sid, "text": "hi"})
            assert ok.status_code == 200
        limited = await c.post("/api/chat/messages", json={"session_id": sid, "text": "hi"})
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) >= 1
        history = await c.get("/api/chat/history", params={"session_id": sid})
        assert history.status_code == 200
        assert [m["role"] for m in history.json()["messages"]] == [
            "customer",
            "assistant",
            "customer",
            "assistant",
        ]
        assert (await c.get("/api/chat/history", params={"session_id": "../x"})).status_code == 422


async def test_the_app_serves_the_page_and_the_chat(
    db: Database, db_url: str, registry: Registry, shop: Caller
) -> None:
    await make_catalogue(shop)
    container = Container.create(
        offline_settings(db_url).model_copy(update={"shop_name": "Tiệm <Áo> Đẹp"}),
        db=db,
        registry=registry,
    )
    app = create_app(container)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        page = await c.get("/")
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        assert "Tiệm &lt;Áo&gt; Đẹp" in page.text
        assert "<Áo>" not in page.text
        assert "/chat/static/chat.js" in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        js = await c.get("/chat/static/chat.js")
        assert js.status_code == 200
        assert "javascript" in js.headers["content-type"]
        assert (await c.get("/chat/static/../router.py")).status_code == 404
        config = (await c.get("/api/chat/config")).json()
        assert config == {"shop_name": "Tiệm <Áo> Đẹp", "default_language": "vi", "sandboxed": True}
        assert (await c.get("/docs")).status_code == 200
        chat = WebChat(c)
        await chat.send(payload="start")
        assert "Tiệm <Áo> Đẹp" in chat.text
        await chat.say("quần jean")
        assert [card["title"] for card in chat.cards()] == ["Quần jean slim fit"]


@pytest.mark.usefixtures("catalogue")
async def test_hand_made_payloads_with_huge_ids_open_the_menu(client: httpx.AsyncClient) -> None:
    chat = WebChat(client)
    for payload in (f"p:{10**25}", f"o:{10**25}", f"ocy:{10**25}", f"q:1{'0' * 30}:QJ01-30"):
        await chat.send(payload=payload)
        assert "trục trặc" not in chat.text, payload  # not the apology for an internal error
        assert "Xem danh mục" in chat.titles(), payload


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("method", ["card", "e_wallet", "marketplace", "cash"])
async def test_an_order_staff_made_shows_its_payment_in_words(
    client: httpx.AsyncClient, db: Database, shop: Caller, method: str
) -> None:
    chat = WebChat(client)
    await chat.send(payload="start")
    customer_id = (await conversation_of(db, chat.session_id)).customer_id
    made = await shop(
        "create_order",
        customer_id=customer_id,
        buyer_name="Lê Văn Cường",
        payment_method=method,
        lines=[{"sku": "QJ01-30", "quantity": 1}],
    )
    await chat.send(payload=f"o:{made['id']}")
    assert made["number"] in chat.text
    assert not chat.text.rstrip().endswith(f"· {method}"), chat.text  # a code, not words


async def test_one_address_cannot_escape_the_limit_with_new_sessions(
    db: Database, db_url: str, registry: Registry
) -> None:
    """A script making a new session id per message (and so a new customer each time) is held
    back by its address; customers at other addresses are not."""
    from fastapi import FastAPI

    from bot.web import chat_router

    settings = offline_settings(db_url).model_copy(update={"web_chat_per_address_per_minute": 3})
    container = Container.create(settings, db=db, registry=registry)
    app = FastAPI()
    app.include_router(chat_router(container, responder=None))

    def client(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://t")

    async with client("203.0.113.7") as script, client("198.51.100.2") as customer:
        codes = [
            (
                await script.post(
                    "/api/chat/messages", json={"session_id": f"{n:020d}", "text": "hi"}
                )
            ).status_code
            for n in range(5)
        ]
        assert codes == [200, 200, 200, 429, 429]
        other = await customer.post(
            "/api/chat/messages", json={"session_id": "b" * 20, "text": "hi"}
        )
        assert other.status_code == 200

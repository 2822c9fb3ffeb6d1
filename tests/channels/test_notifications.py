"""Order notifications: a change staff make reaches the customer on the chat the order came
from, once per change, and nothing is said about a change that was rolled back."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.container import Container
from core.roles import Actor
from storage.database import Database
from storage.models import OutboxEvent
from storage.outbox import Event
from tests.channels.conftest import TG_SECRET, Running, run_channels, telegram_channel
from tests.channels.users import TelegramUser, buy_one_tee
from tests.conftest import Caller
from tests.fakes.telegram_server import FakeTelegram
from tests.tools.test_handoffs import staff
from tools.context import ToolContext
from tools.events import flush_events, order_event
from workers.messages import notification_text
from workers.notifications import OrderNotifier
from workers.staff_replies import StaffReplyForwarder


async def place(telegram: Running, fake: FakeTelegram) -> tuple[TelegramUser, str]:
    u = TelegramUser(fake, telegram.client, telegram.hub, secret=TG_SECRET)
    await u.say("/start")
    return u, await buy_one_tee(u)


async def notify_all(notifier: OrderNotifier, running: Running) -> None:
    """Until the notifier has read every event written so far. On PostgreSQL an event shows
    only once every older transaction of the server has ended (storage/outbox.py), and other
    test sessions share the server: wait for it, with a safety net."""
    async with notifier.db.transaction(write=False) as tx:
        last = int(await tx.session.scalar(select(func.max(OutboxEvent.id))) or 0)
    async with asyncio.timeout(60):
        while (await notifier.reader.position())[1] < last:
            if not await notifier.run_once():
                await asyncio.sleep(0.05)
    await running.hub.drain()


async def test_each_change_is_told_once_on_the_orders_chat(
    telegram: Running, fake_telegram: FakeTelegram, db: Database, shop: Caller
) -> None:
    u, number = await place(telegram, fake_telegram)
    notifier = OrderNotifier(db, telegram.hub)
    await notify_all(notifier, telegram)  # placing it is answered in the chat already
    before = len(fake_telegram.sent[u.chat])
    order = await shop("get_order", number=number)
    if order["status"] == "new":
        await shop("confirm_order", number=number)
    for status in ("packing", "ready_to_ship", "shipping", "delivered"):
        await shop("set_order_status", number=number, status=status)
    await notify_all(notifier, telegram)
    told = fake_telegram.texts(u.chat)[before:]
    expected = [f"Đơn {number} đã được giao cho đơn vị vận chuyển.", f"Đơn {number} đã giao"]
    if order["status"] == "new":
        expected.insert(0, f"Đơn {number} của bạn đã được xác nhận")
    assert [t[: len(e)] for t, e in zip(told, expected, strict=False)] == expected
    assert len(told) == len(expected)
    # read again (at least once delivery): the same events say nothing new
    again = OrderNotifier(db, telegram.hub)
    again.reader.consumer = "customer-notifications-replay"
    await notify_all(again, telegram)
    assert fake_telegram.texts(u.chat)[before:] == told


async def test_a_rolled_back_change_is_not_told(
    telegram: Running, fake_telegram: FakeTelegram, db: Database, container: Container
) -> None:
    u, number = await place(telegram, fake_telegram)
    notifier = OrderNotifier(db, telegram.hub)
    await notify_all(notifier, telegram)
    before = len(fake_telegram.sent[u.chat])
    order_id = int(number[2:])

    async def change_that_fails() -> None:
        async with db.transaction() as tx:
            ctx = ToolContext(tx=tx, actor=Actor.system(), config=container.config)
            await order_event(ctx, order_id, "status", from_status="new", to_status="cancelled")
            await flush_events(ctx)
            raise RuntimeError("the change failed after its event was written")

    with pytest.raises(RuntimeError):
        await change_that_fails()
    await notify_all(notifier, telegram)
    assert len(fake_telegram.sent[u.chat]) == before


async def test_a_cancellation_is_told_in_the_chats_language(
    container: Container, fake_telegram: FakeTelegram, db: Database, shop: Caller, catalogue: None
) -> None:
    async for running in run_channels(container, [telegram_channel(fake_telegram)]):
        u, number = await place(running, fake_telegram)
        await u.say("/en")
        notifier = OrderNotifier(db, running.hub)
        await notify_all(notifier, running)
        before = len(fake_telegram.sent[u.chat])
        await shop("cancel_order", number=number, reason="out of stock")
        await notify_all(notifier, running)
        assert fake_telegram.texts(u.chat)[before:] == [f"Your order {number} was cancelled."]


def test_every_message_has_both_languages() -> None:
    for kind in ("confirmed", "awaiting_stock", "shipping", "delivered", "cancelled", "refunded"):
        vi = notification_text(kind, "vi", "DH000001", {"amount": 50_000})
        en = notification_text(kind, "en", "DH000001", {"amount": 50_000})
        assert "DH000001" in vi
        assert "DH000001" in en
        assert vi != en


async def test_events_customers_do_not_hear_of_are_skipped(telegram: Running, db: Database) -> None:
    notifier = OrderNotifier(db, telegram.hub)
    event = Event(1, 0, "order.status_changed", "order:1", {"order_id": 1, "to": "packing"}, None)  # type: ignore[arg-type]
    assert await notifier.handle(event) == "ignored"


async def test_a_staff_answer_reaches_the_customer_on_telegram_once(
    telegram: Running, fake_telegram: FakeTelegram, db: Database, shop: Caller
) -> None:
    """A customer on Telegram asks for a person; staff take the chat and answer with a text
    and a product card; the answer is sent to the Telegram chat, once however often the
    event is read (workers/staff_replies.py)."""
    u = TelegramUser(fake_telegram, telegram.client, telegram.hub, secret=TG_SECRET)
    await u.say("/start")
    await u.press("Gặp nhân viên")
    lan = await staff(shop, "Lan")
    [handoff] = (await shop("list_handoffs"))["handoffs"]
    await shop("take_handoff", lan, handoff_id=handoff["id"])
    before = len(fake_telegram.texts(u.chat))
    tee = (await shop("search_products", query="ao thun"))["results"][0]["product_id"]
    await shop(
        "reply_to_customer",
        lan,
        handoff_id=handoff["id"],
        text="Chào bạn, shop còn áo này nhé",
        cards=[{"product_id": tee, "title": "Áo thun cotton basic", "price_text": "149.000₫"}],
    )
    forwarder = StaffReplyForwarder(db, telegram.hub)
    for reader in (forwarder, StaffReplyForwarder(db, telegram.hub)):
        for _ in range(100):
            if not await reader.run_once() and len(fake_telegram.texts(u.chat)) > before:
                break
            await telegram.hub.drain()
            await asyncio.sleep(0.02)
        reader.reader.consumer = "customer-staff-replies-replay"  # the second reads it all again
    told = fake_telegram.texts(u.chat)[before:]
    # rendered as any reply is: the text, then the card as Telegram shows cards
    assert told == ["Chào bạn, shop còn áo này nhé", "Áo thun cotton basic\n149.000₫"]

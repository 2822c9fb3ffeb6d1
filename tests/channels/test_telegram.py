"""Telegram end to end: aiogram talking over HTTP to the fake Bot API server, deliveries
posted to the webhook as Telegram posts them."""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

import pytest
from aiogram.methods import Response, SendMessage
from sqlalchemy import select

from agents.conversation import ChatService
from agents.types import Button, Incoming, ProductCard, Reply
from bot.channels.base import Limits
from bot.channels.hub import ChannelHub
from bot.channels.payloads import PayloadCodec
from bot.channels.runtime import ChannelRuntime
from bot.container import Container
from core.vietqr import bank_account, vietqr_payload
from storage.channels import pending_inbound, record_sends
from storage.database import Database
from storage.models import ChannelChat, ChannelInbox, ChannelSend
from tests.channels.conftest import (
    TG_SECRET,
    TG_TOKEN,
    Running,
    inbox_count,
    run_channels,
    telegram_channel,
)
from tests.channels.users import TelegramUser, buy_one_tee
from tests.conftest import Caller
from tests.fakes.telegram_server import FakeTelegram
from tests.web.chat_client import order_count


def user(fake: FakeTelegram, running: Running) -> TelegramUser:
    return TelegramUser(fake, running.client, running.hub, secret=TG_SECRET)


async def test_a_customer_orders_by_buttons(
    telegram: Running, fake_telegram: FakeTelegram, db: Database
) -> None:
    assert fake_telegram.webhook == {
        "url": "https://shop.test/webhooks/telegram/customer",
        "secret_token": TG_SECRET,
    }
    u = user(fake_telegram, telegram)
    await u.say("/start")
    assert u.replies, "the bot answered /start"
    number = await buy_one_tee(u)
    assert number.startswith("DH")
    assert await order_count(db) == 1
    # every button fitted Telegram's 64 bytes (the fake refuses more) and presses were answered
    assert fake_telegram.answered


async def send_states(db: Database) -> list[str]:
    async with db.transaction(write=False) as tx:
        return list(await tx.session.scalars(select(ChannelSend.state).order_by(ChannelSend.id)))


@pytest.mark.parametrize("header", [None, "wrong-secret"])
async def test_a_delivery_without_the_secret_is_refused_and_changes_nothing(
    telegram: Running, fake_telegram: FakeTelegram, db: Database, header: str | None
) -> None:
    u = user(fake_telegram, telegram)
    update, _ = u.text_update("xin chào")
    headers = {"X-Telegram-Bot-Api-Secret-Token": header} if header else {}
    resp = await telegram.client.post("/webhooks/telegram/customer", json=update, headers=headers)
    assert resp.status_code == 401
    await telegram.hub.drain()
    assert await inbox_count(db) == 0
    assert fake_telegram.count() == 0


async def test_a_retried_delivery_is_handled_once(
    telegram: Running, fake_telegram: FakeTelegram, db: Database
) -> None:
    u = user(fake_telegram, telegram)
    update, headers = u.text_update("/start")
    first = await telegram.client.post("/webhooks/telegram/customer", json=update, headers=headers)
    second = await telegram.client.post("/webhooks/telegram/customer", json=update, headers=headers)
    assert first.status_code == second.status_code == 200
    await telegram.hub.drain()
    once = len(fake_telegram.sent[u.chat])
    assert once > 0
    assert await inbox_count(db) == 1
    # a third copy after the first was handled changes nothing either
    await telegram.client.post("/webhooks/telegram/customer", json=update, headers=headers)
    await telegram.hub.drain()
    assert len(fake_telegram.sent[u.chat]) == once


async def test_a_burst_to_one_chat_keeps_to_its_limit(
    container: Container, db: Database, catalogue: None
) -> None:
    fake = FakeTelegram(TG_TOKEN, per_chat_interval=0.2)
    await fake.start()
    try:
        paced = Limits(per_chat_interval=0.25, per_second=30.0, payload_bytes=64)
        async for running in run_channels(container, [telegram_channel(fake, paced)]):
            for i in range(6):
                assert await running.hub.notify("telegram", "555", f"tin {i}", f"k{i}") == "queued"
            await running.hub.drain()
        assert fake.texts("555") == [f"tin {i}" for i in range(6)]
        assert fake.too_many == 0  # never over the chat's limit, so never told to wait
    finally:
        await fake.stop()


async def test_told_to_wait_the_sender_waits_and_sends_each_message_once(
    container: Container, db: Database, catalogue: None
) -> None:
    fake = FakeTelegram(TG_TOKEN, per_chat_interval=0.5)
    await fake.start()
    try:
        async for running in run_channels(container, [telegram_channel(fake)]):
            for i in range(3):
                await running.hub.notify("telegram", "556", f"tin {i}", f"w{i}")
            await running.hub.drain()
        assert fake.too_many > 0  # the unpaced sender was told to wait (429 retry_after)
        assert fake.texts("556") == ["tin 0", "tin 1", "tin 2"]
        assert await send_states(db) == ["sent", "sent", "sent"]
    finally:
        await fake.stop()


async def test_server_errors_are_retried(
    telegram: Running, fake_telegram: FakeTelegram, db: Database
) -> None:
    fake_telegram.failures = [500, 502]
    await telegram.hub.notify("telegram", "557", "xin chào", "retry-1")
    await telegram.hub.drain()
    assert fake_telegram.texts("557") == ["xin chào"]
    assert await send_states(db) == ["sent"]


class Crash(Exception):
    """Stands for the process dying at the worst moment."""


async def test_a_crash_between_send_and_record_does_not_send_twice(
    container: Container, fake_telegram: FakeTelegram, db: Database, catalogue: None
) -> None:
    async for running in run_channels(container, [telegram_channel(fake_telegram)]):
        rt = running.hub.runtimes["telegram"]

        async def crash(_row: Any) -> None:
            raise Crash

        rt.after_deliver = crash
        await running.hub.notify("telegram", "558", "đơn đã xác nhận", "order-event:1")
        await running.hub.drain()
    assert fake_telegram.texts("558") == ["đơn đã xác nhận"]
    assert await send_states(db) == ["sending"]
    # the restart finds it mid-flight: it may have gone out, so it is not sent again
    async for running in run_channels(container, [telegram_channel(fake_telegram)]):
        await running.hub.drain()
        again = await running.hub.notify("telegram", "558", "đơn đã xác nhận", "order-event:1")
        assert again == "uncertain"
        await running.hub.drain()
    assert fake_telegram.texts("558") == ["đơn đã xác nhận"]
    assert await send_states(db) == ["uncertain"]


async def test_a_crash_right_after_a_reply_went_out_neither_resends_nor_answers_again(
    container: Container, fake_telegram: FakeTelegram, db: Database, catalogue: None
) -> None:
    """A turn's first reply is claimed in the transaction that records it (and marks the
    message answered): after a crash between the send and its record it is left uncertain,
    the rest of the answer goes out once, and the message is not answered a second time."""
    async for running in run_channels(container, [telegram_channel(fake_telegram)]):

        async def crash(_row: Any) -> None:
            raise Crash

        running.hub.runtimes["telegram"].after_deliver = crash
        u = user(fake_telegram, running)
        await u.say("ao thun")
    first = fake_telegram.texts(u.chat)
    assert len(first) == 1
    async for running in run_channels(container, [telegram_channel(fake_telegram)]):
        await running.hub.drain()
    texts = fake_telegram.texts(u.chat)
    assert texts[0] == first[0]
    assert len(texts) == len(set(texts))
    states = await send_states(db)
    assert states[0] == "uncertain"
    assert states[1:] == ["sent"] * (len(states) - 1)
    assert len(texts) == len(states)
    assert await pending_inbound(db, "telegram") == []


async def test_a_crash_after_the_answer_was_saved_but_before_it_was_recorded_sends_it_once(
    container: Container, fake_telegram: FakeTelegram, db: Database, catalogue: None
) -> None:
    """The conversation service saved its replies, then the process died before the channel
    recorded them for sending: at the restart the message is handled again, the service
    knows it (its platform id) and gives the replies it saved, and they go out once."""
    async for running in run_channels(container, [telegram_channel(fake_telegram)]):

        async def crash(_bodies: Any) -> None:
            raise Crash

        running.hub.runtimes["telegram"].before_record = crash
        u = user(fake_telegram, running)
        await u.say("ao thun")
    assert fake_telegram.texts(u.chat) == []
    assert await send_states(db) == []
    async for running in run_channels(container, [telegram_channel(fake_telegram)]):
        await running.hub.drain()
    texts = fake_telegram.texts(u.chat)
    assert texts
    assert "ao thun" in texts[0]  # the saved answer to "ao thun": its search results
    assert len(texts) == len(set(texts))
    assert set(await send_states(db)) == {"sent"}
    assert await pending_inbound(db, "telegram") == []


async def test_a_reply_the_platform_fails_is_retried_and_sent_once(
    telegram: Running, fake_telegram: FakeTelegram, db: Database
) -> None:
    fake_telegram.failures = [500, 502]
    u = user(fake_telegram, telegram)
    await u.say("ao thun")
    texts = fake_telegram.texts(u.chat)
    assert texts
    assert len(texts) == len(set(texts))
    assert set(await send_states(db)) == {"sent"}


async def test_a_crash_before_sending_sends_once_on_restart(
    container: Container, fake_telegram: FakeTelegram, db: Database, catalogue: None
) -> None:
    body = {"method": "sendMessage", "params": {"chat_id": 559, "text": "đã ghi, chưa gửi"}}
    await record_sends(db, "telegram", "559", [("in:1:0", body)])  # then the process died
    for _ in range(2):  # two restarts
        async for running in run_channels(container, [telegram_channel(fake_telegram)]):
            await running.hub.drain()
    assert fake_telegram.texts("559") == ["đã ghi, chưa gửi"]
    assert await send_states(db) == ["sent"]


async def test_a_deep_link_opens_the_product(
    telegram: Running, fake_telegram: FakeTelegram
) -> None:
    u = user(fake_telegram, telegram)
    await u.say("/start QJ01")
    assert "Quần jean slim fit" in u.text


async def test_long_replies_are_split_and_long_payloads_kept_server_side(
    telegram: Running, fake_telegram: FakeTelegram, db: Database
) -> None:
    rt = telegram.hub.runtimes["telegram"]
    long_payload = "cat:0:" + "Áo thun " * 24  # 200 characters, far over 64 bytes
    reply = Reply(text="Chữ " * 2500, buttons=[Button(title="Xem", payload=long_payload[:200])])
    bodies = await rt.channel.render("42", [reply], rt.codec)
    texts = [b["params"]["text"] for b in bodies]
    assert len(texts) == 3
    assert all(len(t) <= 4096 for t in texts)
    assert "".join(texts).replace(" ", "") == reply.text.replace(" ", "")
    assert "reply_markup" in bodies[-1]["params"]
    data = bodies[-1]["params"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert len(data.encode()) <= 64
    assert await rt.codec.decode(data) == long_payload[:200]
    fresh = PayloadCodec(db, 64)  # another process reads it from the database
    assert await fresh.decode(data) == long_payload[:200]
    assert await fresh.decode("~notissued") is None


async def test_long_polling_without_a_public_url(
    container: Container, fake_telegram: FakeTelegram, db: Database, catalogue: None
) -> None:
    container.settings.public_url = None
    async for running in run_channels(container, [telegram_channel(fake_telegram)]):
        assert (
            await running.client.post("/webhooks/telegram/customer", json={})
        ).status_code == 404
        u = user(fake_telegram, running)
        update, _ = u.text_update("/start")
        fake_telegram.queue_update(update)
        async with asyncio.timeout(20):  # a safety net, not a speed check
            while not fake_telegram.sent[u.chat]:
                fake_telegram.changed.clear()
                await fake_telegram.changed.wait()
        await running.hub.drain()
    assert fake_telegram.sent[u.chat]


async def test_a_shared_contact_joins_the_customer_with_that_phone(
    telegram: Running, fake_telegram: FakeTelegram, db: Database, shop: Caller
) -> None:
    known = await shop("create_customer", name="Chị Bình", phones=["0987654321"])
    u = user(fake_telegram, telegram)
    update = u.message(
        contact={"phone_number": "+84987654321", "first_name": "Bình", "user_id": u.user_id}
    )
    await u._act(update, u.headers())
    found = await shop("find_customers", channel="telegram", external_id=u.chat)
    assert [c["id"] for c in found["customers"]] == [known["id"]]


async def test_a_friends_contact_card_links_nothing(
    telegram: Running, fake_telegram: FakeTelegram, db: Database, shop: Caller
) -> None:
    known = await shop("create_customer", name="Chị Bình", phones=["0987654321"])
    u = user(fake_telegram, telegram)
    update = u.message(contact={"phone_number": "+84987654321", "first_name": "Bạn", "user_id": 1})
    await u._act(update, u.headers())
    found = await shop("find_customers", channel="telegram", external_id=u.chat)
    assert [c["id"] for c in found["customers"]] != [known["id"]]


async def test_product_photos_and_payment_qr_codes_reach_the_chat(
    telegram: Running, fake_telegram: FakeTelegram, db: Database
) -> None:
    account = bank_account("970436", "0123456789", "CONG TY TNHH AO DEP", "Vietcombank")
    qr = vietqr_payload(account, 179_000, "DH000001")
    card = ProductCard(
        product_id=1,
        title="Áo thun cotton basic",
        price_text="149.000₫",
        image_url="https://shop.example/ao.jpg",
        buttons=[Button(title="Xem", payload="p:1")],
    )
    rt = telegram.hub.runtimes["telegram"]
    bodies = await rt.channel.render("601", [Reply(text="Đây ạ", cards=[card], qr=qr)], rt.codec)
    assert [b["method"] for b in bodies] == ["sendMessage", "sendPhoto", "sendPhoto"]
    for body in bodies:
        await rt.channel.deliver("601", body)
    sent = fake_telegram.sent["601"]
    assert sent[1].body["photo"] == "https://shop.example/ao.jpg"
    assert sent[1].body["reply_markup"]["inline_keyboard"][0][0]["text"] == "Xem"
    assert sent[2].body["photo"] == "<upload>"  # the QR drawn here and uploaded as PNG


async def test_a_worker_process_answers_what_the_server_stored(
    container: Container, fake_telegram: FakeTelegram, db: Database, catalogue: None
) -> None:
    chat = ChatService(container.runner, container.db, shop_name="Shop Test")
    worker = ChannelHub.build(container, chat, channels=[telegram_channel(fake_telegram)])
    await worker.start(receive=False, turns=True)
    try:
        async for server in run_channels(
            container, [telegram_channel(fake_telegram)], workers=False
        ):
            u = user(fake_telegram, server)
            update, headers = u.text_update("/start")
            resp = await server.client.post(
                "/webhooks/telegram/customer", json=update, headers=headers
            )
            assert resp.status_code == 200
            await server.hub.drain()  # the server stored it and answers nothing itself
            async with asyncio.timeout(20):  # a safety net, not a speed check
                while not fake_telegram.sent[u.chat]:
                    fake_telegram.changed.clear()
                    await fake_telegram.changed.wait()
            await worker.drain()
    finally:
        await worker.stop()
    assert fake_telegram.sent[u.chat]
    assert await pending_inbound(db, "telegram") == []


async def test_the_worker_takes_an_event_committed_late_with_a_smaller_id(
    container: Container, fake_telegram: FakeTelegram, db: Database, catalogue: None
) -> None:
    """On PostgreSQL a delivery stored first may commit last: the worker must not pass it by."""
    chat = ChatService(container.runner, container.db, shop_name="Shop Test")
    worker = ChannelHub.build(container, chat, channels=[telegram_channel(fake_telegram)])
    await worker.start(receive=False, turns=True)
    try:
        for inbox_id, chat_id in ((50, "801"), (40, "802")):  # 40 shows up after 50 was taken
            incoming = Incoming(
                channel="telegram", chat_id=chat_id, text="/start", message_id=f"late{inbox_id}"
            )
            async with db.transaction() as tx:
                tx.session.add(
                    ChannelInbox(
                        id=inbox_id,
                        channel="telegram",
                        message_id=f"late{inbox_id}",
                        chat_id=chat_id,
                        body={"incoming": incoming.model_dump(mode="json"), "extra": {}},
                        done=False,
                        created_at=tx.now,
                    )
                )
                # as store_inbound does: the chat's row (its window, and its worker's lease)
                tx.session.add(
                    ChannelChat(channel="telegram", chat_id=chat_id, last_inbound_at=tx.now)
                )
            async with asyncio.timeout(20):  # a safety net, not a speed check
                while not fake_telegram.sent[chat_id]:
                    fake_telegram.changed.clear()
                    await fake_telegram.changed.wait()
        await worker.drain()
    finally:
        await worker.stop()
    assert await pending_inbound(db, "telegram") == []


async def test_the_answer_types_aiogram_parses_with_outlive_garbage_collections(
    fake_telegram: FakeTelegram,
) -> None:
    """Built per call (~10 ms of CPU) if a garbage collection drops them: the channel holds
    them."""
    channel = telegram_channel(fake_telegram)
    answer: Any = Response
    held = weakref.ref(answer[SendMessage.__returning__])
    gc.collect()
    assert held() is not None
    assert answer[SendMessage.__returning__] is held()
    await channel.close()


async def test_an_answer_waits_for_a_typing_indicator_still_on_its_way(
    db: Database, fake_telegram: FakeTelegram
) -> None:
    # The Bot API is slow to take the "typing" action and the answer is ready before it has:
    # sent at once, the answer would land first and the "typing" after it, under the answer.
    fake_telegram.action_seconds = 0.5

    async def answer(incoming: Incoming) -> list[Reply]:
        await asyncio.sleep(0.05)  # the model, quicker than the Bot API today
        return [Reply(text="Dạ, shop còn hàng ạ.")]

    rt = ChannelRuntime(telegram_channel(fake_telegram), db, answer)
    await rt.start(turns=True)
    try:
        update = {
            "update_id": fake_telegram.next_update_id(),
            "message": {
                "message_id": 7,
                "date": 1_700_000_000,
                "chat": {"id": 4242, "type": "private"},
                "from": {"id": 4242, "is_bot": False, "first_name": "Lan"},
                "text": "còn áo thun không?",
            },
        }
        assert await rt.accept(update) == 1
        await rt.drain()
    finally:
        await rt.stop()
    assert fake_telegram.actions == [("4242", "typing")]
    (typed_at,) = fake_telegram.actions_done_at
    (reply,) = fake_telegram.sent["4242"]
    assert reply.at >= typed_at

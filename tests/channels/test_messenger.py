"""Messenger end to end: signed deliveries to the webhook, replies through the fake Send API."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from agents.types import Button, Incoming, ProductCard, Reply
from bot.channels.base import Window
from bot.channels.messenger import messenger_signature
from bot.channels.runtime import ChannelRuntime
from core.vietqr import bank_account, vietqr_payload
from storage.database import Database
from storage.models import ChannelChat
from tests.channels.conftest import (
    FB_APP_SECRET,
    FB_PAGE_TOKEN,
    FB_VERIFY,
    Running,
    inbox_count,
    messenger_channel,
)
from tests.channels.users import MessengerUser, buy_one_tee
from tests.fakes.graph_server import FakeGraph
from tests.web.chat_client import order_count


def user(fake: FakeGraph, running: Running) -> MessengerUser:
    return MessengerUser(fake, running.client, running.hub, app_secret=FB_APP_SECRET)


def test_the_signing_vector_of_the_reference() -> None:
    body = (
        b'{"object":"page","entry":[{"id":"PAGE_ID","time":1458692752478,"messaging":[{"sender"'
        b':{"id":"PSID"},"recipient":{"id":"PAGE_ID"},"timestamp":1458692752478,"message":{"mid"'
        b':"mid.1","text":"hello"}}]}]}'
    )
    assert messenger_signature("my_app_secret", body) == (
        "sha256=b73f8fa508b903b241ca3d2fcc3cdac430790a17b2115f2554e6e69ce31e1576"
    )


async def test_the_webhook_answers_metas_verification(messenger: Running) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": FB_VERIFY, "hub.challenge": "1158201444"}
    ok = await messenger.client.get("/webhooks/messenger", params=query)
    assert ok.status_code == 200
    assert ok.text == "1158201444"
    bad = await messenger.client.get(
        "/webhooks/messenger", params={**query, "hub.verify_token": "guess"}
    )
    assert bad.status_code == 403


async def test_a_customer_orders_by_buttons(
    messenger: Running, fake_graph: FakeGraph, db: Database
) -> None:
    u = user(fake_graph, messenger)
    await u.say("Bắt đầu")
    number = await buy_one_tee(u)
    assert number.startswith("DH")
    assert await order_count(db) == 1


async def test_a_badly_signed_delivery_is_refused_and_changes_nothing(
    messenger: Running, fake_graph: FakeGraph, db: Database
) -> None:
    u = user(fake_graph, messenger)
    update, _ = u.text_update("xin chào")
    raw = u.raw(update)
    for headers in (
        {},
        {"X-Hub-Signature-256": messenger_signature("another secret", raw)},
        {"X-Hub-Signature-256": messenger_signature(FB_APP_SECRET, raw + b" ")},
    ):
        resp = await messenger.client.post("/webhooks/messenger", content=raw, headers=headers)
        assert resp.status_code == 401
    await messenger.hub.drain()
    assert await inbox_count(db) == 0
    assert fake_graph.count() == 0


async def test_a_retried_delivery_is_handled_once(
    messenger: Running, fake_graph: FakeGraph, db: Database
) -> None:
    u = user(fake_graph, messenger)
    update, headers = u.text_update("Xin chào shop")
    await u.deliver(update, headers)
    await u.deliver(update, headers)
    await messenger.hub.drain()
    once = fake_graph.count()
    assert once > 0
    assert await inbox_count(db) == 1


@pytest.mark.parametrize(
    ("hours_ago", "expected"), [(1, "UPDATE"), (30, "MESSAGE_TAG"), (None, None)]
)
async def test_order_updates_keep_to_the_24_hour_window(
    fake_graph: FakeGraph, hours_ago: int | None, expected: str | None
) -> None:

    channel = messenger_channel(fake_graph)
    last = None if hours_ago is None else datetime.now(UTC) - timedelta(hours=hours_ago)
    body = await channel.notification("1", "Đơn DH000001 đã giao", Window(last, 0, None))
    if expected is None:
        assert body is None
    else:
        assert body is not None
        assert body["messaging_type"] == expected
        assert expected != "MESSAGE_TAG" or body["tag"] == "POST_PURCHASE_UPDATE"
    await channel.close()


@pytest.mark.parametrize(("hours_ago", "allowed"), [(1, True), (30, False), (None, False)])
async def test_a_whole_reply_goes_only_within_the_24_hour_window(
    fake_graph: FakeGraph, hours_ago: int | None, allowed: bool
) -> None:
    """A staff answer with product cards is a template: standard messaging, allowed within 24
    hours of the customer's last message; after that only a tagged text update goes
    (ChannelRuntime.tell falls back to the notification path)."""

    channel = messenger_channel(fake_graph)
    last = None if hours_ago is None else datetime.now(UTC) - timedelta(hours=hours_ago)
    assert channel.replies_allowed(Window(last, 0, None)) is allowed
    await channel.close()


async def test_a_staff_answer_is_a_template_in_the_window_and_a_tagged_text_after(
    messenger: Running, fake_graph: FakeGraph, db: Database
) -> None:
    """Within 24 hours a staff answer goes as any reply renders (its card a generic template
    with its button); after that the platform allows only a tagged text, so the answer's text
    with a line per card goes that way (the fake refuses anything else outside the window)."""
    u = user(fake_graph, messenger)
    await u.say("Bắt đầu")
    card = ProductCard(
        product_id=1,
        title="Áo thun cotton basic",
        price_text="149.000₫",
        buttons=[Button(title="Xem", payload="p:1")],
    )
    answer = Reply(text="Shop còn áo này nhé", cards=[card])
    plain = "Shop còn áo này nhé\n• Áo thun cotton basic — 149.000₫"
    before = len(fake_graph.sent[u.chat])
    assert await messenger.hub.tell("messenger", u.chat, answer, "staff-reply:1", plain=plain) == (
        "queued"
    )
    await messenger.hub.drain()
    within = [s.body for s in fake_graph.sent[u.chat][before:]]
    assert [b["messaging_type"] for b in within] == ["RESPONSE", "RESPONSE"]
    template = within[1]["message"]["attachment"]["payload"]
    assert template["template_type"] == "generic"
    assert template["elements"][0]["title"] == "Áo thun cotton basic"

    day_and_more = datetime.now(UTC) - timedelta(hours=30)
    fake_graph.user_wrote(u.chat, day_and_more.timestamp())
    async with db.transaction() as tx:
        await tx.session.execute(
            update(ChannelChat)
            .where(ChannelChat.chat_id == u.chat)
            .values(last_inbound_at=day_and_more)
        )
    before = len(fake_graph.sent[u.chat])
    assert await messenger.hub.tell("messenger", u.chat, answer, "staff-reply:2", plain=plain) == (
        "queued"
    )
    await messenger.hub.drain()
    [after] = [s.body for s in fake_graph.sent[u.chat][before:]]
    assert after["messaging_type"] == "MESSAGE_TAG"
    assert after["message"] == {"text": plain}


async def test_typing_shows_while_an_answer_is_worked_on_and_not_before_one_ready_at_once(
    db: Database, fake_graph: FakeGraph
) -> None:
    """ "typing" is for a customer left waiting (the model, a slow tool); an answer ready
    without waiting goes at once, without a "typing" request before it."""

    async def answer(incoming: Incoming) -> list[Reply]:
        if incoming.text == "slow":
            await asyncio.sleep(0.05)  # the model thinking
        return [Reply(text=f"re: {incoming.text}")]

    rt = ChannelRuntime(messenger_channel(fake_graph), db, answer)
    await rt.start(turns=True)
    psid = "9100001"
    try:
        for n, text in enumerate(("quick", "slow")):
            event = {
                "sender": {"id": psid},
                "recipient": {"id": "PAGE_ID"},
                "timestamp": 1_700_000_000_000 + n,
                "message": {"mid": f"mid.{n}", "text": text},
            }
            update = {"object": "page", "entry": [{"id": "PAGE_ID", "messaging": [event]}]}
            fake_graph.user_wrote(psid)  # as Meta knows it
            assert await rt.accept(update) == 1
            await rt.drain()
    finally:
        await rt.stop()
    assert fake_graph.actions == [(psid, "typing_on")]  # for the slow answer only
    assert fake_graph.texts(psid) == ["re: quick", "re: slow"]


async def test_a_payment_qr_is_uploaded_as_a_png_with_its_message(
    messenger: Running, fake_graph: FakeGraph
) -> None:
    """No public URL is needed: the QR is drawn here and sent as the Send API's ``filedata``
    (the fake refuses an image with no source, or a file of another type)."""
    account = bank_account("970436", "0123456789", "CONG TY TNHH AO DEP", "Vietcombank")
    qr = vietqr_payload(account, 179_000, "DH000001")
    rt = messenger.hub.runtimes["messenger"]
    fake_graph.user_wrote("9200001")
    bodies = await rt.channel.render("9200001", [Reply(text="Quét mã để trả", qr=qr)], rt.codec)
    for body in bodies:
        await rt.channel.deliver("9200001", body)
    text, image = fake_graph.sent["9200001"]
    assert text.body["message"]["text"] == "Quét mã để trả"
    assert image.body["message"]["attachment"]["type"] == "image"
    assert image.body["recipient"] == {"id": "9200001"}
    upload = image.body["filedata"]
    assert (upload["png"], upload["content_type"]) == (True, "image/png")
    assert upload["size"] > 500

    # what Meta refuses, the fake refuses: an image that says where it comes from twice, or
    # an upload of another type
    url = f"{fake_graph.api_base}/me/messages?access_token={FB_PAGE_TOKEN}"
    message = {"attachment": {"type": "image", "payload": {"url": "https://x.test/a.png"}}}
    async with httpx.AsyncClient() as http:
        both = await http.post(
            url,
            data={
                "recipient": '{"id": "9200001"}',
                "messaging_type": "RESPONSE",
                "message": json.dumps(message),
            },
            files={"filedata": ("a.png", b"\x89PNG", "image/png")},
        )
        wrong = await http.post(
            url,
            data={
                "recipient": '{"id": "9200001"}',
                "messaging_type": "RESPONSE",
                "message": json.dumps({"attachment": {"type": "image", "payload": {}}}),
            },
            files={"filedata": ("a.txt", b"hello", "text/plain")},
        )
    assert (both.status_code, wrong.status_code) == (400, 400)
    assert len(fake_graph.sent["9200001"]) == 2

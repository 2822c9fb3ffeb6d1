"""The Telegram staff bot running for real: the app's webhook, the staff notifications worker
and the fake Bot API server. Strangers are refused; a web-chat order becomes one card per
staff chat, walked from new to completed by its buttons and edited in place; a change over
the HTTP API edits the card; a handoff is announced, taken (by one of two racing staff) and
answered, and the customer reads the answer in the web chat."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.channels.app import staff_notifier
from bot.channels.hub import ChannelHub
from bot.channels.telegram import SECRET_HEADER as SECRET_HEADER_NAME
from bot.container import Container
from bot.http.app import create_app
from bot.staff.telegram import NOT_STAFF
from core.roles import Actor
from storage.database import Database
from storage.models import OutboxEvent
from tests.channels.conftest import settings_for
from tests.conftest import SYSTEM, Caller
from tests.fakes.telegram_server import FakeTelegram
from tests.web.chat_client import WebChat, buy_one_tee
from tools.registry import Registry
from workers.staff_notifications import StaffNotifier

STAFF_TOKEN = "654321:STAFF-token"
STAFF_SECRET = "staff-Secret_2"
LAN, MINH, KHO, CHU, STRANGER = 1001, 1002, 1003, 1004, 6666
_ids = itertools.count(1)
# The forward path of an order, as the button payload that takes it one step on.
FORWARD = {
    "new": "oc:{id}",
    "confirmed": "os:{id}:packing",
    "packing": "os:{id}:ready_to_ship",
    "ready_to_ship": "os:{id}:shipping",
    "shipping": "os:{id}:delivered",
    "delivered": "os:{id}:completed",
}


class Desk:
    """The app (web chat, HTTP API, staff webhook) with the staff bot started, and the staff
    notifications worker driven by the test."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        hub: ChannelHub,
        notifier: StaffNotifier,
        fake: FakeTelegram,
        container: Container,
    ) -> None:
        self.client = client
        self.hub = hub
        self.notifier = notifier
        self.fake = fake
        self.container = container

    async def deliver(self, update: dict[str, Any]) -> None:
        resp = await self.client.post(
            "/webhooks/telegram/staff", json=update, headers={SECRET_HEADER_NAME: STAFF_SECRET}
        )
        assert resp.status_code == 200, resp.text

    async def settle(self) -> None:
        """Until the worker has read every event written so far (on PostgreSQL an event
        shows once every older transaction has ended: wait, with a safety net), then until
        every queued Bot API call is made."""
        await self.hub.drain()
        async with self.notifier.db.transaction(write=False) as tx:
            last = int(await tx.session.scalar(select(func.max(OutboxEvent.id))) or 0)
        async with asyncio.timeout(60):
            while (await self.notifier.reader.position())[1] < last:
                if not await self.notifier.run_once():
                    await asyncio.sleep(0.05)
        await self.hub.drain()

    def messages(self, user: int, containing: str = "") -> list[tuple[int, dict[str, Any]]]:
        return sorted(
            (mid, m)
            for (chat, mid), m in self.fake.messages.items()
            if chat == str(user) and containing in str(m.get("text") or "")
        )


def text_update(fake: FakeTelegram, user_id: int, text: str) -> dict[str, Any]:
    """What Telegram sends when ``user_id`` writes ``text`` in their private chat."""
    return {
        "update_id": fake.next_update_id(),
        "message": {
            "message_id": next(_ids),
            "date": 0,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": f"u{user_id}"},
            "text": text,
        },
    }


class Staff:
    """A staff member (or a stranger) in their private chat with the staff bot."""

    def __init__(self, desk: Desk, user_id: int) -> None:
        self.desk = desk
        self.user_id = user_id

    def _from(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": f"u{self.user_id}"}

    def _chat(self) -> dict[str, Any]:
        return {"id": self.user_id, "type": "private"}

    def text_update(self, text: str) -> dict[str, Any]:
        return text_update(self.desk.fake, self.user_id, text)

    def press_update(self, message_id: int, data: str) -> tuple[str, dict[str, Any]]:
        query = f"cq{next(_ids)}"
        return query, {
            "update_id": self.desk.fake.next_update_id(),
            "callback_query": {
                "id": query,
                "from": self._from(),
                "chat_instance": "ci",
                "data": data,
                "message": {"message_id": message_id, "date": 0, "chat": self._chat()},
            },
        }

    async def say(self, text: str) -> list[str]:
        before = len(self.desk.fake.sent[str(self.user_id)])
        await self.desk.deliver(self.text_update(text))
        await self.desk.settle()
        return self.desk.fake.texts(str(self.user_id))[before:]

    async def press(self, message_id: int, data: str) -> dict[str, Any]:
        """Presses a button; Telegram's answer to the press (text, show_alert)."""
        query, update = self.press_update(message_id, data)
        await self.desk.deliver(update)
        await self.desk.settle()
        return self.desk.fake.answers[query]


def payloads(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


@pytest.fixture
async def fake_staff_telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(STAFF_TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def desk(
    db: Database,
    db_url: str,
    registry: Registry,
    fake_staff_telegram: FakeTelegram,
    catalogue: None,
) -> AsyncIterator[Desk]:
    settings = settings_for(
        db_url,
        public_url="https://shop.test",
        telegram_staff_token=STAFF_TOKEN,
        telegram_staff_webhook_secret=STAFF_SECRET,
        telegram_api_base=fake_staff_telegram.url,
    )
    container = Container.create(settings, db=db, registry=registry)
    app = create_app(container)
    hub: ChannelHub = app.state.channels
    notifier = staff_notifier(container, hub)
    assert notifier is not None
    # The lifespan would also run the worker on its own; the test drives it instead.
    await hub.start()
    assert fake_staff_telegram.webhook == {
        "url": "https://shop.test/webhooks/telegram/staff",
        "secret_token": STAFF_SECRET,
    }
    await notifier.run_once()  # the worker's cursor starts here
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
            yield Desk(client, hub, notifier, fake_staff_telegram, container)
    finally:
        await hub.stop()


async def link(shop: Caller, name: str, role: str, user_id: int) -> None:
    await shop("add_staff", SYSTEM, name=name, role=role, telegram_user_id=user_id)


async def test_a_stranger_is_refused_and_nothing_else(desk: Desk, shop: Caller) -> None:
    await link(shop, "Lan", "sales", LAN)
    stranger = Staff(desk, STRANGER)
    assert await stranger.say("/orders") == [NOT_STAFF]
    assert await stranger.say("/start not-an-invite") == [NOT_STAFF]
    answer = await stranger.press(1, "oc:1")
    assert answer["text"] == NOT_STAFF
    # A retried delivery of the same update is handled once.
    update = stranger.text_update("/help")
    await desk.deliver(update)
    await desk.deliver(update)
    await desk.settle()
    assert desk.fake.texts(str(STRANGER)) == [NOT_STAFF] * 3


async def test_an_invite_links_a_telegram_account(desk: Desk, shop: Caller) -> None:
    await shop("add_staff", SYSTEM, name="Lan", role="sales")
    invite = await shop("create_staff_link", SYSTEM, staff_name="Lan", purpose="telegram_invite")
    lan = Staff(desk, LAN)
    [hello] = await lan.say(f"/start {invite['link_secret']}")
    assert hello.startswith("Xin chào Lan")
    assert "/orders" in (await lan.say("/help"))[0]


async def test_a_web_order_is_one_card_walked_to_completed_in_place(
    desk: Desk, shop: Caller
) -> None:
    await link(shop, "Lan", "owner", LAN)
    lan = Staff(desk, LAN)
    number = await buy_one_tee(WebChat(desk.client))
    await desk.settle()
    [(card_id, _)] = desk.messages(LAN, number)
    order = await shop("get_order", number=number)
    for _ in range(len(FORWARD)):
        status = order["status"]
        if status == "completed":
            break
        step = FORWARD[status].format(id=order["id"])
        assert step in payloads(desk.fake.messages[(str(LAN), card_id)]), status
        answer = await lan.press(card_id, step)
        assert not answer.get("show_alert"), answer
        order = await shop("get_order", number=number)
    assert order["status"] == "completed"
    # One message, edited in place: no pile of cards.
    assert [mid for mid, _ in desk.messages(LAN, number)] == [card_id]
    assert desk.fake.edits.count((str(LAN), card_id)) >= 5
    assert "oc:" not in str(payloads(desk.fake.messages[(str(LAN), card_id)]))


async def test_a_deleted_card_is_shown_anew_on_the_next_change(desk: Desk, shop: Caller) -> None:
    await link(shop, "Lan", "owner", LAN)
    number = await buy_one_tee(WebChat(desk.client))
    await desk.settle()
    [(card_id, _)] = desk.messages(LAN, number)
    del desk.fake.messages[(str(LAN), card_id)]  # the staff member deleted it
    await shop("cancel_order", number=number, reason="test")
    await desk.settle()
    [(new_id, card)] = desk.messages(LAN, number)
    assert new_id != card_id
    assert "oc:" not in str(payloads(card))


async def test_reading_the_events_again_posts_nothing_new(desk: Desk, shop: Caller) -> None:
    """At least once: a second reader of the same events (a crash before the cursor moved)
    finds every notice recorded under its key and sends nothing."""
    await link(shop, "Lan", "sales", LAN)
    number = await buy_one_tee(WebChat(desk.client))
    await handoff_from_web(desk)
    await desk.settle()
    assert len(desk.messages(LAN, "🙋")) == 1
    seen = (len(desk.fake.sent[str(LAN)]), len(desk.fake.edits))
    again = StaffNotifier(desk.notifier.db, desk.notifier.desk, desk.notifier.poster)
    again.reader.consumer = "staff-telegram-replay"
    desk.notifier = again
    await desk.settle()
    assert (len(desk.fake.sent[str(LAN)]), len(desk.fake.edits)) == seen
    assert len(desk.messages(LAN, number)) == 1
    assert len(desk.messages(LAN, "🙋")) == 1


async def test_an_order_confirmed_over_the_api_edits_its_card(desk: Desk, shop: Caller) -> None:
    await link(shop, "Lan", "sales", LAN)
    await link(shop, "Kho", "warehouse", KHO)
    await link(shop, "Chu", "owner", CHU)
    number = await buy_one_tee(WebChat(desk.client))
    await desk.settle()
    [(card_id, card)] = desk.messages(LAN, number)
    before = dict(card)
    order = await shop("get_order", number=number)
    # Confirmed over the HTTP API (or, where the shop confirms web orders itself, moved on).
    tool, args = (
        ("confirm_order", {"order_id": order["id"]})
        if order["status"] == "new"
        else ("set_order_status", {"order_id": order["id"], "status": "packing"})
    )
    system = Actor.system()
    await desk.container.runner.call("add_staff", {"name": "Api", "role": "owner"}, system)
    made = await desk.container.runner.call("create_api_key", {"staff_name": "Api"}, system)
    resp = await desk.client.post(
        f"/api/tools/{tool}",
        json=args,
        headers={"Authorization": f"Bearer {made.api_key}"},
    )
    assert resp.status_code == 200, resp.text
    await desk.settle()
    [(same_id, edited)] = desk.messages(LAN, number)
    assert same_id == card_id
    assert edited["text"] != before["text"]
    assert (str(LAN), card_id) in desk.fake.edits
    # The warehouse clerk's card has no invoice or refund button, and a forced one is refused.
    [(kho_card, kho)] = desk.messages(KHO, number)
    assert not [p for p in payloads(kho) if p.startswith(("iv:", "rf:"))]
    [(_, owners)] = desk.messages(CHU, number)
    assert f"iv:{order['id']}" in payloads(owners)  # the owner's card of the same order has it
    for forced in (f"iv:{order['id']}", f"rf:{order['id']}"):
        answer = await Staff(desk, KHO).press(kho_card, forced)
        assert answer["show_alert"] is True
        assert answer["text"].startswith("The warehouse role may not use"), answer


async def handoff_from_web(desk: Desk) -> WebChat:
    web = WebChat(desk.client)
    await web.send(payload="start")
    await web.press("Gặp nhân viên")
    assert web.mode == "human"
    await web.say("alo, áo này còn size L không?")
    await desk.settle()
    return web


async def test_a_handoff_is_taken_and_answered_from_telegram(desk: Desk, shop: Caller) -> None:
    await link(shop, "Lan", "sales", LAN)
    web = await handoff_from_web(desk)
    [(ann_id, announcement)] = desk.messages(LAN, "🙋")
    [take] = payloads(announcement)
    assert take.startswith("ht:")
    handoff_id = int(take.split(":")[1])
    lan = Staff(desk, LAN)
    answer = await lan.press(ann_id, take)
    assert not answer.get("show_alert"), answer
    assert take not in payloads(desk.fake.messages[(str(LAN), ann_id)])  # no second Take
    assert await lan.say(f"/reply {handoff_id} Dạ còn size L ạ") == ["Xong."]
    seen = await desk.client.get("/api/chat/history", params={"session_id": web.session_id})
    last = seen.json()["messages"][-1]
    assert (last["role"], last["text"]) == ("staff", "Dạ còn size L ạ")
    # A product card from Telegram too, as on the page.
    assert await lan.say(f"/reply {handoff_id} sp:AT01 Mẫu này nhé") == ["Xong."]
    seen = await desk.client.get("/api/chat/history", params={"session_id": web.session_id})
    last = seen.json()["messages"][-1]
    assert (last["text"], [c["title"] for c in last["cards"]]) == (
        "Mẫu này nhé",
        ["Áo thun cotton basic"],
    )


async def test_two_staff_racing_to_take_one_handoff_one_wins(desk: Desk, shop: Caller) -> None:
    await link(shop, "Lan", "sales", LAN)
    await link(shop, "Minh", "sales", MINH)
    await handoff_from_web(desk)
    staff = [Staff(desk, LAN), Staff(desk, MINH)]
    presses = []
    for s in staff:
        [(ann_id, announcement)] = desk.messages(s.user_id, "🙋")
        [take] = payloads(announcement)
        presses.append(s.press_update(ann_id, take))
    await asyncio.gather(*(desk.deliver(update) for _, update in presses))
    await desk.settle()
    answers = [desk.fake.answers[query] for query, _ in presses]
    assert sorted(bool(a.get("show_alert")) for a in answers) == [False, True]
    [handoff] = (await shop("list_handoffs"))["handoffs"]
    assert handoff["taken_by_name"] in {"Lan", "Minh"}


async def test_a_webhook_delivery_without_the_staff_secret_is_refused(
    desk: Desk, shop: Caller
) -> None:
    await link(shop, "Lan", "sales", LAN)
    update = Staff(desk, LAN).text_update("/help")
    for headers in ({}, {SECRET_HEADER_NAME: "wrong"}):
        resp = await desk.client.post("/webhooks/telegram/staff", json=update, headers=headers)
        assert resp.status_code == 401
    await desk.settle()
    assert desk.fake.texts(str(LAN)) == []


async def test_without_a_public_url_the_staff_bot_long_polls(
    db: Database,
    db_url: str,
    registry: Registry,
    fake_staff_telegram: FakeTelegram,
    shop: Caller,
) -> None:
    settings = settings_for(
        db_url, telegram_staff_token=STAFF_TOKEN, telegram_api_base=fake_staff_telegram.url
    )
    container = Container.create(settings, db=db, registry=registry)
    app = create_app(container)
    hub: ChannelHub = app.state.channels
    await link(shop, "Lan", "sales", LAN)
    fake_staff_telegram.webhook = {"url": "https://old.example/hook", "secret_token": None}
    await hub.start()
    try:
        fake_staff_telegram.queue_update(text_update(fake_staff_telegram, LAN, "/help"))
        async with asyncio.timeout(30):  # a safety net, not a speed check
            while not fake_staff_telegram.sent[str(LAN)]:
                fake_staff_telegram.changed.clear()
                await fake_staff_telegram.changed.wait()
        assert "/orders" in fake_staff_telegram.texts(str(LAN))[0]
        assert fake_staff_telegram.webhook == {}  # polling dropped the one left behind
    finally:
        await hub.stop()

"""The Telegram staff bot's logic: strangers refused, invites link accounts once, commands and
card buttons answered with Bot API calls, a pressed button editing its own message."""

from __future__ import annotations

from typing import Any

import pytest

from agents.staff.desk import StaffDesk
from bot.staff.telegram import NOT_STAFF, StaffTelegram
from storage.database import Database
from tests.conftest import SYSTEM, Caller
from tests.factories import make_order, make_product, make_warehouses
from tools.runner import ToolRunner

LAN, STRANGER, CHAT = 1001, 6666, -100200


@pytest.fixture
def bot(runner: ToolRunner, db: Database) -> StaffTelegram:
    return StaffTelegram(StaffDesk(runner, language="en", surface="telegram_staff"), db)


def message(user: int, text: str, update_id: int = 1) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {"message_id": 10, "chat": {"id": CHAT}, "from": {"id": user}, "text": text},
    }


def press(user: int, data: str) -> dict[str, Any]:
    return {
        "update_id": 2,
        "callback_query": {
            "id": "cb1",
            "from": {"id": user},
            "data": data,
            "message": {"message_id": 77, "chat": {"id": CHAT}},
        },
    }


async def test_a_stranger_gets_a_polite_refusal_and_nothing_else(
    bot: StaffTelegram, shop: Caller
) -> None:
    await make_warehouses(shop)
    await make_product(shop)
    order = await make_order(shop, {"AT01-DEN-M": 1})
    for update in (message(STRANGER, "/orders"), message(STRANGER, "/start bogus-secret")):
        calls = await bot.handle(update)
        assert [(c.method, c.params["text"]) for c in calls] == [("sendMessage", NOT_STAFF)]
    [call] = await bot.handle(press(STRANGER, f"oc:{order['id']}"))
    assert (call.method, call.params["text"]) == ("answerCallbackQuery", NOT_STAFF)
    assert (await shop("get_order", order_id=order["id"]))["status"] == "new"


async def test_an_invite_links_the_account_once(bot: StaffTelegram, shop: Caller) -> None:
    await shop("add_staff", SYSTEM, name="Lan", role="sales")
    invite = await shop("create_staff_link", SYSTEM, staff_name="Lan", purpose="telegram_invite")
    [hello] = await bot.handle(message(LAN, f"/start {invite['link_secret']}"))
    assert hello.params["text"].startswith("Xin chào Lan")
    [again] = await bot.handle(message(STRANGER, f"/start {invite['link_secret']}"))
    assert again.params["text"] == NOT_STAFF
    [helped] = await bot.handle(message(LAN, "/help"))
    assert "/orders" in helped.params["text"]


async def test_an_order_card_and_its_button_edit_the_message_in_place(
    bot: StaffTelegram, shop: Caller
) -> None:
    await make_warehouses(shop)
    await make_product(shop)
    order = await make_order(shop, {"AT01-DEN-M": 1})
    await shop("add_staff", SYSTEM, name="Lan", role="sales", telegram_user_id=LAN)
    [card] = await bot.handle(message(LAN, f"/order {order['number']}"))
    assert card.method == "sendMessage"
    assert order["number"] in card.params["text"]
    rows = card.params["reply_markup"]["inline_keyboard"]
    data = [b["callback_data"] for row in rows for b in row]
    assert f"oc:{order['id']}" in data
    answer, edit = await bot.handle(press(LAN, f"oc:{order['id']}"))
    assert answer.method == "answerCallbackQuery"
    assert (edit.method, edit.params["message_id"]) == ("editMessageText", 77)
    assert "Confirmed" in edit.params["text"]
    [usage] = await bot.handle(message(LAN, "/order"))
    assert usage.params["text"] == "Usage: /order NUMBER"


async def test_only_the_staff_group_is_served_besides_private_chats(
    runner: ToolRunner, db: Database, shop: Caller
) -> None:
    await shop("add_staff", SYSTEM, name="Lan", role="sales", telegram_user_id=LAN)
    group = StaffTelegram(
        StaffDesk(runner, language="en", surface="telegram_staff"), db, group_chat_id=CHAT
    )
    other = {
        "update_id": 5,
        "message": {
            "message_id": 1,
            "chat": {"id": -100999, "type": "group"},
            "from": {"id": LAN},
            "text": "/help",
        },
    }
    [refused] = await group.handle(other)
    assert refused.params["text"] == NOT_STAFF
    chatter = {**other, "message": {**other["message"], "text": "hello all"}}
    assert await group.handle(chatter) == []  # the bot does not answer talk in other groups
    ours = {**other, "message": {**other["message"], "chat": {"id": CHAT, "type": "group"}}}
    [helped] = await group.handle(ours)
    assert "/orders" in helped.params["text"]

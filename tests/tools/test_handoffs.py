"""The handoff inbox: listed, taken by exactly one person, answered on the customer's channel,
handed back; a customer left waiting is reminded once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from agents.conversation import ChatService
from agents.types import Incoming
from core.errors import Conflict, PermissionDenied
from core.roles import Actor, Role
from storage.database import Database
from storage.models import Handoff, OutboxEvent
from tests.conftest import SYSTEM, Caller
from tools.runner import ToolRunner

REMIND = {"after_minutes": 10, "message_vi": "Chưa quên bạn", "message_en": "Not forgotten"}


async def staff(shop: Caller, name: str, role: str = "sales") -> Actor:
    out = await shop("add_staff", SYSTEM, name=name, role=role)
    return Actor(role=Role(role), staff_id=out["id"], name=name)


async def ask_for_staff(chat: ChatService, channel: str, chat_id: str) -> None:
    await chat.handle(
        Incoming.model_validate({"channel": channel, "chat_id": chat_id, "text": "xin chào"})
    )
    await chat.handle(
        Incoming.model_validate({"channel": channel, "chat_id": chat_id, "payload": "staff"})
    )


@pytest.fixture
def chat(runner: ToolRunner, db: Database) -> ChatService:
    return ChatService(runner, db, shop_name="Shop")


async def events(db: Database, topic: str) -> list[dict[str, Any]]:
    async with db.transaction(write=False) as tx:
        rows = (
            await tx.session.execute(select(OutboxEvent.payload).where(OutboxEvent.topic == topic))
        ).scalars()
        return list(rows)


async def test_a_handoff_is_taken_answered_seen_and_handed_back(
    shop: Caller, chat: ChatService, db: Database
) -> None:
    lan = await staff(shop, "Lan")
    await ask_for_staff(chat, "web", "session-aaaaaaaaaaaa")
    inbox = (await shop("list_handoffs", lan))["handoffs"]
    assert len(inbox) == 1
    item = inbox[0]
    assert (item["channel"], item["taken_by"]) == ("web", None)
    assert [m["role"] for m in item["last_messages"]][:1] == ["customer"]

    with pytest.raises(Conflict) as err:
        await shop("reply_to_customer", lan, handoff_id=item["id"], text="Chào bạn")
    assert err.value.code == "take_first"
    taken = await shop("take_handoff", lan, handoff_id=item["id"])
    assert taken["taken_by_name"] == "Lan"
    sent = await shop("reply_to_customer", lan, handoff_id=item["id"], text="Chào bạn, mình là Lan")
    assert sent["delivered_by"] == "history"

    seen = await chat.transcript("web", "session-aaaaaaaaaaaa")
    assert (seen.mode, seen.messages[-1].role, seen.messages[-1].text) == (
        "human",
        "staff",
        "Chào bạn, mình là Lan",
    )
    await shop("hand_back_conversation", lan, conversation_id=item["conversation_id"])
    assert (await shop("list_handoffs", lan))["handoffs"] == []
    assert (await chat.transcript("web", "session-aaaaaaaaaaaa")).mode == "bot"


async def test_a_reply_on_another_channel_goes_through_the_outbox(
    shop: Caller, chat: ChatService, db: Database
) -> None:
    lan = await staff(shop, "Lan")
    await ask_for_staff(chat, "telegram", "777")
    [item] = (await shop("list_handoffs", lan))["handoffs"]
    await shop("take_handoff", lan, handoff_id=item["id"])
    sent = await shop("reply_to_customer", lan, handoff_id=item["id"], text="Mình đây")
    assert sent["delivered_by"] == "outbox"
    [event] = await events(db, "chat.staff_reply")
    assert (event["channel"], event["chat_id"], event["text"], event["kind"]) == (
        "telegram",
        "777",
        "Mình đây",
        "staff_reply",
    )


async def test_only_the_one_who_took_it_answers(shop: Caller, chat: ChatService) -> None:
    lan, minh = await staff(shop, "Lan"), await staff(shop, "Minh")
    await ask_for_staff(chat, "web", "session-bbbbbbbbbbbb")
    [item] = (await shop("list_handoffs", lan))["handoffs"]
    await shop("take_handoff", lan, handoff_id=item["id"])
    with pytest.raises(Conflict) as err:
        await shop("reply_to_customer", minh, handoff_id=item["id"], text="Mình nữa")
    assert err.value.code == "handoff_taken"
    assert "Lan" in err.value.message


async def test_two_staff_racing_to_take_one_handoff_one_wins(
    shop: Caller, chat: ChatService
) -> None:
    people = [await staff(shop, f"Staff {i}") for i in range(6)]
    await ask_for_staff(chat, "web", "session-cccccccccccc")
    [item] = (await shop("list_handoffs", people[0]))["handoffs"]
    results = await asyncio.gather(
        *(shop("take_handoff", p, handoff_id=item["id"]) for p in people), return_exceptions=True
    )
    won = [r for r in results if isinstance(r, dict)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1, results
    assert all(isinstance(e, Conflict) and e.code == "handoff_taken" for e in lost), lost
    [after] = (await shop("list_handoffs", people[0]))["handoffs"]
    assert after["taken_by"] == won[0]["taken_by"]


async def test_warehouse_staff_have_no_inbox(shop: Caller) -> None:
    bao = await staff(shop, "Bảo", "warehouse")
    with pytest.raises(PermissionDenied):
        await shop("list_handoffs", bao)


async def test_a_waiting_customer_is_reminded_once(
    shop: Caller, chat: ChatService, db: Database
) -> None:
    await ask_for_staff(chat, "telegram", "888")
    assert (await shop("remind_waiting_customers", SYSTEM, **REMIND))["reminded_handoff_ids"] == []
    async with db.transaction() as tx:
        await tx.session.execute(
            update(Handoff).values(requested_at=tx.now - timedelta(minutes=11))
        )
    first = await shop("remind_waiting_customers", SYSTEM, **REMIND)
    again = await shop("remind_waiting_customers", SYSTEM, **REMIND)
    assert len(first["reminded_handoff_ids"]) == 1
    assert again["reminded_handoff_ids"] == []
    [event] = await events(db, "chat.staff_reply")
    assert (event["kind"], event["text"]) == ("reminder", "Chưa quên bạn")


async def test_an_answered_customer_is_not_reminded(
    shop: Caller, chat: ChatService, db: Database
) -> None:
    lan = await staff(shop, "Lan")
    await ask_for_staff(chat, "web", "session-dddddddddddd")
    [item] = (await shop("list_handoffs", lan))["handoffs"]
    await shop("take_handoff", lan, handoff_id=item["id"])
    await shop("reply_to_customer", lan, handoff_id=item["id"], text="Mình đây")
    async with db.transaction() as tx:
        await tx.session.execute(
            update(Handoff).values(requested_at=tx.now - timedelta(minutes=30))
        )
    assert (await shop("remind_waiting_customers", SYSTEM, **REMIND))["reminded_handoff_ids"] == []

"""storage.handoffs: taking is won once, reminding happens once, the inbox entry is typed."""

from __future__ import annotations

from agents.conversation import ChatService
from agents.types import Incoming
from storage import handoffs
from storage.database import Database
from tests.conftest import SYSTEM, Caller
from tools.runner import ToolRunner


async def test_take_is_won_once_and_remind_marks_once(
    shop: Caller, runner: ToolRunner, db: Database
) -> None:
    lan = await shop("add_staff", SYSTEM, name="Lan", role="sales")
    minh = await shop("add_staff", SYSTEM, name="Minh", role="sales")
    chat = ChatService(runner, db, shop_name="Shop")
    for message in ({"text": "xin chào"}, {"payload": "staff"}):
        await chat.handle(Incoming.model_validate({"channel": "web", "chat_id": "s-1", **message}))
    async with db.transaction() as tx:
        [h] = await handoffs.open_handoffs(tx, include_taken=True, limit=10)
        assert await handoffs.take(tx, h, lan["id"]) is True
        assert await handoffs.take(tx, h, minh["id"]) is False
        assert h.taken_by == lan["id"]  # re-read: the caller sees who holds it
        assert await handoffs.open_handoffs(tx, include_taken=False, limit=10) == []
        entry = await handoffs.inbox_entry(tx, h, 5)
        assert entry.taker_name == "Lan"
        assert entry.last_messages[0].role == "customer"
        assert entry.last_messages[0].created_at.tzinfo is not None
        assert await handoffs.waiting_unanswered(tx, tx.now, 10) == [h.id]
        conv = await handoffs.mark_reminded(tx, h.id)
        assert conv is not None
        assert conv.id == h.conversation_id
        assert await handoffs.mark_reminded(tx, h.id) is None
        assert await handoffs.waiting_unanswered(tx, tx.now, 10) == []

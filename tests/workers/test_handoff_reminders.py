"""The reminder job: a customer left waiting is told once, in their chat, that they are not
forgotten; a customer already answered, or not waiting long, is left alone."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update

from agents.conversation import ChatService
from storage.database import Database
from storage.models import Handoff
from tests.tools.test_handoffs import ask_for_staff
from tools.runner import ToolRunner
from workers.handoff_reminders import MESSAGES, remind_once, run_forever


async def waited(db: Database, minutes: int) -> None:
    async with db.transaction() as tx:
        await tx.session.execute(
            update(Handoff).values(requested_at=tx.now - timedelta(minutes=minutes))
        )


async def test_a_waiting_web_customer_sees_the_reminder_once(
    runner: ToolRunner, db: Database
) -> None:
    chat = ChatService(runner, db, shop_name="Shop")
    await ask_for_staff(chat, "web", "session-remind-0001")
    assert await remind_once(runner, after_minutes=10) == []
    await waited(db, 12)
    assert len(await remind_once(runner, after_minutes=10)) == 1
    assert await remind_once(runner, after_minutes=10) == []
    texts = [m.text for m in (await chat.transcript("web", "session-remind-0001")).messages]
    assert texts.count(MESSAGES["vi"]) == 1


async def test_the_loop_makes_a_pass_before_it_stops(runner: ToolRunner, db: Database) -> None:
    chat = ChatService(runner, db, shop_name="Shop")
    await ask_for_staff(chat, "web", "session-remind-0002")
    await waited(db, 60)
    stop = asyncio.Event()
    stop.set()  # one pass, then stop
    await run_forever(runner, after_minutes=10, every_seconds=3600, stop=stop)
    texts = [m.text for m in (await chat.transcript("web", "session-remind-0002")).messages]
    assert texts.count(MESSAGES["vi"]) == 1

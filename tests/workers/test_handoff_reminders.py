"""The reminder job: a customer left waiting is told once, in their chat, that they are not
forgotten; a customer already answered, or not waiting long, is left alone."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

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


async def test_the_served_app_reminds_waiting_customers_by_itself(
    db: Database, db_url: str, registry: Any
) -> None:
    """`shopbot serve` (make run) runs the reminders in-process: no separate job to start."""
    from bot.container import Container
    from bot.http.app import create_app
    from tests.web.conftest import offline_settings

    settings = offline_settings(db_url).model_copy(update={"handoff_reminder_minutes": 10})
    container = Container.create(settings, db=db, registry=registry)
    chat = ChatService(container.runner, db, shop_name="Shop")
    await ask_for_staff(chat, "web", "session-remind-0003")
    await waited(db, 30)
    app = create_app(container)
    async with app.router.lifespan_context(app):
        for _ in range(100):  # the first pass runs at start
            texts = [m.text for m in (await chat.transcript("web", "session-remind-0003")).messages]
            if MESSAGES["vi"] in texts:
                break
            await asyncio.sleep(0.05)
    assert texts.count(MESSAGES["vi"]) == 1

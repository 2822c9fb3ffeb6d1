"""Customers who asked for a person and have waited longer than a setting, with no staff answer
yet, are told once that they are not forgotten (the tool ``remind_waiting_customers`` picks
them and marks each handoff reminded by a conditional UPDATE, so running this job twice, or in
two processes, reminds each customer once). The message goes into the chat: the web chat shows
it from its history, other channels get it from the ``chat.staff_reply`` outbox event.

Run: ``shopbot staff remind`` (once) or ``shopbot staff remind --loop`` (every minute).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from core.roles import Actor
from tools.handoffs import RemindOut
from tools.runner import ToolRunner

log = logging.getLogger("shopbot.workers.handoff_reminders")

MESSAGES = {
    "vi": "Shop chưa quên bạn đâu ạ! Nhân viên sẽ trả lời bạn ngay tại đây trong ít phút nữa.",
    "en": "We have not forgotten you! Someone from the shop will answer you right here shortly.",
}
EVERY_SECONDS = 60.0


async def remind_once(runner: ToolRunner, *, after_minutes: int) -> list[int]:
    """One pass; returns the handoffs whose customers were reminded now."""
    out = await runner.call(
        "remind_waiting_customers",
        {
            "after_minutes": after_minutes,
            "message_vi": MESSAGES["vi"],
            "message_en": MESSAGES["en"],
        },
        Actor.system(),
        surface="worker",
    )
    assert isinstance(out, RemindOut)
    if out.reminded_handoff_ids:
        log.info("reminded %d waiting customers", len(out.reminded_handoff_ids))
    return out.reminded_handoff_ids


async def run_forever(
    runner: ToolRunner,
    *,
    after_minutes: int,
    every_seconds: float = EVERY_SECONDS,
    stop: asyncio.Event | None = None,
) -> None:
    """A pass now and then every ``every_seconds`` until ``stop`` is set (a pass that fails
    is logged, not fatal)."""
    stop = stop or asyncio.Event()
    while True:
        try:
            await remind_once(runner, after_minutes=after_minutes)
        except Exception:
            log.exception("handoff reminders: the pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_seconds)
        if stop.is_set():
            return

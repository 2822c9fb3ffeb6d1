"""The handoff reminders (workers/handoff_reminders.py) with the app's life.

A customer waiting for a person longer than ``SHOPBOT_HANDOFF_REMINDER_MINUTES`` is told once
that they are not forgotten. ``shopbot serve`` runs the pass every minute in-process (with
``SHOPBOT_RUN_WORKERS``, the default); ``shopbot staff remind --loop`` runs it alone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import APIRouter, FastAPI

from bot.container import Container
from workers.handoff_reminders import run_forever


def install_reminders(app: FastAPI, container: Container) -> None:
    minutes = container.settings.handoff_reminder_minutes
    if not container.settings.run_workers or minutes <= 0:
        return

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(run_forever(container.runner, after_minutes=minutes, stop=stop))
        try:
            yield
        finally:
            stop.set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.include_router(APIRouter(lifespan=lifespan))

"""Puts the chat platforms and the order notifications into the HTTP app (``shopbot serve``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from fastapi import APIRouter, FastAPI

from bot.channels.hub import ChannelHub
from bot.channels.routes import channel_router
from bot.container import Container
from bot.heap import freeze_setup
from bot.settings import Settings
from bot.staff.telegram_bot import StaffBotRuntime
from workers.notifications import OrderNotifier
from workers.staff_notifications import StaffNotifier
from workers.staff_replies import StaffReplyForwarder

log = logging.getLogger("shopbot.channels")


def default_hub(container: Container) -> ChannelHub:
    """The platforms the settings turn on, answering with their own conversation service (for
    ``shopbot worker``; the app shares the web chat's, see bot.http.app)."""
    from bot.web.router import default_chat

    return ChannelHub.build(container, default_chat(container))


def staff_notifier(container: Container, hub: ChannelHub) -> StaffNotifier | None:
    """The staff bot's outbox consumer, when the hub runs the staff bot."""
    rt = hub.runtime("telegram_staff")
    if not isinstance(rt, StaffBotRuntime):
        return None
    return StaffNotifier(
        container.db,
        rt.bot.desk,
        rt,
        group_chat_id=container.settings.telegram_staff_chat_id,
    )


def install_channels(
    app: FastAPI, container: Container, *, hub: ChannelHub | None = None, workers: bool = True
) -> ChannelHub:
    """The webhooks, and with the app's life: the platforms' clients, polling, the send
    queues and (``workers``) the order notifications."""
    channels = hub or default_hub(container)
    workers = workers and container.settings.run_workers
    app.state.channels = channels

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if not channels.runtimes:
            yield
            return
        # Without in-process workers the webhooks only store; `shopbot worker` answers.
        await channels.start(turns=workers)
        tasks = []
        if workers:
            tasks.append(asyncio.create_task(OrderNotifier(container.db, channels).run()))
            tasks.append(asyncio.create_task(StaffReplyForwarder(container.db, channels).run()))
            staff = staff_notifier(container, channels)
            if staff is not None:
                tasks.append(asyncio.create_task(staff.run()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await channels.stop()

    router = APIRouter(lifespan=lifespan)
    router.include_router(channel_router(channels))
    app.include_router(router)
    return channels


async def run_workers(settings: Settings) -> None:
    """``shopbot worker``: the conversation turns of what the server stored, the platforms'
    send queues and the order notifications; the server process (``serve --no-workers``)
    takes the deliveries."""
    # SIGTERM (a service manager stopping it) ends it as Ctrl-C does: the hub stops its sends
    # in an orderly way instead of leaving them to be found ``uncertain`` at the next start.
    current = asyncio.current_task()
    if current is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, current.cancel)
    container = Container.create(settings)
    hub = default_hub(container)
    await hub.start(receive=False, turns=True)
    staff = staff_notifier(container, hub)
    freeze_setup()
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(OrderNotifier(container.db, hub).run())
            group.create_task(StaffReplyForwarder(container.db, hub).run())
            if staff is not None:
                group.create_task(staff.run())
    finally:
        await hub.stop()
        await container.aclose()

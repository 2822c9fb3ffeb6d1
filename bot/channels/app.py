"""Puts the chat platforms and the order notifications into the HTTP app (``shopbot serve``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, FastAPI

from agents.conversation import ChatService
from bot.channels.hub import ChannelHub
from bot.channels.routes import channel_router
from bot.container import Container
from bot.settings import Settings
from workers.notifications import OrderNotifier

log = logging.getLogger("shopbot.channels")


def default_hub(container: Container) -> ChannelHub:
    """The platforms the settings turn on, answering with the conversation service (and the
    LLM agent when one is configured)."""
    from bot.web.router import default_responder

    settings = container.settings
    chat = ChatService(
        container.runner,
        container.db,
        responder=default_responder(container) if settings.channels_on() else None,
        shop_name=settings.shop_name,
        default_language=settings.default_language,
    )
    return ChannelHub.build(container, chat)


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
        notifier = OrderNotifier(container.db, channels) if workers else None
        task = asyncio.create_task(notifier.run()) if notifier else None
        try:
            yield
        finally:
            if task is not None:
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
    container = Container.create(settings)
    hub = default_hub(container)
    await hub.start(receive=False, turns=True)
    try:
        await OrderNotifier(container.db, hub).run()
    finally:
        await hub.stop()
        await container.aclose()

"""``shopbot serve`` moves what its set-up made out of the garbage collector's reach once the
app has started (bot.heap), so a full collection no longer walks the ~400,000 objects of the
libraries (about 0.35 s with the loop answering nothing), and keeps collecting what comes
after."""

from __future__ import annotations

import asyncio
import gc
import socket
from collections.abc import Iterator

import pytest
import uvicorn

from bot.heap import FrozenSetupServer

started: list[int] = []


async def _app(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
    if scope["type"] == "lifespan":
        message = await receive()  # type: ignore[operator]
        assert message["type"] == "lifespan.startup"
        started.append(gc.get_freeze_count())  # what the set-up sees: not frozen yet
        await send({"type": "lifespan.startup.complete"})  # type: ignore[operator]
        await receive()  # type: ignore[operator]
        await send({"type": "lifespan.shutdown.complete"})  # type: ignore[operator]


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process collects as before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_server_freezes_its_setup_after_the_app_started(unfrozen: None) -> None:
    config = uvicorn.Config(_app, host="127.0.0.1", port=_free_port(), log_level="warning")
    server = FrozenSetupServer(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:  # noqa: ASYNC110 (uvicorn has no event for it)
                await asyncio.sleep(0.01)
        assert started == [0]
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the test process's own modules and objects
        garbage: list[object] = []
        garbage.append(garbage)  # a cycle made after the freeze...
        del garbage
        assert gc.collect() >= 1  # ...is still collected
        assert gc.get_freeze_count() == frozen
    finally:
        server.should_exit = True
        await task

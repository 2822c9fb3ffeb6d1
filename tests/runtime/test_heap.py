"""``shopbot serve`` moves what its set-up made out of the garbage collector's reach once the
app has started (bot.heap), so a full collection no longer walks the ~400,000 objects of the
libraries (about 0.35 s with the loop answering nothing), and keeps collecting what comes
after."""

from __future__ import annotations

import asyncio
import gc
import socket
import weakref
from collections.abc import Iterator

import pytest
import uvicorn

from bot.heap import FrozenSetupServer

started: list[int] = []


class _Node:
    self: _Node | None = None


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
        assert gc.get_freeze_count() > 10_000  # the test process's modules and objects
        later = _Node()
        later.self = later  # a cycle made after the freeze...
        gone = weakref.ref(later)
        del later
        gc.collect()
        assert gone() is None  # ...is still collected
    finally:
        server.should_exit = True
        await task

"""Keeps the garbage collector's full passes short in the long-running processes.

The server and the workers import aiogram, LangChain, SQLAlchemy and pydantic: some 400,000
objects that live as long as the process. A full collection walks all of them (about 0.35 s
on a 2-core machine) and the event loop answers nothing meanwhile; under load those pauses
were the slowest chat replies and webhook acknowledgements. Once a process is set up, what it
made is moved out of the collector's reach (``gc.freeze``), so a full pass only walks what
came after. Garbage is collected first, so none of it is kept for good.

Only the commands that own a process call this (``shopbot serve``, ``shopbot worker``); an app
built inside another program (the tests) leaves that program's collector alone.
"""

from __future__ import annotations

import gc
import socket

import uvicorn


def freeze_setup() -> None:
    """Collect, then exempt everything alive now from later collections."""
    gc.collect()
    gc.freeze()


class FrozenSetupServer(uvicorn.Server):
    """uvicorn's server, freezing the heap once the app has started: every lifespan entered
    (the platforms' clients, the agent, the workers) and the socket bound."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        freeze_setup()

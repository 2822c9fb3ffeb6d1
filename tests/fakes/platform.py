"""What the fake platform servers share: an aiohttp app on a free loopback port, in the
test's own event loop, with a record of what was sent to each chat."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import defaultdict
from typing import Any

from aiohttp import web


@dataclasses.dataclass
class Sent:
    chat_id: str
    method: str
    body: dict[str, Any]
    at: float


class FakePlatform:
    """Base of the fakes: ``await fake.start()`` serves on 127.0.0.1 (random port);
    ``fake.url`` is its base URL; ``fake.sent[chat]`` lists what reached each chat."""

    def __init__(self, *, per_chat_interval: float = 0.0) -> None:
        self.per_chat_interval = per_chat_interval
        self.sent: dict[str, list[Sent]] = defaultdict(list)
        self.too_many = 0  # requests refused with 429
        self.failures: list[int] = []  # statuses to answer the next sends with
        self._last: dict[str, float] = {}
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.changed = asyncio.Event()

    def app(self) -> web.Application:
        raise NotImplementedError

    async def start(self) -> FakePlatform:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def too_fast(self, chat_id: str) -> float:
        """Seconds the chat must still wait (0: this message may go), and the send is
        counted against the chat when it may."""
        now = time.monotonic()
        last = self._last.get(chat_id)
        if last is not None and now - last < self.per_chat_interval:
            self.too_many += 1
            return self.per_chat_interval - (now - last)
        self._last[chat_id] = now
        return 0.0

    def record(self, chat_id: str, method: str, body: dict[str, Any]) -> int:
        self.sent[chat_id].append(Sent(chat_id, method, body, time.monotonic()))
        self.changed.set()
        return sum(len(v) for v in self.sent.values())

    def texts(self, chat_id: str) -> list[str]:
        return [self.text_of(s.body) for s in self.sent[chat_id]]

    def text_of(self, body: dict[str, Any]) -> str:
        return str(body.get("text") or body.get("caption") or "")

    def count(self) -> int:
        return sum(len(v) for v in self.sent.values())

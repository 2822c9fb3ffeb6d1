"""What the fake platform servers share: an aiohttp app on a free loopback port, in the
test's own event loop, with a record of what was sent to each chat.

``serve_main`` runs a fake as a process of its own (each fake module's ``__main__``), for
benchmarks that must not share an interpreter with what they measure: it prints
``READY <url> <api base>`` once connections are accepted, and adds control routes under
``/_fake/`` (what was sent since a position, users who wrote) in place of the Python API."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import signal
import time
from collections import defaultdict
from collections.abc import Callable
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
        self.journal: list[Sent] = []  # everything sent, in order (for /_fake/sent)
        self.too_many = 0  # requests refused with 429
        self.failures: list[int] = []  # statuses to answer the next sends with
        self._last: dict[str, float] = {}
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.changed = asyncio.Event()
        self._journal_waiters: set[asyncio.Future[None]] = set()  # long polls of /_fake/sent

    def app(self) -> web.Application:
        raise NotImplementedError

    async def start(self, *, port: int = 0, control: bool = False) -> FakePlatform:
        app = self.app()
        if control:
            app.router.add_get("/_fake/sent", self._journal_since)
            app.router.add_post("/_fake/wrote", self._users_wrote)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, backlog=4096)
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
        sent = Sent(chat_id, method, body, time.monotonic())
        self.sent[chat_id].append(sent)
        self.journal.append(sent)
        self.changed.set()
        for waiter in self._journal_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._journal_waiters.clear()
        return sum(len(v) for v in self.sent.values())

    def texts(self, chat_id: str) -> list[str]:
        return [self.text_of(s.body) for s in self.sent[chat_id]]

    def text_of(self, body: dict[str, Any]) -> str:
        return str(body.get("text") or body.get("caption") or "")

    def count(self) -> int:
        return sum(len(v) for v in self.sent.values())

    # --- a process of its own ------------------------------------------------------------

    @property
    def api_base(self) -> str:
        return self.url

    async def _journal_since(self, request: web.Request) -> web.Response:
        """``[chat, monotonic time, text]`` of each message from position ``since`` on.
        CLOCK_MONOTONIC is the machine's, so another process can compare the times. With
        ``wait`` (seconds), an empty answer waits that long for a message first (a long poll:
        a bench follows the journal without asking many times a second)."""
        since = int(request.query.get("since") or 0)
        wait = float(request.query.get("wait") or 0)
        if wait > 0 and since >= len(self.journal):
            waiter = asyncio.get_running_loop().create_future()
            self._journal_waiters.add(waiter)
            try:
                await asyncio.wait_for(waiter, wait)
            except TimeoutError:
                pass
            finally:
                self._journal_waiters.discard(waiter)
        rows = [[s.chat_id, s.at, self.text_of(s.body)] for s in self.journal[since:]]
        return web.json_response({"next": since + len(rows), "sent": rows, "429": self.too_many})

    async def _users_wrote(self, request: web.Request) -> web.Response:
        wrote = getattr(self, "user_wrote", None)  # platforms with a messaging window
        if wrote is not None:
            for user in (await request.json()).get("users", []):
                wrote(str(user))
        return web.json_response({"ok": True})


def serve_main(
    make: Callable[[argparse.Namespace], FakePlatform], parser: argparse.ArgumentParser
) -> None:
    """Runs the fake ``make`` builds from the parsed arguments until SIGTERM or SIGINT."""
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    args = parser.parse_args()

    async def serve() -> None:
        fake = make(args)
        await fake.start(port=args.port, control=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        print(f"READY {fake.url} {fake.api_base}", flush=True)
        await stop.wait()
        await fake.stop()

    asyncio.run(serve())

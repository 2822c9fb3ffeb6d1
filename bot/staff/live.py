"""Live updates for open staff pages: one outbox consumer per process fans events out.

The consumer (``staff-page``) follows the outbox like any other (storage/outbox.py); each
event about an order or a conversation becomes a small notice (``order`` with its id, or
``inbox``) pushed to every open page, which then fetches the card it concerns for its own
viewer's role. A page is told what changed, never given another role's card.

It starts with the app (and, where no lifespan runs, with the first page), so its cursor keeps
up and ``shopbot outbox prune`` is never held back by it. At start it fast-forwards silently
past what happened before, so a restart does not replay old news; then each page gets
``hello`` and re-reads its lists, so nothing between its first load and the feed being live
is lost. Events are at-least-once; a notice only makes a page re-fetch, so a repeat is
harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from storage.database import Database
from storage.outbox import Event, OutboxReader

log = logging.getLogger("shopbot.staff.live")

CONSUMER = "staff-page"
POLL_SECONDS = 0.3
IDLE_SECONDS = 2.0  # no page open: keep the cursor moving, slowly
QUEUE_SIZE = 100
HELLO: dict[str, Any] = {"type": "hello"}


class StreamClosed(Exception):
    """The server is stopping: end the page's stream (the browser reconnects later)."""


def close_streams_on_stop(feed: LiveFeed) -> Callable[[], None]:
    """Chains a handler before the server's own SIGINT/SIGTERM handlers that ends open streams
    first: otherwise a server stopping waits for every open page to go away. Returns what
    puts the previous handlers back. Outside the main thread (tests) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(sig: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(feed.closing.set)
        before = previous[signal.Signals(sig)]
        if callable(before):
            before(sig, frame)
        else:  # no server handler: behave as if we were not here
            signal.signal(sig, before)
            signal.raise_signal(sig)

    for sig in previous:
        signal.signal(sig, handler)

    def restore() -> None:
        for sig, before in previous.items():
            signal.signal(sig, before)

    return restore


def notice(event: Event) -> dict[str, Any] | None:
    """What a page needs to know about one event (None: nothing for the page)."""
    if event.key.startswith("order:"):
        return {"type": "order", "order_id": int(event.key.split(":", 1)[1])}
    if event.key.startswith("conversation:"):
        return {"type": "inbox", "topic": event.topic}
    return None


class LiveFeed:
    def __init__(self, db: Database, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.reader = OutboxReader(db, CONSUMER)
        self.poll_seconds = poll_seconds
        self.subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._task: asyncio.Task[None] | None = None
        self._live = False  # caught up: new pages are greeted at once
        # Set when the server is stopping: open streams end, so the stop does not wait.
        self.closing = asyncio.Event()

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._live = False
            self._task = asyncio.create_task(self._run(), name="staff-live-feed")

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self.subscribers.add(queue)
        if self._live:
            queue.put_nowait(HELLO)
        self.start()
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self.subscribers.discard(queue)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def next_notice(
        self, queue: asyncio.Queue[dict[str, Any]], keepalive: float
    ) -> dict[str, Any] | None:
        """The queue's next notice; None after ``keepalive`` seconds (one is due). Raises
        ``StreamClosed`` when the server is stopping."""
        getter = asyncio.ensure_future(queue.get())
        closing = asyncio.ensure_future(self.closing.wait())
        done, _ = await asyncio.wait(
            {getter, closing}, timeout=keepalive, return_when=asyncio.FIRST_COMPLETED
        )
        for task in (getter, closing):
            if task not in done:
                task.cancel()
        if getter in done:
            return getter.result()
        if closing in done:
            raise StreamClosed
        return None

    async def catch_up(self) -> None:
        """Moves the cursor to the end without telling anyone: old news is not news."""
        while True:
            async with self.reader.batch() as batch:
                if not batch.scanned:
                    return

    async def poll_once(self) -> int:
        sent = 0
        async with self.reader.batch() as batch:
            for event in batch.events:
                found = notice(event)
                if found is not None:
                    sent += 1
                    for queue in list(self.subscribers):
                        if queue.full():  # a stalled page misses notices, not the others
                            continue
                        queue.put_nowait(found)
        return sent

    async def _run(self) -> None:
        """Runs for the process's life once started (the app's lifespan cancels it)."""
        await self.catch_up()
        self._live = True
        for queue in list(self.subscribers):
            queue.put_nowait(HELLO)
        while True:
            try:
                await self.poll_once()
            except Exception:  # a database hiccup must not end live updates for good
                log.exception("staff live feed: reading the outbox failed")
            await asyncio.sleep(self.poll_seconds if self.subscribers else IDLE_SECONDS)

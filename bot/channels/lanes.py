"""Background work kept in order per chat, with chats running concurrently."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("shopbot.channels")

Job = Callable[[], Awaitable[None]]


class Lanes:
    """One queue and one task per busy chat; the task ends when its queue is empty, so idle
    chats cost nothing. ``drain()`` waits for everything queued so far (tests, shutdown)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._queues: dict[str, asyncio.Queue[Job]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, key: str, job: Job) -> None:
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = asyncio.Queue()
            task = asyncio.create_task(self._run(key, queue), name=f"{self.name}:{key}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        queue.put_nowait(job)

    async def _run(self, key: str, queue: asyncio.Queue[Job]) -> None:
        try:
            while not queue.empty():
                job = queue.get_nowait()
                try:
                    await job()
                except Exception:
                    log.exception("%s: a job for chat %s failed", self.name, key)
        finally:
            if self._queues.get(key) is queue:
                del self._queues[key]

    @property
    def busy(self) -> int:
        return len(self._tasks)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        self._queues.clear()

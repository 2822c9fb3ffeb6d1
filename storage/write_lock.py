"""The in-process SQLite writers' lock: taken at once whenever it is free.

``asyncio.Lock`` is fair: once anyone waits, a newcomer queues behind, and every hand-over
waits for the woken task's next turn of the event loop. Under load a turn of the loop is
several milliseconds of other tasks' work, so one hold that suspended (another process held
SQLite's own lock for a moment) left a queue that never drained: the 1,000-customer chat
bench measured waits of 100-300 ms behind holds of 0.2 ms, a lock convoy.

Most write transactions run from BEGIN to COMMIT without suspending (sqlite_inline runs each
statement in the loop thread), so a task that finds the lock free takes it and is done
before a woken waiter even runs. A woken waiter that finds it taken again waits at the front,
so nobody is passed over more than one short hold at a time.
"""

from __future__ import annotations

import asyncio
import collections


class WriteLock:
    def __init__(self) -> None:
        self._held = False
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def locked(self) -> bool:
        return self._held

    async def acquire(self, patience: float) -> None:
        """Takes the lock, waiting at most ``patience`` seconds (then ``TimeoutError``)."""
        if not self._held:
            self._held = True  # free: taken without suspending
            return
        if patience <= 0:
            raise TimeoutError
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience
        front = False
        while True:
            woken: asyncio.Future[None] = loop.create_future()
            if front:
                self._waiters.appendleft(woken)
            else:
                self._waiters.append(woken)
            try:
                async with asyncio.timeout_at(deadline):
                    await woken
            except BaseException:
                if woken.done() and not woken.cancelled():
                    self._wake_next()  # woken but leaving: the turn goes to the next one
                else:
                    self._waiters.remove(woken)
                raise
            if not self._held:
                self._held = True
                return
            front = True  # taken meanwhile by a task that found it free

    def release(self) -> None:
        self._held = False
        self._wake_next()

    def _wake_next(self) -> None:
        if self._held:
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

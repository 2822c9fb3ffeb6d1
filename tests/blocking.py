"""Detectors for work that blocks the event loop, for the hot paths' tests.

``loop_lag()``: how late the event loop wakes a task that asked to sleep a few ms.

Anything that blocks the loop thread (a busy wait on a lock, a blocking socket, a long CPU
loop) delays every task by as long as it blocks, so the worst lateness seen while the code under
test runs is the longest stall it caused. Used by the lock-wait tests (tests/runtime/).

The machine is shared: time the loop's thread spent ready but waiting for a CPU (Linux counts it
in /proc/thread-self/schedstat) is the operating system's delay, not ours, and is taken off.

``no_blocking()``: blockbuster, failing the test at a blocking call (sleep, file or socket I/O,
a thread lock) made in the loop thread while it is active. sqlite3's calls are allowed: by
design they run inline (storage/sqlite_inline.py) and take microseconds; the one thing in them
that could block, waiting for another process's lock, never waits inside SQLite
(busy_timeout=0) but in ``asyncio.sleep``, which the loop-lag tests prove.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from blockbuster import blockbuster_ctx

_SCHEDSTAT = Path("/proc/thread-self/schedstat")


def _runqueue_wait() -> float:
    """Seconds this thread has waited for a CPU while runnable (0 where not known)."""
    try:
        return int(_SCHEDSTAT.read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class LoopLag:
    TICK = 0.005

    def __init__(self) -> None:
        self.worst = 0.0
        self.ticks = 0

    async def _watch(self) -> None:
        while True:
            before, waited = time.perf_counter(), _runqueue_wait()
            await asyncio.sleep(self.TICK)
            stalled = time.perf_counter() - before - self.TICK - (_runqueue_wait() - waited)
            self.worst = max(self.worst, stalled)
            self.ticks += 1


@contextlib.asynccontextmanager
async def loop_lag() -> AsyncIterator[LoopLag]:
    lag = LoopLag()
    task = asyncio.get_running_loop().create_task(lag._watch())
    await asyncio.sleep(0)
    try:
        yield lag
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.contextmanager
def no_blocking() -> Iterator[None]:
    with blockbuster_ctx() as bb:
        for name, function in bb.functions.items():
            if name.startswith("sqlite3."):
                function.deactivate()
        # The monitor's own reading of /proc (a kernel counter, never waits on a device).
        bb.functions["io.TextIOWrapper.read"].can_block_in(__file__, "_runqueue_wait")
        bb.functions["io.BufferedReader.read"].can_block_in(__file__, "_runqueue_wait")
        yield

"""Another process holding SQLite's write lock, as the CLI or a second server would.

``async with hold_write_lock(path, seconds) as holder`` starts a Python process that takes the
lock (BEGIN IMMEDIATE), says so, keeps it for ``seconds`` and commits. Just before it commits
it writes an audit row for the tool ``lock_holder``: a row with a greater id was written after
the lock was let go, which proves the order without measuring time.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

_SCRIPT = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute(
    "INSERT INTO audit_log (at, actor, role, tool, surface, args, outcome, duration_ms) "
    "VALUES ('2026-01-01 00:00:00.000000', 'holder', 'system', 'lock_holder', 'test', '{}', "
    "'ok', 0)"
)
conn.execute("COMMIT")
print("released", flush=True)
"""


class Holder:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    def released(self) -> bool:
        return self.proc.returncode is not None


@contextlib.asynccontextmanager
async def hold_write_lock(path: str, seconds: float) -> AsyncIterator[Holder]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _SCRIPT, path, str(seconds), stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    assert (await proc.stdout.readline()).strip() == b"locked"
    watcher = asyncio.get_running_loop().create_task(proc.wait())
    try:
        yield Holder(proc)
    finally:
        await watcher

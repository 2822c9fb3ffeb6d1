"""An async SQLAlchemy dialect that runs sqlite3 in the event-loop thread.

aiosqlite sends every statement to a worker thread and back, and that hop costs more than the
statement itself (SQLite answers in microseconds from the page cache). Here each statement runs
inline; the one ``await_`` per statement exists only to satisfy SQLAlchemy's async contract.

SQLite's own lock wait (``busy_timeout``) would sleep in the loop thread and freeze every other
request while another process (the CLI, a second server) holds the write lock. So connections
run with ``busy_timeout=0``: a statement that meets a lock fails at once with SQLITE_BUSY, and
it is tried again after an ``asyncio.sleep`` with backoff (the loop keeps serving meanwhile)
until the connection's ``lock_timeout`` has passed. Then the busy error goes up and is mapped
to a retryable ``database_busy`` refusal (storage.errors). In-process writers never meet each
other inside SQLite: ``Database`` serialises them with its ``WriteLock`` first.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine.url import URL
from sqlalchemy.pool import AsyncAdaptedQueuePool, Pool, StaticPool
from sqlalchemy.util.concurrency import await_

DEFAULT_LOCK_TIMEOUT = 10.0  # seconds a statement may wait for another process's lock
_FIRST_PAUSE = 0.002
_LONGEST_PAUSE = 0.05
# A read snapshot that went stale before its first write can never succeed by waiting.
_NEVER_CLEARS = {getattr(sqlite3, "SQLITE_BUSY_SNAPSHOT", 517)}


def is_busy(exc: BaseException) -> bool:
    """Whether a sqlite3 error means "another connection holds the lock"."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # older Pythons: only the text tells
        return "database is locked" in str(exc)
    return code not in _NEVER_CLEARS and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class LockWait:
    """The pauses between tries of one statement: short first, doubling, with jitter."""

    def __init__(self, timeout: float) -> None:
        self.deadline = time.monotonic() + timeout
        self.pause = _FIRST_PAUSE

    def next_pause(self) -> float | None:
        """Seconds to sleep before the next try, or None when the time is up."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            return None
        pause = min(self.pause * random.uniform(0.5, 1.5), left)
        self.pause = min(self.pause * 2, _LONGEST_PAUSE)
        return pause


async def execute_waiting(driver: sqlite3.Connection, statement: str, patience: float) -> None:
    """Runs a statement on a plain cursor (outside SQLAlchemy), waiting for locks without
    blocking the loop. Used for BEGIN IMMEDIATE and COMMIT on the writer connection."""
    wait: LockWait | None = None
    while True:
        cur = sqlite3.Cursor(driver)
        try:
            cur.execute(statement)
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
            wait = wait or LockWait(patience)
            pause = wait.next_pause()
            if pause is None:
                raise
        finally:
            cur.close()
        await asyncio.sleep(pause)


async def _done() -> None:
    return None


class InlineCursor(sqlite3.Cursor):
    def execute(self, *args: Any) -> InlineCursor:  # type: ignore[override]
        self._waiting(super().execute, args)
        await_(_done())
        return self

    def executemany(self, *args: Any) -> InlineCursor:  # type: ignore[override]
        self._waiting(super().executemany, args)
        await_(_done())
        return self

    def _waiting(self, run: Any, args: tuple[Any, ...]) -> None:
        """Runs inside SQLAlchemy's greenlet, so a lock wait can await a real sleep."""
        wait: LockWait | None = None
        while True:
            try:
                run(*args)
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
                wait = wait or LockWait(lock_timeout(self.connection))
                pause = wait.next_pause()
                if pause is None:
                    raise
            await_(asyncio.sleep(pause))

    async def _async_soft_close(self) -> None:
        return None


class InlineConnection(sqlite3.Connection):
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT

    def cursor(self, factory: Any = InlineCursor) -> Any:  # type: ignore[override]
        return super().cursor(factory)


def lock_timeout(conn: sqlite3.Connection) -> float:
    return getattr(conn, "lock_timeout", DEFAULT_LOCK_TIMEOUT)


class SQLiteDialectInline(SQLiteDialect_pysqlite):
    driver = "inline"
    is_async = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[Pool]:
        if cls._is_url_file_db(url):
            return AsyncAdaptedQueuePool
        return StaticPool

    def create_connect_args(self, url: URL) -> Any:
        args, kwargs = super().create_connect_args(url)
        kwargs["factory"] = InlineConnection
        kwargs["check_same_thread"] = False
        kwargs["isolation_level"] = None  # we issue BEGIN ourselves (see storage.database)
        kwargs["timeout"] = 0  # no busy wait in the loop thread: see the module docstring
        return args, kwargs


def register() -> None:
    registry.register("sqlite.inline", "storage.sqlite_inline", "SQLiteDialectInline")

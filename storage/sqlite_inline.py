"""An async SQLAlchemy dialect that runs sqlite3 in the event-loop thread.

aiosqlite sends every statement to a worker thread and back, and that hop costs more than the
statement itself (SQLite answers in microseconds from the page cache). Here each statement runs
inline; the one ``await_`` per statement exists only to satisfy SQLAlchemy's async contract.

Blocking is bounded because writers never wait on each other inside SQLite: ``Database``
serialises write transactions in-process with an ``asyncio.Lock`` before ``BEGIN IMMEDIATE``
(SQLite allows one writer anyway), and WAL lets readers proceed while a write is open.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine.url import URL
from sqlalchemy.pool import AsyncAdaptedQueuePool, Pool, StaticPool
from sqlalchemy.util.concurrency import await_


async def _done() -> None:
    return None


class InlineCursor(sqlite3.Cursor):
    def execute(self, *args: Any) -> InlineCursor:  # type: ignore[override]
        super().execute(*args)
        await_(_done())
        return self

    def executemany(self, *args: Any) -> InlineCursor:  # type: ignore[override]
        super().executemany(*args)
        await_(_done())
        return self

    async def _async_soft_close(self) -> None:
        return None


class InlineConnection(sqlite3.Connection):
    def cursor(self, factory: Any = InlineCursor) -> Any:  # type: ignore[override]
        return super().cursor(factory)


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
        return args, kwargs


def register() -> None:
    registry.register("sqlite.inline", "storage.sqlite_inline", "SQLiteDialectInline")

"""The database handle and its unit of work: one transaction per tool call.

``Database.transaction()`` owns commit and rollback (repositories and tools never commit). On
SQLite, write transactions are serialised in-process by a ``WriteLock`` (storage.write_lock)
and start with ``BEGIN IMMEDIATE``, so two writers never deadlock or wait inside SQLite while
holding the loop. A lock held by another process is waited for with ``asyncio.sleep``
(storage.sqlite_inline), up to ``lock_timeout`` seconds; then the call is refused as
``database_busy`` (retryable). SQLite read transactions run on a few connections kept for
reads, begun and ended on the driver like the writer's (``_sqlite_read``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

from storage import sqlite_inline
from storage.base import utcnow
from storage.errors import DatabaseBusy
from storage.fastsql import FastExecutor
from storage.write_lock import WriteLock

log = logging.getLogger("shopbot.storage")

# Idle SQLite read connections kept open (Database._sqlite_read): more read transactions at
# once than this borrow from the pool as before.
READERS_KEPT = 4

_SQLITE_DRIVERS = {"sqlite", "sqlite+pysqlite", "sqlite+aiosqlite", "sqlite+inline"}
_PG_DRIVERS = {
    "postgresql",
    "postgres",
    "postgresql+asyncpg",
    "postgresql+psycopg",
    "postgresql+psycopg2",
}


def normalise_url(raw: str) -> URL:
    """Accepts the usual spellings and picks our async drivers (inline sqlite3, asyncpg)."""
    url = make_url(raw)
    if url.drivername in _SQLITE_DRIVERS:
        return url.set(drivername="sqlite+inline")
    if url.drivername in _PG_DRIVERS:
        return url.set(drivername="postgresql+asyncpg")
    raise ValueError(
        f"unsupported database URL scheme '{url.drivername}' (use sqlite or postgresql)"
    )


class Tx:
    """What a tool gets to talk to the database: an ORM session, the raw fast path, the clock.

    The ORM session is created on first use: the order hot path never needs it.
    """

    def __init__(self, conn: AsyncConnection, fast: FastExecutor, dialect: str) -> None:
        self.conn = conn
        self.fast = fast
        self.dialect = dialect
        self.now: datetime = utcnow()
        self.after_commit: list[Callable[[], Awaitable[None]]] = []
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = AsyncSession(bind=self.conn, expire_on_commit=False, autoflush=True)
        return self._session

    @property
    def has_session(self) -> bool:
        return self._session is not None

    # The unit of work, for tools: new entities and changes to loaded ones are written at the
    # next flush or at commit. Queries are storage functions (docs/architecture.md).
    def add(self, entity: object) -> None:
        self.session.add(entity)

    def add_all(self, entities: Iterable[object]) -> None:
        self.session.add_all(entities)

    async def delete(self, entity: object) -> None:
        await self.session.delete(entity)

    async def flush(self) -> None:
        """Writes pending changes now (to get generated ids, or to meet a constraint early)."""
        await self.session.flush()

    async def raw(self) -> FastExecutor:
        """The compiled fast path (storage.fastsql), after flushing pending ORM changes so
        both paths see one state. Only storage/ modules use it."""
        if self._session is not None:
            s = self._session
            if s.new or s.dirty or s.deleted:
                await s.flush()
        return self.fast

    async def _flush(self) -> None:
        if self._session is not None:
            await self._session.flush()

    async def _close(self) -> None:
        if self._session is not None:
            await self._session.close()


class Database:
    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        echo: bool = False,
        lock_timeout: float = sqlite_inline.DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        sqlite_inline.register()
        self.lock_timeout = lock_timeout
        self.url = normalise_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self._memory = self.is_sqlite and self.url.database in (None, "", ":memory:")
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            if not self._memory and self.url.database:
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            if not self._memory:
                kwargs.update(pool_size=pool_size, max_overflow=pool_size)
        else:
            # No pre-ping: on asyncpg it is three round trips (BEGIN, ping, ROLLBACK) before
            # every transaction, a fifth of an order's. A connection the server dropped fails
            # its first statement instead; SQLAlchemy then discards it and the runner retries
            # the call on a fresh one (storage.errors: "disconnect").
            kwargs.update(pool_size=pool_size, max_overflow=pool_size * 2, pool_recycle=1800)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            _install_sqlite_hooks(self.engine, lock_timeout)
        # PostgreSQL transactions are begun on the driver (see _pooled); SQLAlchemy runs inside
        # them in autocommit mode. Set once on an engine view sharing the pool, rather than on
        # each connection (a greenlet hop per transaction).
        self._driver_tx_engine = (
            self.engine
            if self.is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._write_lock = WriteLock()
        # When set, every fast-path statement of every transaction is appended as (sql, args,
        # many): the order benchmark replays an order's exact statements on the bare driver.
        self.trace: list[tuple[str, Any, bool]] | None = None
        self._writer: AsyncConnection | None = None
        self._writer_fast: FastExecutor | None = None
        # SQLite read transactions' own long-lived connections, idle ones here (see
        # _sqlite_read); at most READERS_KEPT stay, the rest go back to the pool.
        self._readers: list[tuple[AsyncConnection, FastExecutor]] = []
        self._checkpointer = (
            Checkpointer(self.url.database) if self.is_sqlite and not self._memory else None
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def transaction(
        self, *, write: bool = True, wait: bool = True
    ) -> contextlib.AbstractAsyncContextManager[Tx]:
        """One unit of work. ``wait=False`` (SQLite): refuse at once with ``database_busy``
        rather than wait for the write lock, for work that can be done later instead."""
        if self.is_sqlite and (write or self._memory):
            return self._sqlite_write(self.lock_timeout if wait else 0.0)
        if self.is_sqlite:
            return self._sqlite_read()
        return self._pooled(write=write)

    async def ping(self) -> None:
        """A read that takes no lock a writer needs: for health checks."""
        async with self.transaction(write=False) as tx:
            await tx.conn.exec_driver_sql("SELECT 1")

    @contextlib.asynccontextmanager
    async def _pooled(self, *, write: bool) -> AsyncIterator[Tx]:
        async with self._driver_tx_engine.connect() as conn:
            driver_tx: Any = None
            if self.is_sqlite:
                conn = await conn.execution_options(shopbot_begin="DEFERRED")
                await conn.begin()
                fast = _fast_executor(conn)
            else:
                # SQLAlchemy's asyncpg adapter begins lazily, on its own first statement, and
                # the fast path may run before that. So the transaction is begun here on the
                # driver, with asyncpg's public API, and SQLAlchemy runs inside it in
                # autocommit mode (it issues no BEGIN or COMMIT of its own, and begins its own
                # bookkeeping only if the ORM is used: the order path never does).
                driver = _driver(conn)
                driver_tx = driver.transaction()
                await driver_tx.start()
                fast = FastExecutor(conn.dialect, driver)
            fast.trace = self.trace
            tx = Tx(conn, fast, self.dialect)
            try:
                yield tx
                await tx._flush()
                if driver_tx is not None:
                    await driver_tx.commit()
                if conn.in_transaction():
                    await conn.commit()
            except BaseException:
                if driver_tx is not None:
                    with contextlib.suppress(Exception):
                        await driver_tx.rollback()
                with contextlib.suppress(Exception):
                    await conn.rollback()
                raise
            finally:
                await tx._close()
        for hook in tx.after_commit:
            await hook()

    @contextlib.asynccontextmanager
    async def _sqlite_write(self, patience: float) -> AsyncIterator[Tx]:
        """SQLite has one writer, so write transactions share one long-lived connection.

        Checking a connection out of SQLAlchemy's pool and beginning through it costs several
        times what the whole order transaction costs in SQLite, so this path issues BEGIN
        IMMEDIATE and COMMIT on the driver connection itself. The ORM, when a tool uses it,
        joins the transaction already open (see the begin hook) and is reset after commit.
        """
        deadline = time.monotonic() + patience
        await self._acquire_write_lock(patience)
        try:
            conn, fast = await self._writer_connection()
            driver = fast.driver
            left = max(deadline - time.monotonic(), 0.0)
            try:
                await sqlite_inline.execute_waiting(driver, "BEGIN IMMEDIATE", left)
            except sqlite3.OperationalError as exc:
                if sqlite_inline.is_busy(exc):
                    raise DatabaseBusy() from None
                raise
            async with self._begun_on_driver(conn, fast) as tx:
                yield tx
            if self._checkpointer is not None:
                self._checkpointer.committed()
        finally:
            self._write_lock.release()
        for hook in tx.after_commit:
            await hook()

    @contextlib.asynccontextmanager
    async def _sqlite_read(self) -> AsyncIterator[Tx]:
        """A read transaction on a connection kept for reads, begun and ended on the driver.

        Checking a connection out of SQLAlchemy's pool and beginning through it cost 0.17 ms
        of CPU, half of a worker's inbox poll (which finds nothing most of the time); the
        driver's BEGIN and COMMIT on a kept connection cost a tenth of that. As on the write
        path, the ORM joins the transaction begun here (the begin hook) and is reset after."""
        pair = self._readers.pop() if self._readers else None
        if pair is None or pair[0].closed:
            conn = await self.engine.connect()
            pair = (conn, _fast_executor(conn))
        conn, fast = pair
        kept = False
        try:
            _plain(fast.driver, "BEGIN DEFERRED")
            try:
                async with self._begun_on_driver(conn, fast) as tx:
                    yield tx
            finally:
                kept = not fast.driver.in_transaction and len(self._readers) < READERS_KEPT
        finally:
            if kept:
                self._readers.append(pair)
            else:
                await conn.close()
        for hook in tx.after_commit:
            await hook()

    @contextlib.asynccontextmanager
    async def _begun_on_driver(
        self, conn: AsyncConnection, fast: FastExecutor
    ) -> AsyncIterator[Tx]:
        """What the SQLite paths share once BEGIN is issued on the driver: the work, COMMIT
        (ROLLBACK on any error), and the ORM's bookkeeping reset."""
        driver = fast.driver
        fast.trace = self.trace
        tx = Tx(conn, fast, self.dialect)
        try:
            yield tx
            await tx._flush()
            await sqlite_inline.execute_waiting(driver, "COMMIT", self.lock_timeout)
        except BaseException:
            if driver.in_transaction:
                _plain(driver, "ROLLBACK")
            raise
        finally:
            await tx._close()
            if conn.in_transaction():
                # SQLAlchemy's view of the transaction the ORM joined; the driver has
                # already committed or rolled back, so this only resets its bookkeeping.
                await conn.rollback()

    async def _acquire_write_lock(self, patience: float) -> None:
        """The in-process writers' turn, with the same patience as SQLite's lock."""
        try:
            await self._write_lock.acquire(patience)
        except TimeoutError:
            raise DatabaseBusy() from None

    async def _writer_connection(self) -> tuple[AsyncConnection, FastExecutor]:
        if self._writer is None or self._writer.closed or self._writer_fast is None:
            self._writer = await self.engine.connect()
            self._writer_fast = _fast_executor(self._writer)
        return self._writer, self._writer_fast

    async def dispose(self) -> None:
        if self._checkpointer is not None:
            await self._checkpointer.wait()
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        readers, self._readers = self._readers, []
        for conn, _fast in readers:
            await conn.close()
        await self.engine.dispose()


class Checkpointer:
    """Copies the WAL back into the database file from a worker thread, off the write path.

    Left to itself, SQLite checkpoints inside the COMMIT that crosses the WAL size limit, and
    that one order then waits for megabytes of copying and an fsync. A PASSIVE checkpoint on
    its own connection runs beside the writer (it takes no write lock), so commits stay short
    and the WAL is reset to its start once a checkpoint has caught up. The writer's own
    auto-checkpoint stays on as a safety net.
    """

    EVERY_COMMITS = 200
    EVERY_SECONDS = 1.0

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._commits = 0
        self._last = time.monotonic()
        self._task: asyncio.Task[None] | None = None

    def committed(self) -> None:
        self._commits += 1
        if self._task is not None and not self._task.done():
            return
        now = time.monotonic()
        if self._commits < self.EVERY_COMMITS and now - self._last < self.EVERY_SECONDS:
            return
        self._commits, self._last = 0, now
        self._task = asyncio.get_running_loop().create_task(asyncio.to_thread(self._run))

    def _run(self) -> None:
        if not self.path:
            return
        conn = sqlite3.connect(self.path, timeout=5)
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            log.warning("background WAL checkpoint failed", exc_info=True)
        finally:
            conn.close()

    async def wait(self) -> None:
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
            self._task = None


def _plain(driver: Any, statement: str) -> None:
    cur = sqlite3.Cursor(driver)
    try:
        cur.execute(statement)
    finally:
        cur.close()


def _driver(conn: AsyncConnection) -> Any:
    """The connection's driver connection (sqlite3, asyncpg), read without a greenlet hop: an
    AsyncConnection holds its checked-out sync connection once connect() returned."""
    sync = conn.sync_connection
    assert sync is not None, "connect() first"
    return sync.connection.driver_connection


def _fast_executor(conn: AsyncConnection) -> FastExecutor:
    return FastExecutor(conn.dialect, _driver(conn))


def _install_sqlite_hooks(engine: AsyncEngine, lock_timeout: float) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.lock_timeout = lock_timeout  # waited for asynchronously (sqlite_inline)
        for pragma in (
            "PRAGMA journal_mode=WAL",
            # WAL + NORMAL: durable at checkpoints, no fsync per commit.
            "PRAGMA synchronous=NORMAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=0",  # never a busy wait in the loop thread (sqlite_inline)
            "PRAGMA temp_store=MEMORY",
            "PRAGMA wal_autocheckpoint=10000",
        ):
            # A plain cursor: the inline one expects to run inside SQLAlchemy's greenlet.
            cur = sqlite3.Cursor(dbapi_conn)
            cur.execute(pragma)
            cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.connection.dbapi_connection.in_transaction:
            return  # the write path began it already (Database._sqlite_write)
        mode = conn.get_execution_options().get("shopbot_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

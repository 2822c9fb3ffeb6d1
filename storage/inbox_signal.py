"""Wakes the workers when the server has stored a customer's message, instead of making them
poll for it.

A worker (``shopbot worker``) otherwise finds new events by reading the inbox every 20 ms
while busy and every 0.2 s when idle: the first message after a quiet spell waited up to
0.2 s before anyone looked at it, and every idle worker read the database five times a
second. Now the server rings once the events are committed and a worker claims them at once;
the reading goes on, less often, only as a safety net (a ring lost to a dropped connection).

* PostgreSQL: ``NOTIFY shopbot_inbox`` inside the storing transaction, which PostgreSQL
  delivers at commit and only then (a rolled-back insert rings nobody); each worker LISTENs on
  a connection of its own, made again when it drops.
* SQLite (one machine by nature): each worker binds a Unix datagram socket in a directory
  beside the database file (``shop.db.bell/``); the server sends one byte to each socket there
  after the commit. A socket whose worker died is removed by the next ring that finds nobody
  listening. A path too long for a Unix socket, or an in-memory database, leaves the worker
  polling as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import secrets
import socket
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from storage.database import Database
from storage.fastsql import Sql

log = logging.getLogger("shopbot.storage.inbox_signal")

CHANNEL = "shopbot_inbox"
NOTIFY = Sql(select(func.pg_notify(CHANNEL, "")))
RECONNECT_SECONDS = 1.0
_MAX_SOCKET_PATH = 100  # sun_path holds 104-108 bytes, by platform
_RESCAN_SECONDS = 1.0  # how long the server trusts its list of workers' sockets


def bell_dir(db: Database) -> Path | None:
    """Where SQLite workers' sockets live; None when there is no file to put it beside."""
    if not db.is_sqlite or not db.url.database or db.url.database == ":memory:":
        return None
    return Path(db.url.database).resolve().with_name(Path(db.url.database).name + ".bell")


# ------------------------------------------------------------------------- the server side


def ring_order(targets: list[str], turn: int) -> list[str]:
    """Every target, starting with a different one each turn. The worker rung first wakes
    first and claims the new events: with a fixed order one worker took twice the others'
    share of the turns under load (and with it the slowest answers)."""
    if not targets:
        return []
    first = turn % len(targets)
    return targets[first:] + targets[:first]


class _SqliteRinger:
    """Sends a byte to every worker socket in the directory, from one unbound socket."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self._targets: list[str] = []
        self._scanned = 0.0
        self._first = 0

    def ring(self) -> None:
        if time.monotonic() - self._scanned > _RESCAN_SECONDS:
            self._scan()
        self._first += 1
        for target in ring_order(self._targets, self._first):
            try:
                self._sock.sendto(b"!", target)
            except BlockingIOError:
                pass  # its queue is full: it has been rung already
            except (ConnectionRefusedError, FileNotFoundError):
                self._targets.remove(target)  # its worker is gone
                with contextlib.suppress(OSError):
                    os.unlink(target)
            except OSError as exc:  # never fail a webhook over a doorbell
                log.debug("inbox ring to %s failed: %s", target, exc)

    def _scan(self) -> None:
        self._scanned = time.monotonic()
        try:
            self._targets = [str(p) for p in self.directory.glob("*.sock")]
        except OSError:
            self._targets = []


# By the database's file name as configured: the directory is worked out once per database,
# not on every stored message.
_ringers: dict[str, _SqliteRinger | None] = {}


def ring_after_commit(db: Database) -> None:
    """Tells SQLite workers that new events are committed (PostgreSQL rings inside the
    transaction, see ``NOTIFY``)."""
    if not db.is_sqlite:
        return
    key = str(db.url.database)
    if key not in _ringers:
        directory = bell_dir(db)
        _ringers[key] = _SqliteRinger(directory) if directory is not None else None
    ringer = _ringers[key]
    if ringer is not None:
        ringer.ring()


# ------------------------------------------------------------------------- the worker side


class InboxBell:
    """A worker's doorbell. ``clear()`` before reading the inbox, then ``wait(seconds)``: a
    ring between the two is not missed. ``live`` says whether rings can arrive at all (the
    worker may then read the inbox less often)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._rung = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None
        self._path: str | None = None
        self.live = False

    async def start(self) -> None:
        if self.db.dialect == "postgresql":
            self._task = asyncio.create_task(self._listen())
        else:
            self._bind()

    def clear(self) -> None:
        self._rung.clear()

    async def wait(self, seconds: float) -> bool:
        """Whether it was rung (False: the time passed)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._rung.wait()
                return True
        return False

    async def close(self) -> None:
        self.live = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._sock is not None:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
        if self._path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._path)
            self._path = None

    # --- SQLite: a datagram socket beside the database

    def _bind(self) -> None:
        directory = bell_dir(self.db)
        if directory is None:
            return
        path = str(directory / f"{os.getpid()}-{secrets.token_hex(4)}.sock")
        if len(path.encode()) > _MAX_SOCKET_PATH:
            log.info("inbox bell off: %s is too long for a Unix socket; polling instead", path)
            return
        directory.mkdir(exist_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.bind(path)
        self._sock, self._path = sock, path
        asyncio.get_running_loop().add_reader(sock.fileno(), self._drain)
        self.live = True

    def _drain(self) -> None:
        assert self._sock is not None
        with contextlib.suppress(BlockingIOError):
            while self._sock.recv(64):
                pass
        self._rung.set()

    # --- PostgreSQL: LISTEN on a connection of its own

    async def _listen(self) -> None:
        import asyncpg  # type: ignore[import-untyped]

        dsn = self.db.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while True:
            conn: Any = None
            try:
                conn = await asyncpg.connect(dsn)
                lost = asyncio.Event()
                conn.add_termination_listener(functools.partial(_set, lost))
                await conn.add_listener(CHANNEL, self._on_notify)
                self.live = True
                self._rung.set()  # anything stored while it was not listening
                await lost.wait()
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("inbox bell: cannot listen (%s); polling meanwhile", type(exc).__name__)
            finally:
                self.live = False
                if conn is not None and not conn.is_closed():
                    conn.terminate()  # a listening connection has nothing to finish
            await asyncio.sleep(RECONNECT_SECONDS)

    def _on_notify(self, *_args: object) -> None:
        self._rung.set()


def _set(event: asyncio.Event, *_args: object) -> None:
    event.set()

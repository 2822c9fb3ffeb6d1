"""Audit rows written outside a tool's transaction (refusals, reads), never delaying the answer.

A read tool's answer must not wait for the write lock: when another process holds it, the row
is queued and written by one background task as soon as the lock is free. In the common case
(no contention) the row is written before the call returns, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy import Integer, String, bindparam, insert

from storage.base import Json, UTCDateTime
from storage.database import Database
from storage.errors import DatabaseBusy
from storage.fastsql import Sql
from storage.models import AuditEntry

log = logging.getLogger("shopbot.tools")

INSERT_AUDIT = Sql(
    insert(AuditEntry).values(
        at=bindparam("at", type_=UTCDateTime),
        actor=bindparam("actor", type_=String),
        role=bindparam("role", type_=String),
        tool=bindparam("tool", type_=String),
        surface=bindparam("surface", type_=String),
        args=bindparam("args", type_=Json),
        outcome=bindparam("outcome", type_=String),
        error=bindparam("error", type_=String),
        duration_ms=bindparam("duration_ms", type_=Integer),
    )
)


class AuditWriter:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None

    async def write(self, row: dict[str, Any]) -> None:
        """Writes the row now if the write lock is free, else queues it."""
        try:
            async with self.db.transaction(wait=False) as tx:
                await tx.fast.execute(INSERT_AUDIT, row)
        except DatabaseBusy:
            self._pending.append(row)
            if self._task is None or self._task.done():
                self._task = asyncio.get_running_loop().create_task(self._drain())
        except Exception:  # the audit must never hide the original outcome
            log.exception("could not write the audit row for %s", row.get("tool"))

    async def _drain(self) -> None:
        while self._pending:
            rows, self._pending = self._pending, []
            try:
                async with self.db.transaction() as tx:
                    for row in rows:
                        await tx.fast.execute(INSERT_AUDIT, row)
            except DatabaseBusy:
                self._pending[:0] = rows  # still busy: keep them, try again shortly
                await asyncio.sleep(self.db.lock_timeout / 10)
            except Exception:
                log.exception("could not write %d queued audit rows", len(rows))

    async def aclose(self) -> None:
        """Waits for queued rows (on shutdown)."""
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
            self._task = None

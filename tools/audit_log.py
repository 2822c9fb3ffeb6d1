"""Audit rows written outside a tool's transaction (refusals, reads), never delaying the answer.

A read tool's answer must not wait for the write lock: when another process holds it, the row
is queued and written by one background task as soon as the lock is free. In the common case
(no contention) the row is written before the call returns, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from storage import audit
from storage.audit import NewAuditEntry
from storage.database import Database
from storage.errors import DatabaseBusy

log = logging.getLogger("shopbot.tools")


class AuditWriter:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: list[NewAuditEntry] = []
        self._task: asyncio.Task[None] | None = None

    async def write(self, row: NewAuditEntry) -> None:
        """Writes the row now if the write lock is free, else queues it."""
        try:
            async with self.db.transaction(wait=False) as tx:
                await audit.add_entry(tx, row)
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
                        await audit.add_entry(tx, row)
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

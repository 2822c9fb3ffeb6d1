"""Deliveries stored together: while one insert into the inbox waits for the database (on
SQLite, for the single write lock a worker process may hold), the webhooks arriving meanwhile
queue up and the next transaction stores them all. Each webhook still answers only after its
events are committed; under load there are a few transactions instead of one per delivery, so
acknowledgements stop queueing behind each other's lock waits, and nothing is delayed when
the database is free (no timer, the first delivery goes at once)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from storage.channels import InboundItem, InboxRow, store_inbound
from storage.database import Database

Waiting = tuple[Sequence[InboundItem], asyncio.Future[list[InboxRow]]]


class InboxBatcher:
    def __init__(self, db: Database, channel: str) -> None:
        self.db = db
        self.channel = channel
        self._waiting: list[Waiting] = []
        self._flushing: asyncio.Task[None] | None = None

    async def store(self, items: Sequence[InboundItem]) -> list[InboxRow]:
        """The new events among ``items`` (a platform's retry stores nothing), committed."""
        if not items:
            return []
        done: asyncio.Future[list[InboxRow]] = asyncio.get_running_loop().create_future()
        # A webhook whose client went away no longer awaits its outcome: read it anyway, so
        # a failed batch is not also logged as "exception never retrieved".
        done.add_done_callback(_retrieved)
        self._waiting.append((items, done))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        return await asyncio.shield(done)  # a client gone does not cancel the others' write

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                rows = await store_inbound(
                    self.db, self.channel, [i for items, _ in batch for i in items]
                )
            except Exception as exc:  # each webhook answers with it (database_busy: 503)
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            fresh = {r.message_id: r for r in rows}
            for items, done in batch:
                mine = [fresh.pop(i.message_id) for i in items if i.message_id in fresh]
                if not done.done():
                    done.set_result(mine)


def _retrieved(done: asyncio.Future[list[InboxRow]]) -> None:
    if not done.cancelled():
        done.exception()

"""The outbox: written in the same transaction as the change it reports, read by every
consumer (staff notifications, a marketplace's stock push, outgoing webhooks) in commit order
from its own cursor, at least once.

The tools queue events during a call; they are written just before commit, by ``add_events``
(tools/events.py) or with the call's audit row (storage/audit.py), so a consumer sees exactly
what committed. The order is (txid, id):

* On PostgreSQL, ids come from a sequence when a row is inserted, but transactions commit in
  another order: a reader going by id alone could pass id 7 while the transaction holding id 6
  is still running, and never see 6. Each event carries its writer's transaction id, and a
  reader only takes events of transactions older than the oldest one still running
  (``txid_snapshot_xmin``): nothing can appear behind its cursor any more.
* On SQLite, writers run one at a time and ids grow in commit order; txid is 0.

``OutboxReader.batch()`` hands out the next events and then moves the consumer's cursor: past
the whole batch when the block ends normally, or past the events ``ack``-ed so far when it
raises, so the rest comes again. Handlers must therefore be idempotent (an event may be seen
twice after a crash). On PostgreSQL the cursor row is locked for the batch (``FOR UPDATE SKIP
LOCKED``): several worker processes may run the same consumer and only one gets each batch. On
SQLite one process reads a consumer at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import (
    ColumnElement,
    String,
    bindparam,
    delete,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.sql.dml import Insert

from storage.base import Json, UTCDateTime, utcnow
from storage.database import Database, Tx
from storage.fastsql import Sql, dialect_insert, json_object
from storage.models import OutboxCursor, OutboxEvent

# --- writing -------------------------------------------------------------------------------


def _insert_event(txid: int | ColumnElement[int]) -> Sql:
    return Sql(
        insert(OutboxEvent).values(
            txid=txid,
            topic=bindparam("topic", type_=String),
            key=bindparam("key", type_=String),
            payload=bindparam("payload", type_=Json),
            created_at=bindparam("created_at", type_=UTCDateTime),
        )
    )


# The writer's transaction id orders events for readers on PostgreSQL (see above); SQLite's
# writers commit one at a time, in id order.
_INSERT_EVENT = {
    "sqlite": _insert_event(0),
    "postgresql": _insert_event(func.txid_current()),
}


class NewEvent(TypedDict):
    topic: str
    key: str  # what it is about, e.g. "order:12", "variant:7"
    payload: dict[str, Any]


async def add_events(tx: Tx, events: Sequence[NewEvent]) -> None:
    """Writes the call's events, created at ``tx.now``, in one batch."""
    if not events:
        return
    rows = [{**e, "created_at": tx.now} for e in events]
    await (await tx.raw()).execute_many(_INSERT_EVENT[tx.dialect], rows)


# Up to this many events are written along with another row in one statement on PostgreSQL
# (storage.audit), compiled once per count; a larger batch (an import) goes on its own.
FOLD_MAX = 16


@functools.cache
def events_insert_pg(count: int) -> Insert:
    """PostgreSQL: ``count`` events in one multi-row INSERT, in their order (binds
    ``topic_{i}``, ``key_{i}``, ``payload_{i}`` and ``created_at``: see ``bind_events``), to
    be a CTE of a statement that writes them with its own row."""
    at = bindparam("created_at", type_=UTCDateTime)
    rows = [
        {
            "txid": func.txid_current(),
            "topic": bindparam(f"topic_{i}", type_=String),
            "key": bindparam(f"key_{i}", type_=String),
            "payload": bindparam(f"payload_{i}", type_=Json),
            "created_at": at,
        }
        for i in range(count)
    ]
    return insert(OutboxEvent).values(rows)


def bind_events(params: dict[str, Any], events: Sequence[NewEvent], at: datetime) -> None:
    """``events_insert_pg``'s parameters, added to ``params``."""
    params["created_at"] = at
    for i, e in enumerate(events):
        params[f"topic_{i}"] = e["topic"]
        params[f"key_{i}"] = e["key"]
        params[f"payload_{i}"] = e["payload"]


# --- reading -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Event:
    id: int
    txid: int
    topic: str
    key: str
    payload: dict[str, Any]
    created_at: datetime


@dataclasses.dataclass
class Batch:
    """The events of one batch (of the consumer's topics) and how far it got."""

    events: list[Event]
    # Every event read, the consumer's topics or not: the cursor moves past all of them.
    scanned: list[Event]
    position: tuple[int, int]  # (txid, id) the cursor stands at

    def ack(self, event: Event) -> None:
        """``event`` (and everything read before it) is handled: a failure later in the batch
        will not bring it back."""
        self.position = max(self.position, (event.txid, event.id))

    @property
    def end(self) -> tuple[int, int]:
        return (self.scanned[-1].txid, self.scanned[-1].id) if self.scanned else self.position


class OutboxReader:
    def __init__(
        self,
        db: Database,
        consumer: str,
        *,
        topics: Collection[str] | None = None,
        batch_size: int = 100,
    ) -> None:
        if not 1 <= len(consumer) <= 60:
            raise ValueError("a consumer name is 1 to 60 characters")
        self.db = db
        self.consumer = consumer
        self.topics = frozenset(topics) if topics is not None else None
        self.batch_size = batch_size
        self._local = asyncio.Lock()  # one batch at a time in this process
        self._registered = False

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[Batch]:
        async with self._local:
            await self._register()
            if self.db.is_sqlite:
                async with self._sqlite_batch() as batch:
                    yield batch
            else:
                async with self._locked_batch() as batch:
                    yield batch

    async def position(self) -> tuple[int, int]:
        """Where the consumer's cursor stands (0, 0 before its first batch)."""
        async with self.db.transaction(write=False) as tx:
            return await self._position_in(tx)

    # --- the two databases ---------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _sqlite_batch(self) -> AsyncIterator[Batch]:
        # No transaction is held while the consumer works: SQLite has one writer for all.
        async with self.db.transaction(write=False) as tx:
            start = await self._position_in(tx)
            batch = await self._read(tx, start, horizon=False)
        failure: BaseException | None = None
        try:
            yield batch
        except BaseException as exc:
            failure = exc
        target = batch.position if failure else batch.end
        if target != start:
            async with self.db.transaction() as tx:
                await self._move(tx, target)
        if failure is not None:
            raise failure

    @contextlib.asynccontextmanager
    async def _locked_batch(self) -> AsyncIterator[Batch]:
        failure: BaseException | None = None
        async with self.db.transaction() as tx:
            locked = (
                await tx.session.execute(
                    select(OutboxCursor.txid, OutboxCursor.event_id)
                    .where(OutboxCursor.consumer == self.consumer)
                    .with_for_update(skip_locked=True)
                )
            ).one_or_none()
            if locked is None:  # another worker has this consumer's batch
                start = (0, 0)
                batch = Batch([], [], start)
            else:
                start = (int(locked[0]), int(locked[1]))
                batch = await self._read(tx, start, horizon=True)
            try:
                yield batch
            except BaseException as exc:
                failure = exc
            target = batch.position if failure else batch.end
            if locked is not None and target != start:
                await self._move(tx, target)
        if failure is not None:
            raise failure

    # --- helpers -----------------------------------------------------------------------------

    async def _position_in(self, tx: Tx) -> tuple[int, int]:
        row = (
            await tx.session.execute(
                select(OutboxCursor.txid, OutboxCursor.event_id).where(
                    OutboxCursor.consumer == self.consumer
                )
            )
        ).one_or_none()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def _read(self, tx: Tx, start: tuple[int, int], *, horizon: bool) -> Batch:
        query = (
            select(
                OutboxEvent.id,
                OutboxEvent.txid,
                OutboxEvent.topic,
                OutboxEvent.key,
                OutboxEvent.payload,
                OutboxEvent.created_at,
            )
            .where(tuple_(OutboxEvent.txid, OutboxEvent.id) > tuple_(*start))
            .order_by(OutboxEvent.txid, OutboxEvent.id)
            .limit(self.batch_size)
        )
        if horizon:
            # Only transactions older than every one still running: none can still commit an
            # event that sorts before what is returned here.
            query = query.where(
                OutboxEvent.txid < func.txid_snapshot_xmin(func.txid_current_snapshot())
            )
        scanned = [
            Event(
                id=int(r[0]),
                txid=int(r[1]),
                topic=str(r[2]),
                key=str(r[3]),
                payload=json_object(r[4]),
                created_at=r[5],
            )
            for r in (await tx.session.execute(query)).all()
        ]
        wanted = [e for e in scanned if self.topics is None or e.topic in self.topics]
        return Batch(events=wanted, scanned=scanned, position=start)

    async def _move(self, tx: Tx, position: tuple[int, int]) -> None:
        await tx.session.execute(
            update(OutboxCursor)
            .where(OutboxCursor.consumer == self.consumer)
            .values(txid=position[0], event_id=position[1], updated_at=utcnow())
        )

    async def _register(self) -> None:
        """The cursor row, made once: a new consumer starts from the first event kept."""
        if self._registered:
            return
        async with self.db.transaction() as tx:
            await tx.session.execute(
                dialect_insert(tx.dialect)(OutboxCursor)
                .values(consumer=self.consumer, txid=0, event_id=0, updated_at=utcnow())
                .on_conflict_do_nothing(index_elements=["consumer"])
            )
        self._registered = True


# --- operating it ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ConsumerState:
    consumer: str
    txid: int
    event_id: int
    behind: int  # events kept that it has not read yet
    updated_at: datetime


async def consumers(db: Database) -> list[ConsumerState]:
    """Every registered consumer, where its cursor stands and how many events it has to go."""
    async with db.transaction(write=False) as tx:
        rows = (
            await tx.session.execute(
                select(
                    OutboxCursor.consumer,
                    OutboxCursor.txid,
                    OutboxCursor.event_id,
                    OutboxCursor.updated_at,
                ).order_by(OutboxCursor.consumer)
            )
        ).all()
        out = []
        for name, txid, event_id, at in rows:
            behind = await tx.session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(tuple_(OutboxEvent.txid, OutboxEvent.id) > tuple_(txid, event_id))
            )
            out.append(ConsumerState(name, int(txid), int(event_id), int(behind or 0), at))
    return out


async def prune(db: Database, older_than: datetime) -> int:
    """Deletes events created before ``older_than`` that every registered consumer has read
    (by age alone while no consumer is registered); returns how many. An event some consumer
    has not read yet is kept however old it is."""
    async with db.transaction() as tx:
        slowest = (
            await tx.session.execute(
                select(OutboxCursor.txid, OutboxCursor.event_id)
                .order_by(OutboxCursor.txid, OutboxCursor.event_id)
                .limit(1)
            )
        ).one_or_none()
        query = delete(OutboxEvent).where(OutboxEvent.created_at < older_than)
        if slowest is not None:
            query = query.where(
                tuple_(OutboxEvent.txid, OutboxEvent.id) <= tuple_(slowest[0], slowest[1])
            )
        result = await tx.session.execute(query)
        return int(getattr(result, "rowcount", 0) or 0)

"""Outbox consumers read every committed event once per consumer, in commit order, from their
own cursor; a failure replays only what was not acknowledged; on PostgreSQL an event committed
late with a smaller id is never skipped, and two workers never get the same batch."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core.roles import Actor
from storage.base import utcnow
from storage.database import Database
from storage.outbox import OutboxReader, consumers, prune
from tools.config import ToolConfig
from tools.context import ToolContext
from tools.events import flush_events


async def emit(db: Database, *events: tuple[str, str]) -> None:
    """Events written the way tools write them: in their own transaction, at commit."""
    async with db.transaction() as tx:
        ctx = ToolContext(tx=tx, actor=Actor.system(), config=ToolConfig())
        for topic, key in events:
            ctx.emit(topic, key, {"key": key})
        await flush_events(ctx)


async def read_all(reader: OutboxReader) -> list[str]:
    async with reader.batch() as batch:
        return [e.key for e in batch.events]


async def test_each_consumer_reads_everything_once_in_order(db: Database) -> None:
    await emit(db, ("order.created", "order:1"), ("stock.changed", "variant:1"))
    await emit(db, ("order.created", "order:2"))
    staff = OutboxReader(db, "staff-cards", topics={"order.created"})
    stock = OutboxReader(db, "shopee-stock", topics={"stock.changed"})
    assert await read_all(staff) == ["order:1", "order:2"]
    assert await read_all(staff) == []  # the cursor moved past the other topic too
    assert await read_all(stock) == ["variant:1"]
    await emit(db, ("order.created", "order:3"))
    # A new reader (another process, a restart) carries on from the stored cursor.
    assert await read_all(OutboxReader(db, "staff-cards", topics={"order.created"})) == ["order:3"]


async def test_a_failure_replays_only_what_was_not_acknowledged(db: Database) -> None:
    await emit(db, *[("order.created", f"order:{n}") for n in range(1, 6)])
    reader = OutboxReader(db, "notifier", batch_size=3)
    handled: list[str] = []

    async def deliver() -> None:
        async with reader.batch() as batch:
            for event in batch.events:
                if event.key == "order:2":
                    raise RuntimeError("Telegram is down")
                handled.append(event.key)
                batch.ack(event)

    with pytest.raises(RuntimeError):
        await deliver()
    assert handled == ["order:1"]
    assert await read_all(reader) == ["order:2", "order:3", "order:4"]
    assert await read_all(reader) == ["order:5"]


async def test_an_event_committed_late_with_a_smaller_id_is_not_skipped(
    db: Database, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite's writers commit one at a time, in id order")
    reader = OutboxReader(db, "notifier")
    await read_all(reader)  # registered, at the start
    written, release = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        async with db.transaction() as tx:
            ctx = ToolContext(tx=tx, actor=Actor.system(), config=ToolConfig())
            ctx.emit("order.created", "order:slow", {})
            await flush_events(ctx)  # takes the smaller id, then waits before committing
            written.set()
            await release.wait()

    task = asyncio.create_task(slow())
    await written.wait()
    await emit(db, ("order.created", "order:quick"))  # a larger id, committed first
    assert await read_all(reader) == []  # nothing may pass the transaction still running
    release.set()
    await task
    assert await read_all(reader) == ["order:slow", "order:quick"]


async def test_two_workers_never_get_the_same_batch(db: Database, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("one process reads a consumer at a time on SQLite")
    await emit(db, *[("order.created", f"order:{n}") for n in range(1, 4)])
    first, second = OutboxReader(db, "notifier"), OutboxReader(db, "notifier")
    await read_all(second)  # registers; takes all three
    await emit(db, ("order.created", "order:4"))
    async with first.batch() as a, second.batch() as b:
        assert [e.key for e in a.events] == ["order:4"]
        assert b.events == []  # the cursor row is taken: this worker waits its turn
    assert await read_all(second) == []


async def test_status_shows_each_consumer_and_what_it_has_left(db: Database) -> None:
    await emit(db, *[("order.created", f"order:{n}") for n in range(1, 4)])
    staff = OutboxReader(db, "staff-cards", batch_size=2)
    await read_all(staff)
    await read_all(OutboxReader(db, "shopee-stock"))
    states = {s.consumer: s.behind for s in await consumers(db)}
    assert states == {"shopee-stock": 0, "staff-cards": 1}


async def test_prune_keeps_what_a_consumer_has_not_read(db: Database) -> None:
    await emit(db, *[("order.created", f"order:{n}") for n in range(1, 5)])
    slow = OutboxReader(db, "slow", batch_size=2)
    await read_all(slow)  # has read order:1 and order:2
    await read_all(OutboxReader(db, "fast"))  # has read everything
    future = utcnow() + timedelta(days=1)
    assert await prune(db, utcnow() - timedelta(days=1)) == 0  # nothing is old enough
    assert await prune(db, future) == 2  # only what both have read
    assert await read_all(slow) == ["order:3", "order:4"]
    assert await prune(db, future) == 2
    assert await read_all(OutboxReader(db, "late-comer")) == []

"""Read transactions (``Database.transaction(write=False)``). On SQLite they run on
connections kept for reads and are begun and ended on the driver: each sees one snapshot from
its first statement to its end, the next one sees what was committed since, an error inside
one leaves nothing open, and a burst of them keeps only a few connections afterwards."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from agents.types import Incoming
from storage.channels import InboundItem, store_inbound
from storage.database import READERS_KEPT, Database
from storage.models import ChannelInbox


def event(n: int) -> InboundItem:
    incoming = Incoming(channel="telegram", chat_id="7", text=f"tin {n}")
    return InboundItem(f"m-{n}", "7", {"incoming": incoming.model_dump(mode="json")})


async def stored(db: Database) -> int:
    async with db.transaction(write=False) as tx:
        return int(await tx.session.scalar(select(func.count()).select_from(ChannelInbox)) or 0)


async def test_each_read_sees_what_was_committed_before_it(db: Database) -> None:
    assert await stored(db) == 0
    await store_inbound(db, "telegram", [event(1)])
    assert await stored(db) == 1  # not the snapshot of the connection's previous read
    await store_inbound(db, "telegram", [event(2), event(3)])
    assert await stored(db) == 3


async def test_a_read_keeps_one_snapshot_to_its_end(db: Database, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL's read committed sees each statement's own snapshot")
    await store_inbound(db, "telegram", [event(1)])
    async with db.transaction(write=False) as tx:
        count = select(func.count()).select_from(ChannelInbox)
        assert await tx.session.scalar(count) == 1
        await store_inbound(db, "telegram", [event(2)])  # committed meanwhile
        assert await tx.session.scalar(count) == 1  # one transaction: its snapshot holds
    assert await stored(db) == 2


async def test_an_error_inside_a_read_leaves_nothing_open(db: Database) -> None:
    async def failing_read() -> None:
        async with db.transaction(write=False) as tx:
            await tx.session.scalar(select(func.count()).select_from(ChannelInbox))
            raise LookupError("the caller's own failure")

    with pytest.raises(LookupError):
        await failing_read()
    # no read left open (on SQLite it would hold the WAL at its snapshot): writes and later
    # reads go on
    await store_inbound(db, "telegram", [event(1)])
    assert await stored(db) == 1


async def test_a_burst_of_reads_keeps_only_a_few_connections(db: Database, backend: str) -> None:
    await store_inbound(db, "telegram", [event(1)])
    release = asyncio.Event()

    async def read() -> int:
        async with db.transaction(write=False) as tx:
            n = await tx.session.scalar(select(func.count()).select_from(ChannelInbox))
            await release.wait()  # all of them open at once
            return int(n or 0)

    readers = [asyncio.create_task(read()) for _ in range(READERS_KEPT * 2 + 1)]
    await asyncio.sleep(0.1)
    release.set()
    assert await asyncio.gather(*readers) == [1] * len(readers)
    pool = db.engine.sync_engine.pool
    if backend == "sqlite":  # the kept readers (no more) and the writer stay checked out
        assert pool.checkedout() == READERS_KEPT + 1
    else:  # every connection back in the pool
        assert pool.checkedout() == 0
    assert await stored(db) == 1

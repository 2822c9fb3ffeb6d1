"""Webhooks arriving together are stored together: each learns exactly which of its events
were new, a delivery repeated inside the same batch is stored once, and a failed write is
each waiting webhook's failure (it answers with an error and the platform retries)."""

from __future__ import annotations

import asyncio

from bot.channels.inbox_batch import InboxBatcher
from storage.channels import InboundItem, pending_inbound
from storage.database import Database


def item(n: int) -> InboundItem:
    return InboundItem(f"m{n}", f"chat{n % 4}", {"n": n})


async def test_deliveries_arriving_together_each_get_their_own_new_events(db: Database) -> None:
    batcher = InboxBatcher(db, "telegram")
    deliveries = [[item(n)] for n in range(20)] + [[item(3)], [item(20), item(21)]]
    results = await asyncio.gather(*(batcher.store(d) for d in deliveries))
    new = [[r.message_id for r in rows] for rows in results]
    assert new[:20] == [[f"m{n}"] for n in range(20)]
    assert new[20] == []  # the same message again, in the same batch: stored once
    assert new[21] == ["m20", "m21"]
    stored = await pending_inbound(db, "telegram")
    assert sorted(r.message_id for r in stored) == sorted(f"m{n}" for n in range(22))
    again = await batcher.store([item(5)])  # a platform's retry later: nothing new
    assert again == []


async def test_a_failed_write_fails_every_delivery_of_its_batch(db: Database) -> None:
    batcher = InboxBatcher(db, "telegram")
    unstorable = InboundItem("bad", "chat", {"not json": object()})
    results = await asyncio.gather(
        batcher.store([unstorable]), batcher.store([item(1)]), return_exceptions=True
    )
    assert all(isinstance(r, Exception) for r in results)  # one transaction, one outcome
    assert await pending_inbound(db, "telegram") == []  # nothing half stored
    assert [r.message_id for r in await batcher.store([item(2)])] == ["m2"]  # it goes on

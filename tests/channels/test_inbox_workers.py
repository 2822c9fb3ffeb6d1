"""Several `shopbot worker` processes share the channel inbox: every stored event is handled
once, each chat's events in the order they came, and a chat a stopped worker held is taken
over once its lease has run out."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable

from sqlalchemy import select

from agents.conversation import ChatService
from agents.types import Incoming, Reply
from bot.channels.hub import ChannelHub
from bot.channels.runtime import ChannelRuntime
from bot.container import Container
from storage.channels import (
    InboundItem,
    claim_inbound,
    claim_send,
    pending_inbound,
    record_sends,
    recover_sends,
    store_inbound,
)
from storage.database import Database
from storage.models import ChannelSend
from tests.channels.conftest import settings_for, telegram_channel
from tests.fakes.telegram_server import FakeTelegram
from tools.registry import Registry

CHATS = 12
PER_CHAT = 5

Handled = dict[str, list[tuple[str, str]]]  # chat -> (worker, text) in handling order


def recording(
    worker: str, handled: Handled, seed: int
) -> Callable[[Incoming], Awaitable[list[Reply]]]:
    rng = random.Random(seed)

    async def handle(incoming: Incoming) -> list[Reply]:
        await asyncio.sleep(rng.uniform(0, 0.02))  # turns of uneven length interleave
        handled[incoming.chat_id].append((worker, incoming.text or ""))
        return []

    return handle


def event(chat: int, n: int) -> InboundItem:
    incoming = Incoming(channel="telegram", chat_id=str(chat), text=f"{chat}:{n}")
    return InboundItem(f"{chat}-{n}", str(chat), {"incoming": incoming.model_dump(mode="json")})


async def store_interleaved(db: Database, turns: range) -> None:
    """Each chat's events stored in order, chats interleaved, in small deliveries."""
    for n in turns:
        for chat in range(CHATS):
            await store_inbound(db, "telegram", [event(1000 + chat, n)])


async def until_handled(db: Database, handled: Handled) -> None:
    async with asyncio.timeout(60):
        while True:
            done = sum(len(v) for v in handled.values()) >= CHATS * PER_CHAT
            if done and not await pending_inbound(db, "telegram"):
                return
            await asyncio.sleep(0.05)


async def test_two_workers_handle_every_event_once_in_each_chats_order(
    db: Database, fake_telegram: FakeTelegram
) -> None:
    handled: Handled = defaultdict(list)
    workers = [
        ChannelRuntime(telegram_channel(fake_telegram), db, recording(name, handled, seed))
        for seed, name in enumerate(("a", "b"))
    ]
    for rt in workers:
        await rt.start(turns=False)
    await store_interleaved(db, range(2))  # a backlog, then more while they work
    follow = [asyncio.create_task(rt.follow_inbox(idle=0.01, chats=3)) for rt in workers]
    try:
        await store_interleaved(db, range(2, PER_CHAT))
        await until_handled(db, handled)
    finally:
        for task in follow:
            task.cancel()
        await asyncio.gather(*follow, return_exceptions=True)
        for rt in workers:
            await rt.stop()
    assert sorted(handled) == [str(1000 + c) for c in range(CHATS)]
    for chat, turns in handled.items():
        assert [text for _w, text in turns] == [f"{chat}:{n}" for n in range(PER_CHAT)]
    by = {w for turns in handled.values() for w, _t in turns}
    assert by == {"a", "b"}  # shared, not one worker doing everything


async def test_a_chat_leased_to_a_live_worker_is_left_to_it(db: Database) -> None:
    await store_inbound(db, "telegram", [event(1, 0), event(2, 0)])
    first = await claim_inbound(db, ["telegram"], "worker-a", lease=30)
    assert {r.chat_id for r in first} == {"1", "2"}
    await store_inbound(db, "telegram", [event(1, 1)])
    assert await claim_inbound(db, ["telegram"], "worker-b", lease=30) == []
    again = await claim_inbound(db, ["telegram"], "worker-a", lease=30, skip={r.id for r in first})
    assert [r.body["incoming"]["text"] for r in again] == ["1:1"]


async def test_a_stopped_workers_chats_are_taken_over_after_the_lease(db: Database) -> None:
    await store_inbound(db, "telegram", [event(1, 0)])
    assert len(await claim_inbound(db, ["telegram"], "worker-a", lease=0.2)) == 1
    assert await claim_inbound(db, ["telegram"], "worker-b", lease=30) == []
    await asyncio.sleep(0.3)  # worker-a stopped: its lease runs out, the event is still open
    taken = await claim_inbound(db, ["telegram"], "worker-b", lease=30)
    assert [r.body["incoming"]["text"] for r in taken] == ["1:0"]


async def test_a_worker_starting_leaves_a_live_workers_sends_alone(db: Database) -> None:
    """A second worker joining must not call the first one's in-flight send uncertain nor
    send its queued ones out of the chat's order; once the first stops (its lease runs out)
    the next start takes them up as after a crash."""
    await store_inbound(db, "telegram", [event(1, 0)])
    assert len(await claim_inbound(db, ["telegram"], "worker-a", lease=0.3)) == 1
    body = {"method": "sendMessage", "params": {"chat_id": 1, "text": "x"}}
    first, second = await record_sends(db, "telegram", "1", [("k1", body), ("k2", body)])
    assert await claim_send(db, first.id)  # worker-a is sending it right now

    assert await recover_sends(db, "telegram", "worker-b", lease=30) == []
    assert await states(db) == {"k1": "sending", "k2": "pending"}

    await asyncio.sleep(0.4)  # worker-a stopped: its lease ran out
    taken = await recover_sends(db, "telegram", "worker-b", lease=30)
    assert [r.id for r in taken] == [second.id]
    assert await states(db) == {"k1": "uncertain", "k2": "pending"}
    # the chat is worker-b's now: a third worker starting leaves it alone
    assert await recover_sends(db, "telegram", "worker-c", lease=30) == []


async def states(db: Database) -> dict[str, str]:
    async with db.transaction(write=False) as tx:
        rows = await tx.session.execute(select(ChannelSend.idempotency_key, ChannelSend.state))
        return {str(k): str(s) for k, s in rows.all()}


async def test_a_worker_answers_as_many_chats_at_once_as_the_setting_allows(
    db: Database, db_url: str, registry: Registry, fake_telegram: FakeTelegram
) -> None:
    """Turns mostly wait for the model, so the chats answered in parallel are what bounds a
    worker's throughput: SHOPBOT_CHAT_CONCURRENCY of them, never more."""
    settings = settings_for(db_url, chat_concurrency=3)
    container = Container.create(settings, db=db, registry=registry)
    chat = ChatService(container.runner, db, shop_name="Shop Test")
    hub = ChannelHub.build(container, chat, channels=[telegram_channel(fake_telegram)])
    in_flight, most, seen = 0, 0, []
    all_seen = asyncio.Event()

    async def slow_model(incoming: Incoming) -> list[Reply]:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        seen.append(incoming.chat_id)
        if len(seen) == 10:
            all_seen.set()
        return []

    hub.runtimes["telegram"].handler = slow_model
    await store_inbound(db, "telegram", [event(100 + c, 0) for c in range(10)])
    await hub.start(receive=False, turns=True)
    try:
        async with asyncio.timeout(30):
            await all_seen.wait()
    finally:
        await hub.stop()
    assert most == 3

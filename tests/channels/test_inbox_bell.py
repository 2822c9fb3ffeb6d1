"""A worker is woken as soon as the server has stored a customer's message (storage.inbox
signal: NOTIFY on PostgreSQL, a datagram beside the SQLite file), instead of finding it at
its next read of the inbox: a retried delivery rings nobody, a dead worker's socket is
cleared away, and a worker whose next read is far off still answers at once."""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import AsyncIterator

import pytest

from agents.types import Incoming, Reply
from bot.channels import runtime as runtime_module
from bot.channels.runtime import ChannelRuntime, follow_inboxes
from storage.channels import InboundItem, store_inbound
from storage.database import Database
from storage.inbox_signal import InboxBell, bell_dir, ring_order
from tests.channels.conftest import telegram_channel
from tests.fakes.telegram_server import FakeTelegram


def event(chat: int, n: int) -> InboundItem:
    incoming = Incoming(channel="telegram", chat_id=str(chat), text=f"{chat}:{n}")
    return InboundItem(f"{chat}-{n}", str(chat), {"incoming": incoming.model_dump(mode="json")})


@pytest.fixture
async def bell(db: Database) -> AsyncIterator[InboxBell]:
    ringer = InboxBell(db)
    await ringer.start()
    async with asyncio.timeout(10):
        while not ringer.live:  # noqa: ASYNC110 (PostgreSQL: until LISTEN is in place)
            await asyncio.sleep(0.01)
    await ringer.wait(0.2)  # the PostgreSQL bell rings once on connecting
    yield ringer
    await ringer.close()


async def test_a_stored_message_rings_and_nothing_else_does(db: Database, bell: InboxBell) -> None:
    bell.clear()
    assert not await bell.wait(0.2)  # nothing stored, nothing rung
    await store_inbound(db, "telegram", [event(1, 0)])
    assert await bell.wait(5.0)
    bell.clear()
    assert await store_inbound(db, "telegram", [event(1, 0)]) == []  # the platform's retry
    assert not await bell.wait(0.3)


async def test_a_socket_left_by_a_dead_sqlite_worker_is_cleared_by_the_next_ring(
    db: Database, bell: InboxBell, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the datagram bell is SQLite's")
    directory = bell_dir(db)
    assert directory is not None
    dead = directory / "12345-dead.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind(str(dead))  # the worker died without removing it
    await asyncio.sleep(1.1)  # the server looks for new sockets at most once a second
    await store_inbound(db, "telegram", [event(2, 0)])
    assert await bell.wait(5.0)  # the live worker is rung all the same
    assert not dead.exists()


async def test_a_worker_whose_next_read_is_far_off_answers_a_new_message_at_once(
    db: Database, bell: InboxBell, fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worker reads the inbox once, then would not read it again for a minute.
    monkeypatch.setattr(runtime_module, "FOLLOW_BUSY", 60.0)
    answered = asyncio.Event()

    async def handle(incoming: Incoming) -> list[Reply]:
        answered.set()
        return []

    rt = ChannelRuntime(telegram_channel(fake_telegram), db, handle)
    await rt.start(turns=False)
    follow = asyncio.create_task(follow_inboxes([rt], idle=60.0, bell=bell))
    try:
        await asyncio.sleep(0.3)  # it has read the (empty) inbox and is pausing
        await store_inbound(db, "telegram", [event(3, 0)])
        async with asyncio.timeout(10):
            await answered.wait()
    finally:
        follow.cancel()
        await asyncio.gather(follow, return_exceptions=True)
        await rt.stop()


async def test_a_rung_worker_reads_the_inbox_on_rings_not_every_few_milliseconds(
    db: Database, bell: InboxBell, fake_telegram: FakeTelegram
) -> None:
    """Every new message rings, so while rings can arrive a worker's own reads are only the
    safety net for a lost one: busy or not, it reads again after ``idle``, not 20 ms after
    each claim (three workers reading every 20 ms were most of their database work)."""
    answered: list[str] = []

    async def handle(incoming: Incoming) -> list[Reply]:
        answered.append(incoming.text or "")
        return []

    rt = ChannelRuntime(telegram_channel(fake_telegram), db, handle)
    await rt.start(turns=False)
    db.trace = []
    follow = asyncio.create_task(follow_inboxes([rt], idle=0.5, bell=bell))
    try:
        for n in range(3):  # a message, answered at once, and a quiet 0.3 s after it
            await store_inbound(db, "telegram", [event(4, n)])
            await asyncio.sleep(0.3)
        async with asyncio.timeout(10):
            while len(answered) < 3:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    finally:
        follow.cancel()
        await asyncio.gather(follow, return_exceptions=True)
        await rt.stop()
        reads = sum(
            "lease_owner" in sql and sql.lstrip().upper().startswith("SELECT")
            for sql, _args, _many in db.trace
        )
        db.trace = None
    assert answered == ["4:0", "4:1", "4:2"]
    # A read at the start, one per ring, at most one timed read per 0.5 s pause: not one
    # per 20 ms of the 0.9 s (45).
    assert reads <= 1 + 3 + 2


def test_each_ring_starts_with_another_worker_and_rings_them_all() -> None:
    """The worker rung first claims the new events; rotating who that is shares the turns
    out evenly among SQLite workers (a fixed order gave one worker twice the others')."""
    workers = ["a.sock", "b.sock", "c.sock"]
    orders = [ring_order(workers, turn) for turn in range(1, 7)]
    assert all(sorted(order) == workers for order in orders)  # nobody is skipped
    firsts = [order[0] for order in orders]
    assert sorted(firsts) == sorted(workers * 2)  # each is first equally often
    assert all(a != b for a, b in itertools.pairwise(firsts))
    assert ring_order([], 5) == []

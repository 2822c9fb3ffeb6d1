"""The in-process SQLite writers' lock (storage.write_lock): a free lock is taken at once even
when others wait, so a queue cannot outlive the hold that caused it (a lock convoy), and
nobody waiting is lost: a woken waiter that finds it taken waits at the front, one that
leaves passes the turn on, one out of patience gets ``TimeoutError`` and leaves no trace."""

from __future__ import annotations

import asyncio

import pytest

from storage.write_lock import WriteLock


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_a_free_lock_is_taken_without_suspending() -> None:
    lock = WriteLock()
    step = lock.acquire(1.0).__await__()
    with pytest.raises(StopIteration):
        next(step)  # finished on the first step: never handed the loop anything to wait on
    assert lock.locked()


async def test_a_newcomer_takes_a_free_lock_before_a_woken_waiter_runs() -> None:
    lock = WriteLock()
    order: list[str] = []
    await lock.acquire(1.0)

    async def waiter() -> None:
        await lock.acquire(1.0)
        order.append("waiter")
        lock.release()

    task = asyncio.create_task(waiter())
    await _settle()  # the waiter is queued
    lock.release()  # wakes it, but it has not run yet
    await lock.acquire(1.0)  # a fair lock would make this newcomer queue behind it
    order.append("newcomer")
    lock.release()
    await task
    assert order == ["newcomer", "waiter"]
    assert not lock.locked()


async def test_a_woken_waiter_that_finds_it_taken_keeps_its_place_at_the_front() -> None:
    lock = WriteLock()
    order: list[str] = []
    await lock.acquire(1.0)

    async def waiter(name: str) -> None:
        await lock.acquire(1.0)
        order.append(name)
        await asyncio.sleep(0)  # holds across a suspension
        lock.release()

    first = asyncio.create_task(waiter("first"))
    await _settle()
    second = asyncio.create_task(waiter("second"))
    await _settle()
    lock.release()  # wakes "first"
    await lock.acquire(1.0)  # a newcomer takes it before "first" runs...
    order.append("newcomer")
    await _settle()  # ...and holds it while "first" runs, finds it taken and waits again
    lock.release()
    await asyncio.gather(first, second)
    assert order == ["newcomer", "first", "second"]


async def test_a_woken_waiter_that_is_cancelled_passes_the_turn_on() -> None:
    lock = WriteLock()
    await lock.acquire(1.0)
    first = asyncio.create_task(lock.acquire(5.0))
    await _settle()
    second = asyncio.create_task(lock.acquire(5.0))
    await _settle()
    lock.release()  # wakes "first"...
    first.cancel()  # ...which leaves before it runs
    async with asyncio.timeout(1.0):
        await second  # the turn was not lost with it
    assert first.cancelled()
    assert lock.locked()


async def test_out_of_patience_is_a_timeout_and_leaves_no_waiter_behind() -> None:
    lock = WriteLock()
    await lock.acquire(1.0)
    with pytest.raises(TimeoutError):
        await lock.acquire(0.02)
    with pytest.raises(TimeoutError):
        await lock.acquire(0.0)  # no patience: refused at once
    lock.release()
    assert not lock.locked()
    await lock.acquire(0.0)  # free again, nobody stale in front
    assert lock.locked()

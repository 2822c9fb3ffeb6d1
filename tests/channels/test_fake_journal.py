"""The fakes' journal as the channel bench reads it from another process (``/_fake/sent``):
positions, and the long poll that lets the bench follow it without asking many times a
second. The bench's measured times come from here, so what it returns must be exact."""

from __future__ import annotations

import asyncio

import httpx

from tests.channels.conftest import FB_PAGE_TOKEN
from tests.fakes.graph_server import FakeGraph


async def test_a_long_poll_returns_the_message_sent_while_it_waited() -> None:
    fake = await FakeGraph(FB_PAGE_TOKEN).start(control=True)
    try:
        async with httpx.AsyncClient(base_url=fake.url) as http:
            fake.record("u1", "send", {"message": {"text": "first"}})
            got = (await http.get("/_fake/sent", params={"since": 0})).json()
            assert got["next"] == 1
            assert [(c, t) for c, _at, t in got["sent"]] == [("u1", "first")]

            waiting = asyncio.create_task(http.get("/_fake/sent", params={"since": 1, "wait": 30}))
            await asyncio.sleep(0.05)
            assert not waiting.done()  # nothing new yet: it waits
            fake.record("u2", "send", {"message": {"text": "second"}})
            later = (await asyncio.wait_for(waiting, 10)).json()
        assert later["next"] == 2
        ((chat, at, text),) = later["sent"]
        assert (chat, text) == ("u2", "second")
        assert at == fake.journal[1].at  # the fake's own time, not the reader's
    finally:
        await fake.stop()


async def test_a_long_poll_with_nothing_new_ends_empty_after_its_wait() -> None:
    fake = await FakeGraph(FB_PAGE_TOKEN).start(control=True)
    try:
        async with httpx.AsyncClient(base_url=fake.url) as http:
            got = (await http.get("/_fake/sent", params={"since": 0, "wait": 0.05})).json()
    finally:
        await fake.stop()
    assert got == {"next": 0, "sent": [], "429": 0}

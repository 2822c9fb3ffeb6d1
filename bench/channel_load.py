"""The customers of ``python -m bench.channels``, in a process of their own.

``python -m bench.channel_load PLAN.json OUT.json``: each customer of the plan writes to the
shop's webhook as its platform would (signed as the platform signs), waits until the answer
reached the fake platform (the fakes' ``/_fake/sent`` journal, long-polled), thinks, and
writes again. Kept apart from the bench's orchestrator and from the shop so that their CPU
is not what is measured; and kept cheap, because on one machine what the customers and the
fakes spend is taken from the shop (requests over aiohttp, as the shop's own; the journals
followed by long polls, not by reading them 150 times a second). Times are CLOCK_MONOTONIC,
shared by the processes of the machine, so the fakes' delivery times compare with the send
times here.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.chat import CLIENT_SHARD, QUESTIONS
from bot.channels.messenger import messenger_signature
from bot.channels.zalo import zalo_signature
from integrations.http import outbound_client

PLATFORMS = ("telegram", "messenger", "zalo")
TURN_SECONDS = 120.0  # an answer later than this counts as missing
JOURNAL_WAIT = 1.0  # seconds a journal read waits for something new


@dataclasses.dataclass(frozen=True)
class Secrets:
    telegram: str
    messenger: str
    zalo_app_id: str
    zalo_oa_key: str


@dataclasses.dataclass
class Turn:
    platform: str
    chat: str
    index: int
    sent: float
    ack: float = math.nan
    status: int = 0
    reply: float = math.nan  # first message to the chat after this one was sent
    replies: int = 0


def platform_of(i: int) -> str:
    return PLATFORMS[i % 3]


def chat_of(i: int) -> str:
    """The chat id the shop sees for customer ``i`` (the bench finds notifications by it)."""
    return str((100_000, 200_000, 300_000)[i % 3] + i)


def text_of(mode: str, m: int, i: int) -> str:
    if mode == "buttons":
        return "/start" if m == 0 else "ao thun"
    return QUESTIONS[(i + m) % len(QUESTIONS)]


def delivery(i: int, m: int, text: str, s: Secrets) -> tuple[str, bytes, dict[str, str]]:
    """What platform ``i % 3`` posts to the shop for message ``m`` of customer ``i``."""
    chat = chat_of(i)
    json_type = {"Content-Type": "application/json"}
    if platform_of(i) == "telegram":
        update = {
            "update_id": i * 100 + m,
            "message": {
                "message_id": m + 1,
                "date": 1_700_000_000,
                "chat": {"id": int(chat), "type": "private"},
                "from": {"id": int(chat), "is_bot": False, "first_name": "Khách"},
                "text": text,
            },
        }
        raw = json.dumps(update).encode()
        return (
            "/webhooks/telegram/customer",
            raw,
            {"X-Telegram-Bot-Api-Secret-Token": s.telegram, **json_type},
        )
    if platform_of(i) == "messenger":
        event = {
            "sender": {"id": chat},
            "recipient": {"id": "PAGE"},
            "timestamp": 1_700_000_000_000 + m,
            "message": {"mid": f"mid.{i}.{m}", "text": text},
        }
        raw = json.dumps(
            {"object": "page", "entry": [{"id": "PAGE", "messaging": [event]}]}
        ).encode()
        return (
            "/webhooks/messenger",
            raw,
            {"X-Hub-Signature-256": messenger_signature(s.messenger, raw), **json_type},
        )
    stamp = str(1_700_000_000_000 + i * 100 + m)
    body = {
        "app_id": s.zalo_app_id,
        "event_name": "user_send_text",
        "sender": {"id": chat},
        "recipient": {"id": "OA"},
        "message": {"text": text, "msg_id": f"z{i}.{m}"},
        "timestamp": stamp,
    }
    raw = json.dumps(body).encode()
    signature = zalo_signature(s.zalo_app_id, raw, stamp, s.zalo_oa_key)
    return "/webhooks/zalo", raw, {"X-ZEvent-Signature": signature, **json_type}


class Inboxes:
    """What reached each chat at the fakes, followed by reading their journals."""

    def __init__(self, fakes: dict[str, str]) -> None:
        self.fakes = fakes
        self.at: dict[str, list[float]] = {}
        self.changed: dict[str, asyncio.Event] = {}  # per chat: something new arrived

    async def follow(self, client: httpx.AsyncClient) -> None:
        await asyncio.gather(*(self._follow(client, url) for url in self.fakes.values()))

    async def _follow(self, client: httpx.AsyncClient, url: str) -> None:
        """One fake's journal; the times are the fake's own, so how late this reads them
        does not change what is measured."""
        position = 0
        while True:
            got = (
                await client.get(
                    f"{url}/_fake/sent", params={"since": position, "wait": JOURNAL_WAIT}
                )
            ).json()
            position = got["next"]
            for chat, at, _text in got["sent"]:
                self.at.setdefault(str(chat), []).append(float(at))
                self.changed.setdefault(str(chat), asyncio.Event()).set()

    async def first_after(self, chat: str, since: float) -> float:
        """When the chat got its first message sent after ``since`` (NaN: none in time)."""
        changed = self.changed.setdefault(chat, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(TURN_SECONDS):
                while True:
                    found = [t for t in self.at.get(chat, ()) if t >= since]
                    if found:
                        return found[0]
                    changed.clear()
                    await changed.wait()
        return math.nan

    async def quiet(self, chat: str, seconds: float) -> None:
        """Until the chat got nothing for ``seconds`` (the rest of a multi-message answer)."""
        while True:
            last = max(self.at.get(chat, [0.0]))
            wait = last + seconds - time.monotonic()
            if wait <= 0:
                return
            await asyncio.sleep(wait)


async def customer(
    client: httpx.AsyncClient,
    inboxes: Inboxes,
    i: int,
    plan: dict[str, Any],
    s: Secrets,
    out: list[Turn],
) -> None:
    rng = random.Random(plan["seed"] * 1_000_003 + i)
    chat = chat_of(i)
    for m in range(plan["messages"]):
        await asyncio.sleep(rng.uniform(0 if m == 0 else plan["think"] / 2, plan["think"]))
        path, raw, headers = delivery(i, m, text_of(plan["mode"], m, i), s)
        turn = Turn(platform_of(i), chat, m, time.monotonic())
        out.append(turn)
        try:
            resp = await client.post(path, content=raw, headers=headers)
            turn.status = resp.status_code
        except httpx.HTTPError:
            turn.status = 0
        turn.ack = time.monotonic() - turn.sent
        turn.reply = await inboxes.first_after(chat, turn.sent)
        if math.isnan(turn.reply):
            return
        await inboxes.quiet(chat, plan["quiet"])
        turn.replies = sum(1 for t in inboxes.at.get(chat, ()) if t >= turn.sent)


async def run(plan: dict[str, Any]) -> list[Turn]:
    s = Secrets(**plan["secrets"])
    ids: list[int] = plan["customers"]
    shards = [
        outbound_client(
            base_url=plan["base"],
            timeout=60.0,
            max_connections=CLIENT_SHARD + 2,
            keepalive_expiry=2.0,  # uvicorn drops idle connections after 5 s
        )
        for _ in range(math.ceil(len(ids) / CLIENT_SHARD))
    ]
    watcher = outbound_client(timeout=30.0)
    # Messenger and Zalo answer only users who wrote (their messaging windows).
    for name in ("messenger", "zalo"):
        users = [chat_of(i) for i in ids if platform_of(i) == name]
        await watcher.post(f"{plan['fakes'][name]}/_fake/wrote", json={"users": users})
    inboxes = Inboxes(plan["fakes"])
    following = asyncio.create_task(inboxes.follow(watcher))
    turns: list[Turn] = []
    gc.collect()
    gc.freeze()  # no long collections in the load generator (see bench.chat)
    await asyncio.sleep(max(0.0, plan["start_at"] - time.monotonic()))
    await asyncio.gather(
        *(customer(shards[k % len(shards)], inboxes, i, plan, s, turns) for k, i in enumerate(ids))
    )
    following.cancel()
    for c in [*shards, watcher]:
        await c.aclose()
    return turns


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text())
    turns = asyncio.run(run(plan))
    Path(sys.argv[2]).write_text(json.dumps([dataclasses.asdict(t) for t in turns]))


if __name__ == "__main__":
    main()

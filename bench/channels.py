"""`python -m bench.channels`: many customers writing at once on Telegram, Messenger and Zalo.

One process holds everything, on 127.0.0.1: the app's channel webhooks served by uvicorn on a
fresh SQLite database with the demo catalogue, the three fake platform servers of the test
suite (tests/fakes/, so this runs from a checkout), and the customers: ``n`` coroutines spread
over the three platforms, each sending ``messages`` messages with a think time drawn from
``[0, think]`` seconds before each one. The platforms' real pacing applies (Telegram 1/s per
chat, 30/s overall...), the button flow answers (no LLM).

Reported: the webhook acknowledgement latency as the platform sees it (request sent -> 200),
p50/p99/max; the webhook's own work inside the server (``accept``: signature checked, parsed,
stored); and the time until every reply reached its fake platform. Sharing one interpreter
with the fakes and the clients makes the figures pessimistic.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select

from agents.conversation import ChatService
from bot.channels.app import install_channels
from bot.channels.base import Channel
from bot.channels.hub import ChannelHub
from bot.channels.messenger import MessengerChannel, messenger_signature
from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.zalo import ZaloChannel, zalo_signature
from bot.channels.zalo_tokens import ZaloTokens
from bot.container import Container, load_settings
from bot.demo_data import load_demo_data
from storage.migrate import upgrade_async
from storage.models import ChannelInbox, ChannelSend

SECRET = "bench-secret"
FB_SECRET = "bench-app-secret"
ZL = {"app_id": "1", "app_secret": "zs", "refresh_token": "r0", "oa_key": "ok"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _channels(container: Container, urls: dict[str, str]) -> list[Channel]:
    return [
        TelegramChannel(make_bot("123456:TEST-token", urls["telegram"]), webhook_secret=SECRET),
        MessengerChannel(
            api_base=urls["messenger"],
            page_token="page-token-test",
            app_secret=FB_SECRET,
            verify_token="v",
        ),
        ZaloChannel(
            api_base=urls["zalo"],
            app_id=ZL["app_id"],
            oa_secret_key=ZL["oa_key"],
            tokens=ZaloTokens(
                container.db,
                httpx.AsyncClient(timeout=30.0),
                oauth_base=urls["zalo"],
                app_id=ZL["app_id"],
                app_secret=ZL["app_secret"],
                first_refresh_token=ZL["refresh_token"],
            ),
        ),
    ]


_CHILDREN: list[subprocess.Popen[bytes]] = []
_TEMP: list[Path] = []


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    child = subprocess.Popen([sys.executable, "-m", "bot.cli", *args], env=env)
    _CHILDREN.append(child)
    return child


@atexit.register
def _stop_children() -> None:
    """The server, the worker and the temporary database go with the bench, a failed run
    included."""
    for child in _CHILDREN:
        if child.poll() is None:
            child.terminate()
            child.wait(timeout=30)
    for tmp in _TEMP:
        shutil.rmtree(tmp, ignore_errors=True)


def _environment(db_url: str, port: int, tg: Any, fb: Any, zl: Any) -> dict[str, str]:
    """The settings a shop on the three (fake) platforms would set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPBOT_", "OPENAI_"))}
    env.update(
        {
            "SHOPBOT_DATABASE_URL": db_url,
            "SHOPBOT_HOST": "127.0.0.1",
            "SHOPBOT_PORT": str(port),
            "SHOPBOT_LOG_LEVEL": "WARNING",
            "SHOPBOT_PUBLIC_URL": "https://bench.test",
            "SHOPBOT_TELEGRAM_CUSTOMER_TOKEN": tg.token,
            "SHOPBOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "SHOPBOT_TELEGRAM_API_BASE": tg.url,
            "SHOPBOT_MESSENGER_PAGE_TOKEN": fb.page_token,
            "SHOPBOT_MESSENGER_APP_SECRET": FB_SECRET,
            "SHOPBOT_MESSENGER_VERIFY_TOKEN": "v",
            "SHOPBOT_MESSENGER_API_BASE": fb.api_base,
            "SHOPBOT_ZALO_APP_ID": ZL["app_id"],
            "SHOPBOT_ZALO_OA_SECRET_KEY": ZL["oa_key"],
            "SHOPBOT_ZALO_APP_SECRET": ZL["app_secret"],
            "SHOPBOT_ZALO_REFRESH_TOKEN": ZL["refresh_token"],
            "SHOPBOT_ZALO_API_BASE": zl.url,
            "SHOPBOT_ZALO_OAUTH_BASE": zl.url,
        }
    )
    return env


async def _healthy(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client, asyncio.timeout(60):
        while True:
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)


async def _settled(container: Container) -> None:
    """Every stored event answered and every message sent (the worker is another process)."""
    while True:
        async with container.db.transaction(write=False) as tx:
            open_events = await tx.session.scalar(
                select(func.count()).select_from(ChannelInbox).where(ChannelInbox.done.is_(False))
            )
            open_sends = await tx.session.scalar(
                select(func.count())
                .select_from(ChannelSend)
                .where(ChannelSend.state.in_(("pending", "sending")))
            )
        if not open_events and not open_sends:
            return
        await asyncio.sleep(0.2)


async def run(
    n: int,
    messages: int,
    think: float,
    *,
    processes: bool = False,
    database_url: str | None = None,
) -> dict[str, Any]:
    from tests.fakes.graph_server import FakeGraph
    from tests.fakes.telegram_server import FakeTelegram
    from tests.fakes.zalo_server import FakeZalo

    tmp = Path(tempfile.mkdtemp(prefix="shopbot-bench-channels-"))
    _TEMP.append(tmp)
    url = database_url or f"sqlite:///{tmp / 'shop.db'}"
    await upgrade_async(url)
    settings = load_settings(database_url=url, llm_api_key=None, llm_base_url=None, _env_file=None)
    container = Container.create(settings)
    await load_demo_data(container.runner)

    tg, fb = FakeTelegram(), FakeGraph()
    zl = FakeZalo(
        app_id=ZL["app_id"], app_secret=ZL["app_secret"], refresh_token=ZL["refresh_token"]
    )
    for fake in (tg, fb, zl):
        await fake.start()
    port = _free_port()
    inside: list[float] = []  # the webhook's own work: signature checked, parsed, stored
    children: list[subprocess.Popen[bytes]] = []
    if processes:  # the real commands, configured as a shop would: serve and a worker
        env = _environment(url, port, tg, fb, zl)
        children = [_spawn(["serve", "--no-workers"], env), _spawn(["worker"], env)]
        await _healthy(f"http://127.0.0.1:{port}")
        server, serving, hub = None, None, None
    else:
        urls = {"telegram": tg.url, "messenger": fb.api_base, "zalo": zl.url}
        chat = ChatService(container.runner, container.db, shop_name="Bench")
        hub = ChannelHub.build(container, chat, channels=_channels(container, urls))
        hub.public_url = "https://bench.test"
        for rt in hub.runtimes.values():
            rt.accept = _timed(rt.accept, inside)  # type: ignore[method-assign,assignment]
        app = FastAPI()
        install_channels(app, container, hub=hub)
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=port,
                log_level="warning",
                lifespan="on",
                timeout_keep_alive=120,
            )
        )
        serving = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 (uvicorn sets a flag, no event)
            await asyncio.sleep(0.05)

    acks: list[float] = []
    base = f"http://127.0.0.1:{port}"
    # Below uvicorn's 5 s keep-alive: a connection the server closed is never reused.
    limits = httpx.Limits(max_connections=200, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as client:

        async def customer(i: int) -> None:
            rng = random.Random(i)
            for m in range(messages):
                await asyncio.sleep(rng.uniform(0, think))
                text = "/start" if m == 0 else "ao thun"
                path, raw, headers = _delivery(i, m, text, fb, zl)
                started = time.perf_counter()
                resp = await client.post(path, content=raw, headers=headers)
                acks.append(time.perf_counter() - started)
                assert resp.status_code == 200, resp.text

        began = time.perf_counter()
        await asyncio.gather(*(customer(i) for i in range(n)))
        sent_all = time.perf_counter() - began
        if hub is not None:
            await hub.drain()
        else:
            await _settled(container)
        done = time.perf_counter() - began
    if server is not None and serving is not None:
        server.should_exit = True
        await serving
    for child in children:
        child.terminate()
        child.wait(timeout=30)
    for fake in (tg, fb, zl):
        await fake.stop()
    await container.aclose()
    acks.sort()
    inside.sort()
    return {
        "customers": n,
        "messages": n * messages,
        "ack_p50_ms": round(statistics.median(acks) * 1000, 1),
        "ack_p99_ms": round(acks[int(len(acks) * 0.99) - 1] * 1000, 1),
        "ack_max_ms": round(acks[-1] * 1000, 1),
        "accept_p50_ms": round(statistics.median(inside) * 1000, 1) if inside else None,
        "accept_p99_ms": round(inside[int(len(inside) * 0.99) - 1] * 1000, 1) if inside else None,
        "last_message_sent_s": round(sent_all, 1),
        "all_replies_delivered_s": round(done, 1),
        "replies": tg.count() + fb.count() + zl.count(),
        "too_many_429": tg.too_many + fb.too_many + zl.too_many,
    }


def _timed(
    accept: Callable[[dict[str, Any]], Awaitable[int]], into: list[float]
) -> Callable[[dict[str, Any]], Awaitable[int]]:
    async def timed(update: dict[str, Any]) -> int:
        started = time.perf_counter()
        try:
            return await accept(update)
        finally:
            into.append(time.perf_counter() - started)

    return timed


def _delivery(i: int, m: int, text: str, fb: Any, zl: Any) -> tuple[str, bytes, dict[str, str]]:
    kind = i % 3
    if kind == 0:
        uid = 100_000 + i
        update = {
            "update_id": i * 10 + m,
            "message": {
                "message_id": m + 1,
                "date": 1_700_000_000,
                "chat": {"id": uid, "type": "private"},
                "from": {"id": uid, "is_bot": False, "first_name": "Khách"},
                "text": text,
            },
        }
        raw = json.dumps(update).encode()
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
        return "/webhooks/telegram/customer", raw, headers
    if kind == 1:
        psid = f"{200_000 + i}"
        fb.user_wrote(psid)
        event = {
            "sender": {"id": psid},
            "recipient": {"id": "PAGE"},
            "timestamp": 1_700_000_000_000 + m,
            "message": {"mid": f"mid.{i}.{m}", "text": text},
        }
        raw = json.dumps(
            {"object": "page", "entry": [{"id": "PAGE", "messaging": [event]}]}
        ).encode()
        headers = {
            "X-Hub-Signature-256": messenger_signature(FB_SECRET, raw),
            "Content-Type": "application/json",
        }
        return "/webhooks/messenger", raw, headers
    user = f"{300_000 + i}"
    zl.user_wrote(user)
    stamp = str(1_700_000_000_000 + i * 10 + m)
    body = {
        "app_id": ZL["app_id"],
        "event_name": "user_send_text",
        "sender": {"id": user},
        "recipient": {"id": "OA"},
        "message": {"text": text, "msg_id": f"z{i}.{m}"},
        "timestamp": stamp,
    }
    raw = json.dumps(body).encode()
    headers = {
        "X-ZEvent-Signature": zalo_signature(ZL["app_id"], raw, stamp, ZL["oa_key"]),
        "Content-Type": "application/json",
    }
    return "/webhooks/zalo", raw, headers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=2)
    parser.add_argument("--think", type=float, default=10.0)
    parser.add_argument(
        "--processes",
        action="store_true",
        help="The real `shopbot serve --no-workers` and `shopbot worker`, set up by settings",
    )
    parser.add_argument(
        "--database-url", help="An empty, disposable database (default: a new SQLite file)"
    )
    args = parser.parse_args()
    result = asyncio.run(
        run(
            args.n,
            args.messages,
            args.think,
            processes=args.processes,
            database_url=args.database_url,
        )
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

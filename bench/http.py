"""`shopbot bench http`: create_order and get_product through uvicorn, next to in-process.

The server is the real one (`shopbot serve` in its own process, SQLite file, one worker);
50 clients (one keep-alive connection each) send the calls as fast as they are answered, with
an owner's API key. The same calls through ``ToolRunner`` in this process, with the same
concurrency on a copy of the same database, give the in-process figure: the ratio is what the
HTTP layer (uvicorn, FastAPI, authentication, JSON both ways) costs per call.
"""

from __future__ import annotations

import asyncio
import contextlib
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.chat import Children, child_env, free_port, workspace
from bench.orders import ADDRESS
from core.roles import Actor, Role
from storage.database import Database
from storage.migrate import upgrade_async
from tools import build_registry
from tools.runner import ToolRunner

CLIENTS = 50
STARTUP_SECONDS = 60.0
OWNER = Actor(role=Role.OWNER, staff_id=1, name="Bench")  # as the API key's owner
CREATE_ORDER = {
    "channel": "phone",
    "buyer_name": "Nguyễn Văn Bench",
    "buyer_phone": "0912345678",
    "address": ADDRESS,
    "lines": [{"sku": "BENCH-A", "quantity": 1}, {"sku": "BENCH-B", "quantity": 2}],
}
GET_PRODUCT = {"code": "BENCH"}
CALLS: dict[str, dict[str, Any]] = {"create_order": CREATE_ORDER, "get_product": GET_PRODUCT}


@dataclass
class Run:
    label: str
    tool: str
    latencies: list[float]
    seconds: float

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def _seed(url: str) -> str:
    """Warehouse, a two-variant product with plenty of stock, an owner and their API key."""
    await upgrade_async(url)
    db = Database(url)
    try:
        runner = ToolRunner(db, build_registry())
        system = Actor.system()
        await runner.call("create_warehouse", {"code": "HCM", "name": "Kho Quận 7"}, system)
        stock = [{"warehouse_code": "HCM", "quantity": 1_000_000}]
        await runner.call(
            "create_product",
            {
                "code": "BENCH",
                "name": "Áo thun bench",
                "attributes": ["Size"],
                "variants": [
                    {
                        "sku": "BENCH-A",
                        "options": {"Size": "M"},
                        "sale_price": 149_000,
                        "stock": stock,
                    },
                    {
                        "sku": "BENCH-B",
                        "options": {"Size": "L"},
                        "sale_price": 159_000,
                        "stock": stock,
                    },
                ],
            },
            system,
        )
        await runner.call("add_staff", {"name": "Bench", "role": "owner"}, system)
        made = await runner.call("create_api_key", {"staff_name": "Bench"}, system)
        key: str = made.model_dump()["api_key"]
        return key
    finally:
        await db.dispose()


async def _drive(n: int, call: Callable[[], Awaitable[None]]) -> tuple[list[float], float]:
    """``n`` calls by CLIENTS concurrent workers; each call's latency and the wall time."""
    latencies: list[float] = []
    left = n

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            began = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - began)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    return latencies, time.perf_counter() - started


async def in_process(url: str, n: int) -> list[Run]:
    db = Database(url, pool_size=CLIENTS)
    runner = ToolRunner(db, build_registry())
    runs = []
    try:
        for tool, args in CALLS.items():

            async def call(tool: str = tool, args: dict[str, Any] = args) -> None:
                await runner.call(tool, args, OWNER, surface="bench")

            await _drive(CLIENTS, call)  # warm: statement caches, pool connections
            latencies, seconds = await _drive(n, call)
            runs.append(Run("in-process (ToolRunner)", tool, latencies, seconds))
    finally:
        await runner.aclose()
        await db.dispose()
    return runs


async def over_http(port: int, key: str, n: int) -> list[Run]:
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    headers = {"Authorization": f"Bearer {key}"}
    runs = []
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60, trust_env=False
    ) as client:
        for tool, args in CALLS.items():

            async def call(tool: str = tool, args: dict[str, Any] = args) -> None:
                resp = await client.post(f"/api/tools/{tool}", json=args, headers=headers)
                if resp.status_code != 200:
                    raise RuntimeError(f"{tool}: HTTP {resp.status_code} {resp.text[:300]}")

            await _drive(CLIENTS, call)
            latencies, seconds = await _drive(n, call)
            runs.append(Run("HTTP (uvicorn, 50 clients)", tool, latencies, seconds))
    return runs


async def _wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False) as c:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if (await c.get("/healthz", timeout=2)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not answer in time")


def _start_server(children: Children, tmp: Path, url: str, port: int) -> subprocess.Popen[bytes]:
    env = child_env(
        SHOPBOT_DATABASE_URL=url,
        SHOPBOT_HOST="127.0.0.1",
        SHOPBOT_PORT=str(port),
        SHOPBOT_LOG_LEVEL="WARNING",
    )
    with (tmp / "server.log").open("wb") as out:
        return children.start(
            [sys.executable, "-m", "bot.cli", "serve"], env=env, cwd=tmp, log=out, stdout=out
        )


async def run(n: int) -> list[Run]:
    with workspace() as (tmp, children):
        served = tmp / "http.db"
        url = f"sqlite:///{served}"
        key = await _seed(url)
        copy = tmp / "inprocess.db"
        shutil.copy(served, copy)
        runs = await in_process(f"sqlite:///{copy}", n)
        port = free_port()
        proc = _start_server(children, tmp, url, port)
        await _wait_ready(port, proc)
        runs += await over_http(port, key, n)
    return runs


def report(runs: list[Run], n: int) -> str:
    lines = [
        f"shopbot bench http — {n} calls per row, {CLIENTS} concurrent clients, SQLite "
        f"{sqlite3.sqlite_version}, Python {platform.python_version()}, "
        f"{platform.machine()}",
        "",
        "| tool | path | calls/s | p50 ms | p99 ms | HTTP / in-process |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    base = {r.tool: r.per_second for r in runs if r.label.startswith("in-process")}
    for r in runs:
        ratio = r.per_second / base[r.tool] if base.get(r.tool) else 0.0
        lines.append(
            f"| {r.tool} | {r.label} | {r.per_second:,.0f} | {r.percentile(0.5):.1f} | "
            f"{r.percentile(0.99):.1f} | {ratio:.2f} |"
        )
    med = statistics.median(len(r.latencies) for r in runs) if runs else 0
    lines.append(f"\n({med:.0f} calls measured per row after a warm-up of {CLIENTS}.)")
    return "\n".join(lines)


def run_cli(n: int) -> None:
    runs = asyncio.run(run(n))
    print(report(runs, n))

"""`shopbot bench http`: create_order and get_product through uvicorn, next to in-process.

The server is the real one (`shopbot serve` in its own process, SQLite file, one worker);
50 clients (one keep-alive connection each, spread over client processes of their own:
bench/http_load.py) send the calls as fast as they are answered, with an owner's API key. The
same calls through ``ToolRunner`` in this process, with the same concurrency on a copy of the
same database, give the in-process figure: the ratio is what the HTTP layer (uvicorn, FastAPI,
authentication, JSON both ways) costs per call. Next to calls/s, each row shows the CPU time
the serving process spent per call, which the other load on a shared machine disturbs far less.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
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
from bench.http_load import Load, request_bytes, run_clients
from bench.orders import ADDRESS
from core.roles import Actor, Role
from storage.database import Database
from storage.migrate import upgrade_async
from tools import build_registry
from tools.runner import ToolRunner

CLIENTS = 50
CLIENT_PROCESSES = 2
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
    cpu_seconds: float | None = None  # of the serving process, over the measured calls
    failed: int = 0
    errors: tuple[str, ...] = ()
    reconnects: int = 0  # connections the server closed and the clients opened again

    @property
    def cpu_ms_per_call(self) -> float | None:
        if self.cpu_seconds is None or not self.latencies:
            return None
        return self.cpu_seconds / len(self.latencies) * 1000

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
            cpu = time.process_time()
            latencies, seconds = await _drive(n, call)
            cpu = time.process_time() - cpu
            runs.append(Run("in-process (ToolRunner)", tool, latencies, seconds, cpu))
    finally:
        await runner.aclose()
        await db.dispose()
    return runs


async def over_http(port: int, key: str, n: int, server_pid: int) -> list[Run]:
    runs = []
    for tool, args in CALLS.items():
        request = request_bytes(port, f"/api/tools/{tool}", key, args)
        await asyncio.to_thread(  # warm-up: the server's caches, the key cache
            run_clients, port, request, CLIENTS, connections=CLIENTS, processes=1
        )
        cpu = _process_cpu_seconds(server_pid)
        loads = await asyncio.to_thread(
            run_clients, port, request, n, connections=CLIENTS, processes=CLIENT_PROCESSES
        )
        used = _process_cpu_seconds(server_pid)
        runs.append(_http_run(tool, loads, None if cpu is None or used is None else used - cpu))
    return runs


def _http_run(tool: str, loads: list[Load], cpu_seconds: float | None) -> Run:
    latencies = [t for load in loads for t in load.latencies]
    seconds = max(load.ended for load in loads) - min(load.started for load in loads)
    errors = tuple(e for load in loads for e in load.errors)
    label = f"HTTP (uvicorn, {CLIENTS} clients)"
    failed = sum(load.failed for load in loads)
    reconnects = sum(load.reconnects for load in loads)
    return Run(label, tool, latencies, seconds, cpu_seconds, failed, errors, reconnects)


def _process_cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of another process, from /proc (Linux); None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    with workspace("shopbot-bench-http-") as (tmp, children):
        served = tmp / "http.db"
        url = f"sqlite:///{served}"
        key = await _seed(url)
        copy = tmp / "inprocess.db"
        shutil.copy(served, copy)
        runs = await in_process(f"sqlite:///{copy}", n)
        port = free_port()
        proc = _start_server(children, tmp, url, port)
        await _wait_ready(port, proc)
        runs += await over_http(port, key, n, proc.pid)
    return runs


def report(runs: list[Run], n: int) -> str:
    lines = [
        f"shopbot bench http — {n} calls per row, {CLIENTS} concurrent clients, SQLite "
        f"{sqlite3.sqlite_version}, Python {platform.python_version()}, "
        f"{platform.machine()}",
        "",
        "| tool | path | calls/s | p50 ms | p99 ms | CPU ms/call | HTTP / in-process |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    base = {r.tool: r.per_second for r in runs if r.label.startswith("in-process")}
    for r in runs:
        ratio = r.per_second / base[r.tool] if base.get(r.tool) else 0.0
        cpu = r.cpu_ms_per_call
        lines.append(
            f"| {r.tool} | {r.label} | {r.per_second:,.0f} | {r.percentile(0.5):.1f} | "
            f"{r.percentile(0.99):.1f} | {'n/a' if cpu is None else f'{cpu:.2f}'} | {ratio:.2f} |"
        )
    med = statistics.median(len(r.latencies) for r in runs) if runs else 0
    lines.append(
        f"\n({med:.0f} calls measured per row after a warm-up of {CLIENTS}; HTTP clients in "
        f"{CLIENT_PROCESSES} processes of their own; CPU: of the process serving the calls; "
        f"load average {os.getloadavg()[0]:.1f}.)"
    )
    for r in runs:
        if r.reconnects:
            lines.append(f"\n{r.tool} over HTTP: the server closed {r.reconnects} connections.")
        if r.failed:
            lines.append(f"\n{r.tool} over HTTP: {r.failed} calls failed, e.g.:")
            lines.extend(f"  {e}" for e in r.errors)
    return "\n".join(lines)


def run_cli(n: int) -> None:
    runs = asyncio.run(run(n))
    print(report(runs, n))

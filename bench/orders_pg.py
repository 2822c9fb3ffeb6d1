"""PostgreSQL half of `shopbot bench orders`: the tools layer next to the raw asyncpg ceiling.

Two workloads, each with 1 and 16 clients:
* hot: every order buys the same two SKUs (a flash sale: all transactions queue on two rows);
* spread: every order buys two SKUs drawn from 1,000.

The ceiling replays the exact statements of real orders (recorded with ``Database.trace``
from ``place_order`` calls on the same rows) on bare asyncpg connections, one transaction per
order: what PostgreSQL itself allows for this transaction shape on this machine. The ratio
says what our layers cost. The two sides run in alternating rounds.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text

from core.roles import Actor
from storage.database import Database
from storage.migrate import upgrade_async
from tools import build_registry
from tools.runner import ToolRunner

ADDRESS = {"line": "12 Nguyễn Huệ", "ward": "Bến Nghé", "district": "Quận 1", "province": "TP HCM"}
HOT = ("BENCH-A", "BENCH-B")
SPREAD = [f"S{i:04d}" for i in range(1000)]
STOCK = 1_000_000
ROUNDS = 4
Trace = list[tuple[str, Any, bool]]
Lines = list[dict[str, Any]]


@dataclass
class Column:
    workload: str
    clients: int
    raw: float  # orders per second
    tools: float

    @property
    def ratio(self) -> float:
        return self.tools / self.raw if self.raw else 0.0


def order(lines: Lines) -> dict[str, Any]:
    return {
        "lines": lines,
        "buyer_name": "Nguyễn Văn Bench",
        "buyer_phone": "0912345678",
        "address": ADDRESS,
    }


def hot_lines(_rnd: random.Random) -> Lines:
    return [{"sku": HOT[0], "quantity": 1}, {"sku": HOT[1], "quantity": 2}]


def spread_lines(rnd: random.Random) -> Lines:
    return [{"sku": s, "quantity": 1} for s in rnd.sample(SPREAD, 2)]


async def _fresh_schema(url: str) -> None:
    """The database is disposable: its public schema is dropped and rebuilt."""
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await db.dispose()
    await upgrade_async(url)


async def _prepare(runner: ToolRunner) -> Actor:
    system = Actor.system()
    for code, kind in (("HCM", "main"), ("HN", "branch")):
        await runner.call("create_warehouse", {"code": code, "name": code, "kind": kind}, system)

    def variant(sku: str) -> dict[str, Any]:
        return {
            "sku": sku,
            "options": {"Size": sku},
            "cost_price": 80_000,
            "sale_price": 149_000,
            "stock": [{"warehouse_code": "HCM", "quantity": STOCK}],
        }

    groups = [("BENCH", list(HOT))] + [
        (f"SP{i}", SPREAD[i * 250 : (i + 1) * 250]) for i in range(4)
    ]
    for code, skus in groups:
        await runner.call(
            "create_product",
            {
                "code": code,
                "name": f"Áo {code}",
                "category": "Áo thun",
                "attributes": ["Size"],
                "variants": [variant(s) for s in skus],
            },
            system,
        )
    customer = await runner.call(
        "create_customer",
        {"name": "Nguyễn Văn Bench", "phone": "0912345678", "address": ADDRESS},
        system,
    )
    return Actor.customer(customer.model_dump()["id"])


async def _tools(
    runner: ToolRunner, actor: Actor, pick: Callable[[random.Random], Lines], n: int, clients: int
) -> float:
    async def worker(count: int, seed: int) -> None:
        rnd = random.Random(seed)
        for _ in range(count):
            await runner.call("place_order", order(pick(rnd)), actor, surface="bench")

    share = [n // clients + (1 if i < n % clients else 0) for i in range(clients)]
    started = time.perf_counter()
    await asyncio.gather(*(worker(c, i) for i, c in enumerate(share)))
    return n / (time.perf_counter() - started)


async def _record(
    db: Database, runner: ToolRunner, actor: Actor, pick: Callable[[random.Random], Lines], k: int
) -> list[Trace]:
    """The statements of ``k`` real orders, one trace each."""
    rnd = random.Random(99)
    traces = []
    for _ in range(k):
        db.trace = []
        await runner.call("place_order", order(pick(rnd)), actor, surface="bench")
        traces.append(db.trace)
    db.trace = None
    return traces


async def _raw(dsn: str, traces: list[Trace], n: int, clients: int) -> float:
    conns = [await asyncpg.connect(dsn) for _ in range(clients)]
    try:

        async def worker(conn: asyncpg.Connection, count: int, offset: int) -> None:
            for i in range(count):
                trace = traces[(offset + i * clients) % len(traces)]
                async with conn.transaction():
                    for sql, args, many in trace:
                        if many:
                            await conn.executemany(sql, args)
                        else:
                            await conn.fetch(sql, *args)

        share = [n // clients + (1 if i < n % clients else 0) for i in range(clients)]
        for c in conns:  # warm the statement caches
            await worker(c, 3, 0)
        started = time.perf_counter()
        await asyncio.gather(
            *(worker(c, k, i) for i, (c, k) in enumerate(zip(conns, share, strict=True)))
        )
        return n / (time.perf_counter() - started)
    finally:
        for c in conns:
            await c.close()


async def bench_postgres(n: int, url: str) -> list[Column]:
    await _fresh_schema(url)
    db = Database(url, pool_size=20)
    dsn = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        runner = ToolRunner(db, build_registry())
        actor = await _prepare(runner)
        await _tools(runner, actor, spread_lines, 200, 1)  # warm caches and compiled statements
        columns = []
        for name, pick, k in (("hot", hot_lines, 1), ("spread", spread_lines, 500)):
            traces = await _record(db, runner, actor, pick, k)
            for clients in (1, 16):
                # Alternating rounds, so that load from elsewhere on the machine (shared CI
                # runners) weighs on both sides of the ratio alike.
                raw_s = tools_s = 0.0
                for _ in range(ROUNDS):
                    raw_s += (n / ROUNDS) / await _raw(dsn, traces, n // ROUNDS, clients)
                    tools_s += (n / ROUNDS) / await _tools(
                        runner, actor, pick, n // ROUNDS, clients
                    )
                columns.append(Column(name, clients, n / raw_s, n / tools_s))
        return columns
    finally:
        await db.dispose()


def report(columns: list[Column]) -> str:
    lines = [
        "",
        f"{'PostgreSQL':22} {'raw asyncpg/s':>14} {'tools layer/s':>14} {'ratio':>6}",
    ]
    for c in columns:
        label = f"{c.workload}, {c.clients} client{'s' if c.clients > 1 else ''}"
        lines.append(f"{label:22} {c.raw:14.0f} {c.tools:14.0f} {c.ratio:6.2f}")
    return "\n".join(lines)

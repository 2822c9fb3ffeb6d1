"""`shopbot bench orders`: two-line orders per second through the tools layer.

Each order is a real ``place_order`` call through ``ToolRunner`` (validation, permission,
one transaction, reservation, ledger, outbox, audit). Next to it, the same transaction's exact
statements (recorded from one real order) are replayed on bare sqlite3 in the same run: the
ceiling that SQLite itself allows on this machine, so the ratio says what our layers cost.
"""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.orders_pg import Column, bench_postgres
from bench.orders_pg import report as pg_report
from core.roles import Actor
from storage.database import Database
from storage.migrate import upgrade_async
from tools import build_registry
from tools.runner import ToolRunner

ADDRESS = {"line": "12 Nguyễn Huệ", "ward": "Bến Nghé", "district": "Quận 1", "province": "TP HCM"}
ORDER = {
    "lines": [{"sku": "BENCH-A", "quantity": 1}, {"sku": "BENCH-B", "quantity": 2}],
    "buyer_name": "Nguyễn Văn Bench",
    "buyer_phone": "0912345678",
    "address": ADDRESS,
}


@dataclass
class Result:
    label: str
    orders: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.orders / self.seconds


async def _prepare(db: Database) -> tuple[ToolRunner, Actor]:
    runner = ToolRunner(db, build_registry())
    system = Actor.system()
    await runner.call(
        "create_warehouse", {"code": "HCM", "name": "Kho Quận 7", "kind": "main"}, system
    )
    await runner.call(
        "create_warehouse", {"code": "HN", "name": "Kho Cầu Giấy", "kind": "branch"}, system
    )
    await runner.call(
        "create_product",
        {
            "code": "BENCH",
            "name": "Áo thun bench",
            "category": "Áo thun",
            "attributes": ["Size"],
            "variants": [
                {
                    "sku": "BENCH-A",
                    "options": {"Size": "M"},
                    "cost_price": 80_000,
                    "sale_price": 149_000,
                    "stock": [{"warehouse_code": "HCM", "quantity": 1_000_000}],
                },
                {
                    "sku": "BENCH-B",
                    "options": {"Size": "L"},
                    "cost_price": 80_000,
                    "sale_price": 159_000,
                    "stock": [{"warehouse_code": "HCM", "quantity": 1_000_000}],
                },
            ],
        },
        system,
    )
    customer = await runner.call(
        "create_customer",
        {"name": "Nguyễn Văn Bench", "phone": "0912345678", "address": ADDRESS},
        system,
    )
    return runner, Actor.customer(customer.model_dump()["id"])


async def _place(runner: ToolRunner, actor: Actor, n: int, concurrency: int) -> float:
    async def worker(count: int) -> None:
        for _ in range(count):
            await runner.call("place_order", ORDER, actor, surface="bench")

    share = [n // concurrency + (1 if i < n % concurrency else 0) for i in range(concurrency)]
    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in share))
    return time.perf_counter() - started


async def bench_sqlite(
    n: int, workdir: Path
) -> tuple[list[Result], Path, list[tuple[str, Any, bool]]]:
    path = workdir / "bench.db"
    url = f"sqlite:///{path}"
    await upgrade_async(url)
    db = Database(url)
    try:
        runner, actor = await _prepare(db)
        await _place(runner, actor, 200, 1)  # warm caches and compiled statements
        # Record the statements of one real order for the ceiling replay.
        db.trace = []
        await runner.call("place_order", ORDER, actor, surface="bench")
        trace, db.trace = db.trace, None
        # A consistent copy (WAL included) for the replay, taken with SQLite's backup API.
        pristine = workdir / "replay.db"
        with sqlite3.connect(path) as src, sqlite3.connect(pristine) as dst:
            src.backup(dst)
        results = [
            Result("SQLite, tools layer, 1 client", n, await _place(runner, actor, n, 1)),
            Result("SQLite, tools layer, 16 clients", n, await _place(runner, actor, n, 16)),
        ]
    finally:
        await db.dispose()
    return results, pristine, trace


def replay_ceiling(path: Path, trace: list[tuple[str, Any, bool]], n: int) -> Result:
    """The same transaction on bare sqlite3 with the same pragmas: what SQLite allows here."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "wal_autocheckpoint=10000",
    ):
        conn.execute(f"PRAGMA {pragma}")
    started = time.perf_counter()
    for _ in range(n):
        conn.execute("BEGIN IMMEDIATE")
        for sql, args, many in trace:
            if many:
                conn.executemany(sql, args)
            else:
                conn.execute(sql, args).fetchall()
        conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return Result("SQLite, raw sqlite3 replay (ceiling)", n, seconds)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    python = platform.python_version()
    return f"{os.cpu_count()} CPUs ({cpu}), Python {python}, SQLite {sqlite3.sqlite_version}"


async def run(n: int, postgres_url: str | None) -> tuple[list[Result], list[Column]]:
    workdir = Path(tempfile.mkdtemp(prefix="shopbot-bench-"))
    try:
        results, pristine, trace = await bench_sqlite(n, workdir)
        results.insert(0, replay_ceiling(pristine, trace, n))
        columns = await bench_postgres(n, postgres_url) if postgres_url else []
        return results, columns
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def report(results: list[Result]) -> str:
    ceiling = results[0].per_second
    lines = [f"machine: {machine()}", "", f"{'run':44} {'orders':>7} {'orders/s':>9} {'vs raw':>7}"]
    for r in results:
        ratio = f"{r.per_second / ceiling:.2f}" if r.label.startswith("SQLite") else "-"
        lines.append(f"{r.label:44} {r.orders:7d} {r.per_second:9.0f} {ratio:>7}")
    return "\n".join(lines)


def run_cli(n: int = 5000, postgres_url: str | None = None) -> str:
    results, columns = asyncio.run(run(n, postgres_url))
    out = report(results) + (pg_report(columns) if columns else "")
    print(out)
    return out


if __name__ == "__main__":
    run_cli(int(os.environ.get("N", "5000")), os.environ.get("SHOPBOT_BENCH_POSTGRES_URL"))

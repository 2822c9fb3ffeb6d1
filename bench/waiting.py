"""`shopbot bench waiting`: adjust_stock +1 with 10,000 orders waiting for that SKU, and with none.

Stock that becomes available is offered to waiting orders through an index in placement
order, and the offer stops when the freed stock is used up (tools/waiting.py), so a +1 should
cost about the same however long the queue is. Each +1 here serves the oldest waiting order,
so the queue stays long for the whole run. The orders are one real create_order (awaiting
stock) copied in SQL, which is much faster than creating 10,000 through the tools.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from bench.orders_pg import _fresh_schema
from core.roles import Actor
from storage.database import Database
from storage.migrate import upgrade_async
from tools import build_registry
from tools.runner import ToolRunner

ORDER_COLUMNS = (
    "channel, customer_id, status, buyer_name, buyer_search, buyer_phone, address_line, ward, "
    "district, province, subtotal, discount, vat_total, shipping_fee, shipping_auto, "
    "shipping_payer, total, cod_amount, payment_method, payment_status, paid_amount, note, "
    "created_at, updated_at"
)
LINE_COLUMNS = (
    "variant_id, sku, name, quantity, unit_price, vat_rate, unit_cost, discount, vat_amount, "
    "line_total, warehouse_id, reserved"
)


async def _shop(runner: ToolRunner) -> None:
    system = Actor.system()
    await runner.call("create_warehouse", {"code": "HCM", "name": "HCM", "kind": "main"}, system)
    await runner.call(
        "create_product",
        {
            "code": "W",
            "name": "Áo chờ hàng",
            "attributes": ["Size"],
            "variants": [
                {"sku": sku, "options": {"Size": sku}, "cost_price": 1, "sale_price": 10_000}
                for sku in ("WAIT", "IDLE")
            ],
        },
        system,
    )


async def _queue(db: Database, runner: ToolRunner, n: int) -> None:
    """``n`` orders waiting for WAIT: one real one, copied."""
    made = await runner.call(
        "create_order",
        {"channel": "phone", "buyer_name": "K", "lines": [{"sku": "WAIT", "quantity": 1}]},
        Actor.system(),
    )
    template = made.model_dump()["id"]
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :k) "
                f"INSERT INTO orders ({ORDER_COLUMNS}) SELECT {ORDER_COLUMNS} FROM orders, n "
                f"WHERE orders.id = :t"
            ),
            {"k": n - 1, "t": template},
        )
        await conn.execute(
            text(
                f"INSERT INTO order_lines (order_id, {LINE_COLUMNS}) "
                f"SELECT o.id, {', '.join('l.' + c.strip() for c in LINE_COLUMNS.split(','))} "
                f"FROM orders o JOIN order_lines l ON l.order_id = :t WHERE o.id > :t"
            ),
            {"t": template},
        )


async def _adjust_ms(runner: ToolRunner, calls: int) -> tuple[float, float]:
    """Median ms of adjust_stock +1 on the idle SKU and on the waited-for one, alternating so
    that load from elsewhere on the machine weighs on both alike."""
    keeper = Actor.system()
    times: dict[str, list[float]] = {"IDLE": [], "WAIT": []}
    for i in range(calls + 5):
        for sku in ("IDLE", "WAIT"):
            started = time.perf_counter()
            await runner.call(
                "adjust_stock", {"sku": sku, "warehouse_code": "HCM", "delta": 1}, keeper
            )
            if i >= 5:  # warm-up
                times[sku].append((time.perf_counter() - started) * 1000)
    return statistics.median(times["IDLE"]), statistics.median(times["WAIT"])


async def run(url: str, waiting: int, calls: int) -> tuple[float, float]:
    db = Database(url, pool_size=4)
    try:
        runner = ToolRunner(db, build_registry())
        await _shop(runner)
        await _queue(db, runner, waiting)
        idle, busy = await _adjust_ms(runner, calls)
        async with db.engine.connect() as conn:
            served = (
                await conn.execute(text("SELECT count(*) FROM orders WHERE status = 'confirmed'"))
            ).scalar_one()
        if served != calls + 5:  # each +1 on WAIT must have served the oldest waiting order
            raise AssertionError(f"{served} orders served by {calls + 5} units")
        return idle, busy
    finally:
        await db.dispose()


def run_cli(waiting: int = 10_000, calls: int = 200, postgres_url: str | None = None) -> str:
    lines = [f"{'database':12} {'none waiting ms':>16} {f'{waiting} waiting ms':>18} {'ratio':>6}"]

    async def both() -> None:
        with tempfile.TemporaryDirectory(prefix="shopbot-bench-") as d:
            url = f"sqlite:///{Path(d) / 'waiting.db'}"
            await upgrade_async(url)
            idle, busy = await run(url, waiting, calls)
            lines.append(f"{'SQLite':12} {idle:16.2f} {busy:18.2f} {busy / idle:6.2f}")
        if postgres_url:
            await _fresh_schema(postgres_url)
            idle, busy = await run(postgres_url, waiting, calls)
            lines.append(f"{'PostgreSQL':12} {idle:16.2f} {busy:18.2f} {busy / idle:6.2f}")

    asyncio.run(both())
    out = "\n".join(lines)
    print(out)
    return out

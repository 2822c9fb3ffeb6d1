"""Quote holds under concurrency and abuse, and concurrent duplicates: raced on both databases."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from core.errors import DomainError
from core.roles import Actor
from storage.database import Database
from storage.models import Order, Quote, StockHold, StockLevel
from tests.conftest import Caller
from tests.factories import ADDRESS, SALES, ledger_mismatches, place_quote
from tests.seed import seed
from tools.config import ToolConfig
from tools.registry import Registry
from tools.runner import ToolRunner


async def held_per_row(db: Database) -> dict[int, int]:
    async with db.transaction(write=False) as tx:
        rows = await tx.session.execute(
            select(StockHold.warehouse_id, func.sum(StockHold.quantity)).group_by(
                StockHold.warehouse_id
            )
        )
        return {w: int(q) for w, q in rows}


async def test_300_concurrent_quotes_never_hold_more_than_exists(
    shop: Caller, db: Database
) -> None:
    s = await seed(db, {"HOT": {"HCM": 7, "HN": 5}}, customers=300)

    async def quote(customer_id: int) -> dict[str, Any]:
        return await shop(
            "quote_order", Actor.customer(customer_id), lines=[{"sku": "HOT", "quantity": 1}]
        )

    quotes = await asyncio.gather(*(quote(c) for c in s.customers))
    held = await held_per_row(db)
    assert held == {s.warehouses["HCM"]: 7, s.warehouses["HN"]: 5}
    assert sum(q["all_available"] for q in quotes) == 12
    # Every quote that said available can be placed: nobody is locked out by phantom holds.
    winners = [(c, q) for c, q in zip(s.customers, quotes, strict=True) if q["all_available"]]
    for c, q in winners:
        await place_quote(shop, Actor.customer(c), q, buyer_phone=f"09{c:08d}")
    async with db.transaction(write=False) as tx:
        reserved = await tx.session.scalar(select(func.sum(StockLevel.reserved)))
    assert reserved == 12
    assert await ledger_mismatches(db) == []


async def test_one_customer_quoting_20_times_at_once_keeps_one_open_quote(
    shop: Caller, db: Database
) -> None:
    s = await seed(db, {"S": {"HCM": 100}}, customers=1)
    alice = Actor.customer(s.customers[0])
    await asyncio.gather(
        *(shop("quote_order", alice, lines=[{"sku": "S", "quantity": 5}]) for _ in range(20))
    )
    async with db.transaction(write=False) as tx:
        open_quotes = await tx.session.scalar(
            select(func.count()).select_from(Quote).where(Quote.status == "open")
        )
    assert open_quotes == 1
    assert sum((await held_per_row(db)).values()) == 5


def limited_shop(db: Database, registry: Registry, **limits: int) -> Caller:
    return Caller(ToolRunner(db, registry, ToolConfig(**limits)))


async def test_a_customer_holds_at_most_the_unit_cap(db: Database, registry: Registry) -> None:
    shop = limited_shop(db, registry, hold_max_units_per_customer=3)
    s = await seed(db, {"A": {"HCM": 10}, "B": {"HCM": 10}}, customers=1)
    alice = Actor.customer(s.customers[0])
    q = await shop(
        "quote_order",
        alice,
        lines=[{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 2}],
    )
    assert q["all_available"]  # quoted in full: only the holds are capped
    assert sum((await held_per_row(db)).values()) == 2
    big = await shop("quote_order", alice, lines=[{"sku": "A", "quantity": 4}])
    assert big["all_available"]
    assert await held_per_row(db) == {}  # over the cap: quoted, not held; the old quote is gone


async def test_holds_keep_only_the_shops_share_from_other_buyers(
    db: Database, registry: Registry
) -> None:
    shop = limited_shop(db, registry, hold_share_percent=50)
    s = await seed(db, {"S": {"HCM": 10, "HN": 0}}, customers=4)
    a, b, c, d = (Actor.customer(x) for x in s.customers)
    await shop("quote_order", a, lines=[{"sku": "S", "quantity": 5}])
    await shop("quote_order", b, lines=[{"sku": "S", "quantity": 1}])
    assert sum((await held_per_row(db)).values()) == 5  # b's line is beyond the share
    stock = (await shop("check_stock", SALES, sku="S"))["variants"][0]
    assert stock["on_hand"] == 10
    # Holds keep 5 of 10 from other buyers, no more: c buys the other 5 at once.
    order = await shop(
        "place_order",
        c,
        lines=[{"sku": "S", "quantity": 5}],
        buyer_name="C",
        buyer_phone="0912345670",
        address=ADDRESS,
    )
    assert order["status"] == "new"
    # Now 5 are free and a holds all 5, but only 2 of them (50 % of 5) count: d can buy 3.
    order = await shop(
        "place_order",
        d,
        lines=[{"sku": "S", "quantity": 3}],
        buyer_name="D",
        buyer_phone="0912345671",
        address=ADDRESS,
    )
    assert order["status"] == "new"


async def test_six_concurrent_imports_of_one_marketplace_order_give_one_order(
    shop: Caller, db: Database
) -> None:
    await seed(db, {"S": {"HCM": 50}})

    async def create() -> str:
        try:
            await shop(
                "create_order",
                SALES,
                channel="shopee",
                external_id="SP-2412-0001",
                buyer_name="K",
                lines=[{"sku": "S", "quantity": 1}],
            )
        except DomainError as exc:
            return exc.code
        return "ok"

    outcomes = await asyncio.gather(*(create() for _ in range(6)))
    assert sorted(outcomes) == ["duplicate_external_id"] * 5 + ["ok"]
    async with db.transaction(write=False) as tx:
        orders = await tx.session.scalar(select(func.count()).select_from(Order))
    assert orders == 1
    assert await ledger_mismatches(db) == []


async def test_one_idempotency_key_sent_five_times_at_once_gives_one_order(
    shop: Caller, db: Database
) -> None:
    s = await seed(db, {"S": {"HCM": 50}}, customers=1)
    alice = Actor.customer(s.customers[0])

    async def place() -> int:
        order = await shop(
            "place_order",
            alice,
            lines=[{"sku": "S", "quantity": 2}],
            buyer_name="Alice",
            buyer_phone="0912345678",
            address=ADDRESS,
            idempotency_key="web:cart:42",
        )
        return int(order["id"])

    ids = await asyncio.gather(*(place() for _ in range(5)))
    assert len(set(ids)) == 1
    async with db.transaction(write=False) as tx:
        reserved = await tx.session.scalar(select(func.sum(StockLevel.reserved)))
    assert reserved == 2

"""Stock under concurrency: proven by racing real transactions, not assumed."""

from __future__ import annotations

import asyncio
import random

from sqlalchemy import func, select

from core.errors import DomainError, InsufficientStock
from core.roles import Actor
from storage.database import Database
from storage.models import Order, StockLevel
from tests.conftest import Caller
from tests.factories import ADDRESS, impossible_levels, ledger_mismatches, place_quote
from tests.seed import seed


async def test_200_buyers_racing_for_10_units_get_exactly_10_orders(
    shop: Caller, db: Database
) -> None:
    s = await seed(db, {"HOT": {"HCM": 6, "HN": 4}}, customers=200)

    async def buy(customer_id: int) -> str:
        try:
            await shop(
                "place_order",
                Actor.customer(customer_id),
                lines=[{"sku": "HOT", "quantity": 1}],
                buyer_name="Khách",
                buyer_phone="0912345678",
                address=ADDRESS,
            )
        except InsufficientStock:
            return "sold_out"
        return "ok"

    outcomes = await asyncio.gather(*(buy(c) for c in s.customers))
    assert outcomes.count("ok") == 10
    assert outcomes.count("sold_out") == 190
    async with db.transaction(write=False) as tx:
        orders = await tx.session.scalar(select(func.count()).select_from(Order))
        reserved = await tx.session.scalar(
            select(func.sum(StockLevel.reserved)).where(StockLevel.variant_id == s.variants["HOT"])
        )
    assert orders == 10
    assert reserved == 10
    assert await ledger_mismatches(db) == []


async def test_ledger_sums_to_on_hand_after_a_mixed_concurrent_workload(
    shop: Caller, db: Database
) -> None:
    skus = {f"V{i}": {"HCM": 8, "HN": 5} for i in range(6)}
    await seed(db, skus, customers=20)
    rnd = random.Random(7)
    placed: list[int] = []

    async def worker(n: int) -> None:
        for _ in range(12):
            action = rnd.random()
            try:
                if action < 0.55 or not placed:
                    lines = [
                        {"sku": sku, "quantity": rnd.randint(1, 3)}
                        for sku in rnd.sample(list(skus), rnd.randint(1, 3))
                    ]
                    o = await shop(
                        "create_order",
                        channel="phone",
                        buyer_name="K",
                        lines=lines,
                        backorder=rnd.random() < 0.5,
                    )
                    placed.append(o["id"])
                elif action < 0.7:
                    await shop("cancel_order", order_id=rnd.choice(placed))
                elif action < 0.85:
                    oid = rnd.choice(placed)
                    for status in ("confirmed", "packing", "ready_to_ship", "shipping"):
                        await shop("set_order_status", order_id=oid, status=status)
                else:
                    await shop(
                        "update_order",
                        order_id=rnd.choice(placed),
                        lines=[{"sku": rnd.choice(list(skus)), "quantity": rnd.randint(1, 4)}],
                    )
            except DomainError:
                pass  # refusals are part of the workload; they must leave nothing behind

    await asyncio.gather(*(worker(n) for n in range(8)))
    assert len(placed) > 20
    assert await ledger_mismatches(db) == []
    assert await impossible_levels(db) == 0


async def test_one_quote_placed_twice_at_once_gives_one_order(shop: Caller, db: Database) -> None:
    s = await seed(db, {"S": {"HCM": 50}}, customers=1)
    alice = Actor.customer(s.customers[0])
    q = await shop("quote_order", alice, lines=[{"sku": "S", "quantity": 2}])

    async def place() -> str:
        try:
            await place_quote(shop, alice, q)
        except DomainError as exc:
            return exc.code
        return "ok"

    outcomes = await asyncio.gather(*(place() for _ in range(5)))
    assert sorted(outcomes) == ["ok"] + ["quote_used"] * 4
    async with db.transaction(write=False) as tx:
        orders = await tx.session.scalar(select(func.count()).select_from(Order))
        reserved = await tx.session.scalar(select(func.sum(StockLevel.reserved)))
    assert (orders, reserved) == (1, 2)
    assert await ledger_mismatches(db) == []


async def test_a_retried_place_order_racing_the_first_returns_the_same_order(
    shop: Caller, db: Database
) -> None:
    s = await seed(db, {"S": {"HCM": 50}}, customers=1)
    alice = Actor.customer(s.customers[0])
    q = await shop("quote_order", alice, lines=[{"sku": "S", "quantity": 2}])

    async def place() -> int:
        order = await place_quote(shop, alice, q, idempotency_key=f"agent:1:{q['quote_token']}")
        return int(order["id"])

    ids = await asyncio.gather(*(place() for _ in range(4)))
    assert len(set(ids)) == 1
    async with db.transaction(write=False) as tx:
        reserved = await tx.session.scalar(select(func.sum(StockLevel.reserved)))
    assert reserved == 2

"""The global lock order, proven: the tools that write stock (create, quote and place, adjust,
transfer, receive, cancel, edit, confirm, ship, a failed delivery restocked), mixed at random by
20 concurrent clients, never deadlock (no retry needed), never fail internally, and leave the
ledger summing to on_hand and reserved."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

import pytest
from sqlalchemy import func, select

from core.errors import DomainError
from core.roles import Actor
from storage.database import Database
from storage.models import StockHold, StockLevel
from tests.conftest import Caller
from tests.factories import ADDRESS, KEEPER, SALES, impossible_levels, ledger_mismatches
from tests.seed import seed

SKUS = [f"V{i}" for i in range(8)]
CLIENTS = 20
CALLS_PER_CLIENT = 15


class Workload:
    """One client's random mix of stock-writing calls."""

    def __init__(self, shop: Caller, rnd: random.Random, customers: list[int]) -> None:
        self.shop = shop
        self.rnd = rnd
        self.customers = customers
        self.orders: list[int] = []

    def lines(self, most: int = 3) -> list[dict[str, Any]]:
        picked = self.rnd.sample(SKUS, self.rnd.randint(1, most))
        return [{"sku": s, "quantity": self.rnd.randint(1, 3)} for s in picked]

    def order_id(self) -> int | None:
        return self.rnd.choice(self.orders) if self.orders else None

    async def create_order(self) -> None:
        o = await self.shop(
            "create_order", SALES, channel="phone", buyer_name="K", lines=self.lines()
        )
        self.orders.append(o["id"])

    async def quote_and_place(self) -> None:
        buyer = Actor.customer(self.rnd.choice(self.customers))
        q = await self.shop("quote_order", buyer, lines=self.lines(2))
        if self.rnd.random() < 0.7:
            o = await self.shop(
                "place_order",
                buyer,
                quote_token=q["quote_token"],
                buyer_name="Khách",
                buyer_phone=f"09{buyer.customer_id:08d}",
                address=ADDRESS,
            )
            self.orders.append(o["id"])

    async def adjust(self) -> None:
        await self.shop(
            "adjust_stock",
            KEEPER,
            sku=self.rnd.choice(SKUS),
            warehouse_code=self.rnd.choice(["HCM", "HN"]),
            delta=self.rnd.choice([-2, -1, 1, 2, 3]),
            note="đếm lại",
        )

    async def transfer(self) -> None:
        src, dst = self.rnd.sample(["HCM", "HN"], 2)
        await self.shop(
            "transfer_stock",
            KEEPER,
            sku=self.rnd.choice(SKUS),
            from_warehouse_code=src,
            to_warehouse_code=dst,
            quantity=self.rnd.randint(1, 2),
        )

    async def receive(self) -> None:
        await self.shop(
            "receive_goods",
            KEEPER,
            warehouse_code=self.rnd.choice(["HCM", "HN"]),
            lines=[{"sku": s["sku"], "quantity": s["quantity"]} for s in self.lines()],
        )

    async def cancel(self) -> None:
        if (oid := self.order_id()) is not None:
            await self.shop("cancel_order", SALES, order_id=oid)

    async def edit(self) -> None:
        if (oid := self.order_id()) is not None:
            await self.shop("update_order", SALES, order_id=oid, lines=self.lines())

    async def ship(self) -> None:
        if (oid := self.order_id()) is not None:
            await self.shop("confirm_order", SALES, order_id=oid)
            for status in ("packing", "ready_to_ship", "shipping"):
                await self.shop("set_order_status", SALES, order_id=oid, status=status)
            if self.rnd.random() < 0.5:  # the parcel comes back and is restocked
                for status in ("delivery_failed", "returned"):
                    await self.shop("set_order_status", SALES, order_id=oid, status=status)

    async def step(self) -> None:
        actions = [
            (self.create_order, 4),
            (self.quote_and_place, 3),
            (self.adjust, 3),
            (self.transfer, 2),
            (self.receive, 1),
            (self.cancel, 2),
            (self.edit, 2),
            (self.ship, 1),
        ]
        fn = self.rnd.choices([a for a, _ in actions], weights=[w for _, w in actions])[0]
        await fn()


async def test_every_stock_tool_mixed_by_20_clients_never_deadlocks(
    shop: Caller, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    s = await seed(db, {sku: {"HCM": 6, "HN": 3} for sku in SKUS}, customers=CLIENTS)
    caplog.set_level(logging.INFO, logger="shopbot")
    internal: list[BaseException] = []
    refused: list[str] = []

    async def client(n: int) -> int:
        w = Workload(shop, random.Random(n), s.customers)
        done = 0
        for _ in range(CALLS_PER_CLIENT):
            try:
                await w.step()
                done += 1
            except DomainError as exc:
                refused.append(exc.code)  # refusals are part of the workload
            except Exception as exc:
                internal.append(exc)
        return done

    done = sum(await asyncio.gather(*(client(n) for n in range(CLIENTS))))
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrying")]
    left = [r.getMessage() for r in caplog.records if "left for the next" in r.getMessage()]
    out_of_order = [r.getMessage() for r in caplog.records if "out of the global order" in r.msg]
    assert internal == []
    assert retries == []
    assert left == []
    assert out_of_order == []
    assert "busy" not in refused
    assert done > CLIENTS * CALLS_PER_CLIENT // 2
    assert await ledger_mismatches(db) == []
    assert await impossible_levels(db) == 0
    async with db.transaction(write=False) as tx:
        held = await tx.session.scalar(select(func.coalesce(func.sum(StockHold.quantity), 0)))
        free = await tx.session.scalar(select(func.sum(StockLevel.on_hand - StockLevel.reserved)))
    assert held <= free

"""The demo shop: loaded through the tools, complete, idempotent, and resumable."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from bot.demo_data import CUSTOMERS, ORDERS, PRODUCTS, load_demo_data
from core.roles import Actor
from storage.database import Database
from storage.models import AuditEntry, Customer, Order, Product, StockLevel, StockMove, Variant
from tools.registry import Registry
from tools.runner import ToolRunner


async def counts(db: Database) -> dict[str, int]:
    async with db.transaction(write=False) as tx:
        s = tx.session
        return {
            "products": await s.scalar(select(func.count()).select_from(Product)) or 0,
            "variants": await s.scalar(select(func.count()).select_from(Variant)) or 0,
            "customers": await s.scalar(select(func.count()).select_from(Customer)) or 0,
            "orders": await s.scalar(select(func.count()).select_from(Order)) or 0,
            "audit": await s.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        }


async def test_full_load_then_nothing(runner: ToolRunner, db: Database) -> None:
    first = await load_demo_data(runner)
    assert first["status"] == "loaded", first
    assert first["skipped"] == []
    assert first["created"]["products"] == len(PRODUCTS) >= 50
    assert first["created"]["orders"] == len(ORDERS)
    loaded = await counts(db)
    assert loaded["customers"] == len(CUSTOMERS)

    async with db.transaction(write=False) as tx:
        statuses = Counter((await tx.session.execute(select(Order.status))).scalars().all())
        linked = await tx.session.scalar(select(func.count()).where(Order.customer_id.is_not(None)))
        categories = set((await tx.session.execute(select(Product.category))).scalars().all())
        # Every stock row is explained by the ledger (the demo used the tools, not inserts).
        levels = (await tx.session.execute(select(func.sum(StockLevel.on_hand)))).scalar()
        ledger = (await tx.session.execute(select(func.sum(StockMove.delta_on_hand)))).scalar()
    assert Counter(o["status"] for o in ORDERS) == statuses
    assert {"new", "confirmed", "shipping", "completed", "cancelled", "awaiting_stock"} <= set(
        statuses
    )
    assert linked == sum(1 for o in ORDERS if o["customer"] is not None)
    assert len(categories) >= 8
    assert levels == ledger

    second = await load_demo_data(runner)
    assert second["status"] == "already_loaded"
    after = await counts(db)
    assert after["audit"] == loaded["audit"] + 1  # only the marker lookup was audited
    assert {k: v for k, v in after.items() if k != "audit"} == {
        k: v for k, v in loaded.items() if k != "audit"
    }


async def test_a_partial_load_is_completed_later(runner: ToolRunner, db: Database) -> None:
    without = Registry([t for t in runner.registry.all() if t.name != "create_customer"])
    partial = await load_demo_data(ToolRunner(db, without, runner.config))
    assert partial["status"] == "partial"
    assert any("create_customer" in s for s in partial["skipped"])
    assert (await counts(db))["orders"] == 0  # orders wait for their customers

    done = await load_demo_data(runner)
    assert done["status"] == "loaded"
    assert done["already_there"]["products"] == len(PRODUCTS)
    assert "products" not in done["created"]
    assert done["created"]["orders"] == len(ORDERS)
    assert (await load_demo_data(runner))["status"] == "already_loaded"


async def test_the_demo_shop_speaks_english_too(runner: ToolRunner) -> None:
    """Every category, attribute and colour of the demo has an English label."""
    await load_demo_data(runner)
    customer = Actor.customer(1)
    cats = (await runner.call("list_categories", {}, customer)).model_dump()
    assert all(c["name_en"] != c["name"] for c in cats["categories"]), cats
    product = (await runner.call("get_product", {"code": "AT01"}, customer)).model_dump()
    assert product["attributes_en"] == {"Màu": "Colour", "Size": "Size"}
    assert product["variants"][0]["label_en"] == "White / S"


async def test_every_demo_product_has_a_picture_of_its_own_making(
    db: Database, registry: Registry, tmp_path: Path
) -> None:
    from tools.config import ToolConfig

    runner = ToolRunner(db, registry, ToolConfig(media_dir=str(tmp_path)))
    await load_demo_data(runner)
    customer = Actor.customer(1)
    for spec in PRODUCTS:
        product = (await runner.call("get_product", {"code": spec.code}, customer)).model_dump()
        assert product["image_url"].startswith("/media/"), spec.code
        name = product["image_url"].removeprefix("/media/")
        assert (tmp_path / name).is_file()
        assert (tmp_path / "thumbs" / name).is_file()
        assert product["media"] == [product["image_url"]]

"""What the purchasing tests share: a supplier and a stocked shop, a purchase order, a cost
read back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.database import Database
from storage.models import (
    Variant,
)
from tests.conftest import Caller
from tests.factories import (
    in_tx,
    make_stocked_shop,
)
from tools.context import ToolContext


async def setup(shop: Caller, stock: dict[str, int] | None = None) -> dict[str, int]:
    wh = await make_stocked_shop(shop, stock)
    await shop("create_supplier", code="ncc01", name="Xưởng may Bình Tân", phone="0912 345 678")
    return wh


async def po(
    shop: Caller,
    lines: list[tuple[str, int, int]],
    *,
    confirm: bool = True,
    supplier: str = "NCC01",
    warehouse: str = "HCM",
) -> dict[str, Any]:
    made = await shop(
        "create_purchase_order",
        supplier_code=supplier,
        warehouse_code=warehouse,
        lines=[{"sku": s, "quantity": q, "unit_cost": c} for s, q, c in lines],
    )
    if confirm:
        made = await shop("confirm_purchase_order", purchase_order_id=made["id"])
    return made


async def cost_price(db: Database, sku: str) -> int:
    async def run(ctx: ToolContext) -> int:
        return int(
            await ctx.tx.session.scalar(select(Variant.cost_price).where(Variant.sku == sku))
        )

    return await in_tx(db, run)

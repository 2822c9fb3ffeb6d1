"""low_stock_report: what is running low, per warehouse, with what is on order and how much
to buy."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.catalog import variant_name
from core.replenishment import suggested_quantity
from storage import reports
from tools.context import ToolContext
from tools.registry import STAFF, tool


class LowStockIn(BaseModel):
    warehouse_code: str | None = Field(default=None, max_length=32, description="One warehouse")


class LowStockItem(BaseModel):
    variant_id: int
    sku: str
    name: str
    on_hand: int
    reserved: int
    available: int = Field(description="on_hand - reserved")
    reorder_point: int
    on_order: int = Field(description="Still to come here on confirmed purchase orders")
    suggested_quantity: int = Field(
        description="To bring available back to 2 x reorder point, less what is on order"
    )


class LowStockWarehouse(BaseModel):
    warehouse_code: str
    warehouse_name: str
    items: list[LowStockItem]


class LowStockOut(BaseModel):
    warehouses: list[LowStockWarehouse]
    total_items: int


@tool(
    name="low_stock_report",
    description="""Stock running low, per warehouse: active variants whose available stock
    (on hand - reserved) is at or below their reorder point (a reorder point of 0 means no
    alert), with on hand, reserved, what is on order and a suggested quantity to buy (back up to
    2 x reorder point). For what to buy shop-wide, including waiting orders, use
    suggest_purchases.""",
    roles=STAFF,
    write=False,
)
async def low_stock_report(ctx: ToolContext, inp: LowStockIn) -> LowStockOut:
    code = inp.warehouse_code.strip().upper() if inp.warehouse_code else None
    rows = await reports.low_stock(ctx.tx, warehouse_code=code)
    on_order = await reports.on_order(ctx.tx, sorted({r.variant_id for r in rows}))
    groups: dict[int, LowStockWarehouse] = {}
    for r in rows:
        coming = on_order.get((r.variant_id, r.warehouse_id), 0)
        available = r.on_hand - r.reserved
        group = groups.setdefault(
            r.warehouse_id,
            LowStockWarehouse(
                warehouse_code=r.warehouse_code, warehouse_name=r.warehouse_name, items=[]
            ),
        )
        group.items.append(
            LowStockItem(
                variant_id=r.variant_id,
                sku=r.sku,
                name=variant_name(r.product_name, r.options),
                on_hand=r.on_hand,
                reserved=r.reserved,
                available=available,
                reorder_point=r.reorder_point,
                on_order=coming,
                suggested_quantity=suggested_quantity(available, r.reorder_point, on_order=coming),
            )
        )
    return LowStockOut(
        warehouses=list(groups.values()), total_items=sum(len(g.items) for g in groups.values())
    )

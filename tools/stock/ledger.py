"""stock_ledger: why a stock number is what it is, newest change first."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from storage import stock_queries
from tools.context import ToolContext
from tools.registry import STAFF, tool
from tools.stock_ops import get_warehouse, variant_by_sku


class StockLedgerIn(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    warehouse_code: str | None = Field(default=None, max_length=32)
    limit: int = Field(default=20, ge=1, le=200)


class LedgerRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    warehouse_code: str
    delta_on_hand: int
    delta_reserved: int
    reason: str
    ref_type: str | None
    ref_id: int | None
    note: str
    actor: str


class StockLedgerOut(BaseModel):
    sku: str
    rows: list[LedgerRowOut]


@tool(
    name="stock_ledger",
    description="""The history of stock changes of one SKU, newest first: each row says how on
    hand and reserved changed, why (receipt, reservation, shipment, adjustment, transfer...),
    what caused it and who. Use to explain why a stock number is what it is.""",
    roles=STAFF,
    write=False,
)
async def stock_ledger(ctx: ToolContext, inp: StockLedgerIn) -> StockLedgerOut:
    variant = await variant_by_sku(ctx, inp.sku)
    warehouse_id: int | None = None
    if inp.warehouse_code is not None:
        warehouse_id = (await get_warehouse(ctx, code=inp.warehouse_code.strip().upper())).id
    rows = await stock_queries.ledger(
        ctx.tx, variant.id, warehouse_id=warehouse_id, limit=inp.limit
    )
    return StockLedgerOut(sku=variant.sku, rows=[LedgerRowOut.model_validate(r) for r in rows])

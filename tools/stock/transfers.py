"""transfer_stock: move available units of one SKU from one warehouse to another, as a
transfer_out and a transfer_in ledger row sharing one reference."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.errors import InsufficientStock, InvalidInput
from storage import stock_queries
from storage.models import Warehouse
from tools.context import ToolContext
from tools.idempotency import Idempotent
from tools.pending import generic_card
from tools.registry import WAREHOUSE, tool
from tools.stock.adjusting import MAX_QUANTITY, stock_warehouse
from tools.stock.levels import WarehouseStockOut
from tools.stock_ops import Level, Move, apply_moves, lock_levels, variant_by_sku


class TransferStockIn(Idempotent):
    sku: str = Field(min_length=1, max_length=64)
    from_warehouse_code: str = Field(min_length=1, max_length=32)
    to_warehouse_code: str = Field(min_length=1, max_length=32)
    quantity: int = Field(gt=0, le=MAX_QUANTITY)
    note: str = Field(default="", max_length=500)


class TransferStockOut(BaseModel):
    transfer_ref: int = Field(description="ref_id shared by the two ledger rows of this transfer")
    sku: str
    quantity: int
    from_warehouse: WarehouseStockOut
    to_warehouse: WarehouseStockOut


@tool(
    name="transfer_stock",
    description="""Move units of one SKU from one warehouse to another (e.g. restock a branch
    from the main warehouse). Only available units move: stock reserved for orders or held by
    open quotes stays. Records a transfer_out and a transfer_in ledger row with the same ref.""",
    roles=WAREHOUSE,
    confirm=generic_card("Chuyển kho / Transfer stock"),
)
async def transfer_stock(ctx: ToolContext, inp: TransferStockIn) -> TransferStockOut:
    variant = await variant_by_sku(ctx, inp.sku)
    src = await stock_warehouse(ctx, inp.from_warehouse_code, "from_warehouse_code")
    dst = await stock_warehouse(ctx, inp.to_warehouse_code, "to_warehouse_code")
    if src.id == dst.id:
        raise InvalidInput(
            "The two warehouses must differ.", field="to_warehouse_code", code="same_warehouse"
        )
    levels = await lock_levels(ctx, [variant.id])
    src_level = levels.get((variant.id, src.id)) or Level(variant.id, src.id, 0, 0, 0)
    dst_level = levels.get((variant.id, dst.id)) or Level(variant.id, dst.id, 0, 0, 0)
    if src_level.available < inp.quantity:
        raise InsufficientStock(
            f"{variant.sku} at {src.code}: only {src_level.available} available to move "
            f"({src_level.on_hand} on hand, {src_level.reserved} reserved, {src_level.held} held).",
            field="quantity",
            details={
                "sku": variant.sku,
                "warehouse_code": src.code,
                "available": src_level.available,
                "requested": inp.quantity,
            },
        )
    note = inp.note or f"{src.code} -> {dst.code}"
    (src_oh, src_rs), (dst_oh, dst_rs) = await apply_moves(
        ctx,
        [
            Move(
                variant.id,
                src.id,
                d_on_hand=-inp.quantity,
                reason="transfer_out",
                ref_type="transfer",
                note=note,
            ),
            Move(
                variant.id,
                dst.id,
                d_on_hand=inp.quantity,
                reason="transfer_in",
                ref_type="transfer",
                note=note,
            ),
        ],
    )
    ref = await stock_queries.link_transfer_rows(ctx.tx, variant.id)
    return TransferStockOut(
        transfer_ref=ref,
        sku=variant.sku,
        quantity=inp.quantity,
        from_warehouse=_side(src, src_level, src_oh, src_rs),
        to_warehouse=_side(dst, dst_level, dst_oh, dst_rs),
    )


def _side(wh: Warehouse, lv: Level, on_hand: int, reserved: int) -> WarehouseStockOut:
    """One warehouse after the move; holds are as they were under the lock."""
    return WarehouseStockOut(
        warehouse_code=wh.code,
        warehouse_name=wh.name,
        on_hand=on_hand,
        reserved=reserved,
        held=lv.held,
        available=max(0, on_hand - reserved - lv.held),
    )

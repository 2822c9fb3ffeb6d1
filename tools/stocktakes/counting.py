"""Opening a stocktake and recording counts. Each count notes on_hand at that moment as
``expected``, so goods moving while the warehouse is counted are not counted twice."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.errors import Conflict
from core.stocktake_status import OPEN, StocktakeStep
from storage import stocktakes, warehouses
from storage.models import Stocktake, StocktakeLine
from tools.context import ToolContext
from tools.purchasing import MAX_ID, active_warehouse, variants_for_lines
from tools.registry import WAREHOUSE, tool
from tools.stocktakes.reading import StocktakeOut, load, require_step, stocktake_out


class StartStocktakeIn(BaseModel):
    warehouse_code: str = Field(min_length=1, max_length=32)
    note: str = Field(default="", max_length=2000)


@tool(
    name="start_stocktake",
    description="""Open a stocktake (kiểm kê) for a warehouse. Only one can be open per
    warehouse. Then record counts with record_count, check get_stocktake and finish with
    apply_stocktake (or cancel_stocktake). The warehouse keeps working meanwhile.""",
    roles=WAREHOUSE,
)
async def start_stocktake(ctx: ToolContext, inp: StartStocktakeIn) -> StocktakeOut:
    wh = await active_warehouse(ctx, inp.warehouse_code)
    # The warehouse row lock makes two simultaneous starts take turns, so only one opens.
    await warehouses.lock(ctx.tx, wh.id)
    existing = await stocktakes.open_in(ctx.tx, wh.id)
    if existing is not None:
        raise Conflict(
            f"Stocktake {existing} is already open for {wh.code}; finish or cancel it first.",
            field="warehouse_code",
            code="stocktake_already_open",
            details={"stocktake_id": existing},
        )
    st = Stocktake(
        warehouse_id=wh.id,
        status=OPEN,
        note=inp.note,
        created_by=ctx.actor.label,
        created_at=ctx.now,
    )
    return await stocktake_out(ctx, await stocktakes.add(ctx.tx, st))


class CountLineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    counted: int = Field(ge=0, le=10_000_000, description="Units physically found")


class RecordCountIn(BaseModel):
    stocktake_id: int = Field(gt=0, le=MAX_ID)
    lines: list[CountLineIn] = Field(min_length=1, max_length=1000)


@tool(
    name="record_count",
    description="""Record counted quantities in an open stocktake: SKU and units found. The
    system notes on_hand at this moment as the expected quantity. Counting a SKU again replaces
    its earlier count.""",
    roles=WAREHOUSE,
)
async def record_count(ctx: ToolContext, inp: RecordCountIn) -> StocktakeOut:
    st = await load(ctx, inp.stocktake_id, lock=True)
    require_step(st, StocktakeStep.COUNT)
    variants = await variants_for_lines(ctx, [ln.sku for ln in inp.lines])
    on_hand = await stocktakes.on_hand_in(ctx.tx, st.warehouse_id, [v.id for v in variants])
    existing = {ln.variant_id: ln for ln in await stocktakes.lines_of(ctx.tx, st.id)}
    for ln, v in zip(inp.lines, variants, strict=True):
        row = existing.get(v.id)
        expected = on_hand.get(v.id, 0)
        if row is None:
            stocktakes.add_line(
                ctx.tx,
                StocktakeLine(
                    stocktake_id=st.id,
                    variant_id=v.id,
                    expected=expected,
                    counted=ln.counted,
                    recorded_at=ctx.now,
                ),
            )
        else:
            row.expected, row.counted, row.recorded_at = expected, ln.counted, ctx.now
    return await stocktake_out(ctx, st)

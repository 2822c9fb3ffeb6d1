"""A stocktake as staff see it (get_stocktake, list_stocktakes), built in one place
(``stocktake_out``) that every stocktake tool returns."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from core.catalog import variant_name
from core.errors import Conflict, NotFound
from core.stocktake_status import OPEN, StocktakeStep, allows
from storage import stocktakes
from storage.models import Stocktake, StocktakeLine
from tools.context import ToolContext
from tools.purchasing import MAX_ID, variant_info
from tools.registry import ACCOUNTING, WAREHOUSE, tool
from tools.stock_ops import get_warehouse

MAX_UNCOUNTED_LISTED = 200


class StocktakeLineOut(BaseModel):
    variant_id: int
    sku: str
    name: str
    expected: int = Field(description="On hand when the count was recorded")
    counted: int
    variance: int = Field(description="counted - expected")
    unit_cost: int = Field(description="The variant's current cost price")
    variance_value: int = Field(description="variance x unit cost, đồng")
    recorded_at: datetime


class UncountedOut(BaseModel):
    variant_id: int
    sku: str
    name: str
    on_hand: int


class StocktakeOut(BaseModel):
    id: int
    warehouse_code: str
    status: Literal["open", "applied", "cancelled"]
    note: str
    created_by: str
    created_at: datetime
    applied_at: datetime | None
    lines: list[StocktakeLineOut]
    not_counted: list[UncountedOut] = Field(
        description="Variants with stock in the warehouse not counted yet (left unchanged)"
    )
    not_counted_total: int
    units_short: int = Field(description="Sum of negative variances, as a positive number")
    units_over: int
    variance_value: int = Field(description="Net value of the variances at cost, đồng")


async def load(ctx: ToolContext, stocktake_id: int, *, lock: bool = False) -> Stocktake:
    found = await stocktakes.get(ctx.tx, stocktake_id, lock=lock)
    if found is None:
        raise NotFound(
            f"Stocktake {stocktake_id} does not exist.",
            field="stocktake_id",
            code="unknown_stocktake",
        )
    return found


def require_step(st: Stocktake, step: StocktakeStep) -> None:
    """Refuses a step core.stocktake_status does not allow in the stocktake's status."""
    if not allows(st.status, step):
        raise Conflict(
            f"Stocktake {st.id} is {st.status}; only an open stocktake can change.",
            field="stocktake_id",
            code="stocktake_not_open",
        )


async def stocktake_out(ctx: ToolContext, st: Stocktake) -> StocktakeOut:
    wh = await get_warehouse(ctx, warehouse_id=st.warehouse_id)
    lines = await stocktakes.lines_of(ctx.tx, st.id)
    out_lines = await _line_outs(ctx, lines)
    uncounted: list[UncountedOut] = []
    total_uncounted = 0
    if st.status == OPEN:
        uncounted, total_uncounted = await _uncounted(ctx, st, {ln.variant_id for ln in lines})
    return StocktakeOut(
        id=st.id,
        warehouse_code=wh.code,
        status=st.status,  # type: ignore[arg-type]
        note=st.note,
        created_by=st.created_by,
        created_at=st.created_at,
        applied_at=st.applied_at,
        lines=out_lines,
        not_counted=uncounted,
        not_counted_total=total_uncounted,
        units_short=-sum(x.variance for x in out_lines if x.variance < 0),
        units_over=sum(x.variance for x in out_lines if x.variance > 0),
        variance_value=sum(x.variance_value for x in out_lines),
    )


async def _line_outs(ctx: ToolContext, lines: list[StocktakeLine]) -> list[StocktakeLineOut]:
    """The counted lines by SKU, valued at each variant's current cost."""
    info = await variant_info(ctx, [ln.variant_id for ln in lines])
    out_lines = [
        StocktakeLineOut(
            variant_id=ln.variant_id,
            sku=info[ln.variant_id].sku,
            name=info[ln.variant_id].name,
            expected=ln.expected,
            counted=ln.counted,
            variance=ln.counted - ln.expected,
            unit_cost=info[ln.variant_id].cost_price,
            variance_value=(ln.counted - ln.expected) * info[ln.variant_id].cost_price,
            recorded_at=ln.recorded_at,
        )
        for ln in lines
    ]
    out_lines.sort(key=lambda x: x.sku)
    return out_lines


async def _uncounted(
    ctx: ToolContext, st: Stocktake, counted_ids: set[int]
) -> tuple[list[UncountedOut], int]:
    """The variants in stock there not counted yet: the first MAX_UNCOUNTED_LISTED, and how
    many in all."""
    uncounted: list[UncountedOut] = []
    total = 0
    for row in await stocktakes.stocked_in(ctx.tx, st.warehouse_id):
        if row.variant_id in counted_ids:
            continue
        total += 1
        if len(uncounted) < MAX_UNCOUNTED_LISTED:
            name = variant_name(row.product_name, row.options)
            uncounted.append(
                UncountedOut(variant_id=row.variant_id, sku=row.sku, name=name, on_hand=row.on_hand)
            )
    return uncounted, total


class StocktakeIdIn(BaseModel):
    stocktake_id: int = Field(gt=0, le=MAX_ID)


@tool(
    name="get_stocktake",
    description="""Show a stocktake: per counted SKU the expected (on hand when counted) and
    counted units, the variance and its value at cost; and, while open, the SKUs with stock in
    the warehouse that have not been counted yet.""",
    roles=WAREHOUSE | ACCOUNTING,
    write=False,
)
async def get_stocktake(ctx: ToolContext, inp: StocktakeIdIn) -> StocktakeOut:
    return await stocktake_out(ctx, await load(ctx, inp.stocktake_id))


class ListStocktakesIn(BaseModel):
    warehouse_code: str | None = Field(default=None, max_length=32)
    status: Literal["open", "applied", "cancelled"] | None = None
    limit: int = Field(default=20, ge=1, le=200)


class StocktakeSummary(BaseModel):
    id: int
    warehouse_code: str
    status: str
    created_by: str
    created_at: datetime
    applied_at: datetime | None


class ListStocktakesOut(BaseModel):
    stocktakes: list[StocktakeSummary]


@tool(
    name="list_stocktakes",
    description="List stocktakes, newest first, by warehouse or status (open, applied, cancelled).",
    roles=WAREHOUSE | ACCOUNTING,
    write=False,
)
async def list_stocktakes(ctx: ToolContext, inp: ListStocktakesIn) -> ListStocktakesOut:
    code = inp.warehouse_code.strip().upper() if inp.warehouse_code else None
    rows = await stocktakes.newest(ctx.tx, warehouse_code=code, status=inp.status, limit=inp.limit)
    return ListStocktakesOut(
        stocktakes=[
            StocktakeSummary(
                id=st.id,
                warehouse_code=wh_code,
                status=st.status,
                created_by=st.created_by,
                created_at=st.created_at,
                applied_at=st.applied_at,
            )
            for st, wh_code in rows
        ]
    )

"""Stocktakes (kiểm kê): counting a warehouse and correcting on_hand to what is really there.

Counting and applying are separate steps. Each count records ``expected`` = on_hand at the
moment it is recorded, and applying adds ``counted - expected`` (ledger reason ``stocktake``),
so goods shipped or received between the count and the apply are not counted twice and the
warehouse can keep working during a stocktake. SKUs that were not counted are left as they are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select

from core.errors import Conflict, InvalidInput, NotFound
from core.stocktake_status import APPLIED, CANCELLED, OPEN, can_change
from storage.models import Product, StockLevel, Stocktake, StocktakeLine, Variant, Warehouse
from tools.context import ToolContext
from tools.pending import generic_card
from tools.purchasing import MAX_ID, active_warehouse, variant_info, variants_for_lines
from tools.queries import children
from tools.registry import ACCOUNTING, MANAGERS, WAREHOUSE, tool
from tools.stock_ops import Move, apply_moves, get_warehouse, lock_levels

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


async def _load(ctx: ToolContext, stocktake_id: int, *, lock: bool = False) -> Stocktake:
    q = select(Stocktake).where(Stocktake.id == stocktake_id)
    if lock:
        q = q.with_for_update()
    found = (await ctx.session.execute(q)).scalar_one_or_none()
    if found is None:
        raise NotFound(
            f"Stocktake {stocktake_id} does not exist.",
            field="stocktake_id",
            code="unknown_stocktake",
        )
    return found


def _require_open(st: Stocktake) -> None:
    if not can_change(st.status):
        raise Conflict(
            f"Stocktake {st.id} is {st.status}; only an open stocktake can change.",
            field="stocktake_id",
            code="stocktake_not_open",
        )


async def _lines(ctx: ToolContext, stocktake_id: int) -> list[StocktakeLine]:
    return await children(ctx, StocktakeLine, StocktakeLine.stocktake_id, stocktake_id)


async def _out(ctx: ToolContext, st: Stocktake) -> StocktakeOut:
    wh = await get_warehouse(ctx, warehouse_id=st.warehouse_id)
    lines = await _lines(ctx, st.id)
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
    uncounted: list[UncountedOut] = []
    total_uncounted = 0
    if st.status == OPEN:
        counted_ids = {ln.variant_id for ln in lines}
        rows = (
            await ctx.session.execute(
                select(Variant.id, Variant.sku, Variant.options, Product.name, StockLevel.on_hand)
                .join(Product, Product.id == Variant.product_id)
                .join(StockLevel, StockLevel.variant_id == Variant.id)
                .where(StockLevel.warehouse_id == st.warehouse_id, StockLevel.on_hand > 0)
                .order_by(Variant.sku)
            )
        ).all()
        for vid, sku, options, pname, on_hand in rows:
            if vid in counted_ids:
                continue
            total_uncounted += 1
            if len(uncounted) < MAX_UNCOUNTED_LISTED:
                values = " / ".join((options or {}).values())
                uncounted.append(
                    UncountedOut(
                        variant_id=vid,
                        sku=sku,
                        name=f"{pname} - {values}" if values else pname,
                        on_hand=on_hand,
                    )
                )
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
    await ctx.session.execute(select(Warehouse.id).where(Warehouse.id == wh.id).with_for_update())
    existing = await ctx.session.scalar(
        select(Stocktake.id).where(Stocktake.warehouse_id == wh.id, Stocktake.status == OPEN)
    )
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
    ctx.session.add(st)
    await ctx.session.flush()
    return await _out(ctx, st)


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
    st = await _load(ctx, inp.stocktake_id, lock=True)
    _require_open(st)
    variants = await variants_for_lines(ctx, [ln.sku for ln in inp.lines])
    vids = [v.id for v in variants]
    on_hand = dict(
        (
            await ctx.session.execute(
                select(StockLevel.variant_id, StockLevel.on_hand).where(
                    StockLevel.warehouse_id == st.warehouse_id, StockLevel.variant_id.in_(vids)
                )
            )
        ).all()
    )
    existing = {ln.variant_id: ln for ln in await _lines(ctx, st.id)}
    for ln, v in zip(inp.lines, variants, strict=True):
        row = existing.get(v.id)
        expected = int(on_hand.get(v.id, 0))
        if row is None:
            ctx.session.add(
                StocktakeLine(
                    stocktake_id=st.id,
                    variant_id=v.id,
                    expected=expected,
                    counted=ln.counted,
                    recorded_at=ctx.now,
                )
            )
        else:
            row.expected, row.counted, row.recorded_at = expected, ln.counted, ctx.now
    await ctx.session.flush()
    return await _out(ctx, st)


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
    return await _out(ctx, await _load(ctx, inp.stocktake_id))


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
    q = (
        select(Stocktake, Warehouse.code)
        .join(Warehouse, Warehouse.id == Stocktake.warehouse_id)
        .order_by(Stocktake.id.desc())
        .limit(inp.limit)
    )
    if inp.warehouse_code:
        q = q.where(Warehouse.code == inp.warehouse_code.strip().upper())
    if inp.status:
        q = q.where(Stocktake.status == inp.status)
    rows = (await ctx.session.execute(q)).all()
    return ListStocktakesOut(
        stocktakes=[
            StocktakeSummary(
                id=st.id,
                warehouse_code=code,
                status=st.status,
                created_by=st.created_by,
                created_at=st.created_at,
                applied_at=st.applied_at,
            )
            for st, code in rows
        ]
    )


@tool(
    name="apply_stocktake",
    description="""Apply an open stocktake: each counted SKU's on hand changes by counted -
    expected (ledger reason stocktake); SKUs not counted stay as they are. Refused, with nothing
    changed, if any SKU would end with less on hand than is reserved for orders (code
    stocktake_below_reserved, the SKUs are named): release or re-count those first.""",
    roles=MANAGERS | WAREHOUSE,
    confirm=generic_card("Áp dụng kiểm kê / Apply stocktake"),
)
async def apply_stocktake(ctx: ToolContext, inp: StocktakeIdIn) -> StocktakeOut:
    st = await _load(ctx, inp.stocktake_id, lock=True)
    _require_open(st)
    lines = await _lines(ctx, st.id)
    if not lines:
        raise InvalidInput(
            f"Stocktake {st.id} has no counts; record counts first or cancel it.",
            field="stocktake_id",
            code="stocktake_empty",
        )
    changing = [ln for ln in lines if ln.counted != ln.expected]
    vids = [ln.variant_id for ln in changing]
    levels = await lock_levels(ctx, vids)
    missing = [v for v in vids if (v, st.warehouse_id) not in levels]
    current: dict[int, tuple[int, int]] = {
        v: (lvl.on_hand, lvl.reserved) for (v, w), lvl in levels.items() if w == st.warehouse_id
    }
    if missing:  # an inactive warehouse is not in lock_levels' snapshot; read it directly
        rows = await ctx.session.execute(
            select(StockLevel.variant_id, StockLevel.on_hand, StockLevel.reserved)
            .where(StockLevel.warehouse_id == st.warehouse_id, StockLevel.variant_id.in_(missing))
            .with_for_update()
        )
        current.update({v: (oh, rs) for v, oh, rs in rows.all()})
    info = await variant_info(ctx, vids)
    below: list[dict[str, Any]] = []
    for ln in changing:
        oh, rs = current.get(ln.variant_id, (0, 0))
        variance = ln.counted - ln.expected
        if oh + variance < rs:
            below.append(
                {
                    "sku": info[ln.variant_id].sku,
                    "expected": ln.expected,
                    "counted": ln.counted,
                    "variance": variance,
                    "on_hand": oh,
                    "reserved": rs,
                    "on_hand_after": oh + variance,
                }
            )
    if below:
        names = ", ".join(
            f"{b['sku']} (on hand {b['on_hand']} {b['variance']:+d} = {b['on_hand_after']}, "
            f"reserved {b['reserved']})"
            for b in below
        )
        raise Conflict(
            f"Applying stocktake {st.id} would leave less on hand than is reserved for orders: "
            f"{names}. Nothing was changed. Cancel or move those orders, or re-count, then apply.",
            field="stocktake_id",
            code="stocktake_below_reserved",
            details={"lines": below, "skus": [b["sku"] for b in below]},
        )
    await apply_moves(
        ctx,
        [
            Move(
                ln.variant_id,
                st.warehouse_id,
                d_on_hand=ln.counted - ln.expected,
                reason="stocktake",
                ref_type="stocktake",
                ref_id=st.id,
            )
            for ln in changing
        ],
    )
    st.status = APPLIED
    st.applied_at = ctx.now
    await ctx.session.flush()
    out = await _out(ctx, st)
    ctx.emit(
        "stocktake.applied",
        f"stocktake:{st.id}",
        {
            "stocktake_id": st.id,
            "warehouse_id": st.warehouse_id,
            "lines": [
                {"variant_id": x.variant_id, "sku": x.sku, "variance": x.variance}
                for x in out.lines
                if x.variance
            ],
            "units_short": out.units_short,
            "units_over": out.units_over,
            "variance_value": out.variance_value,
            "actor": ctx.actor.label,
        },
    )
    return out


@tool(
    name="cancel_stocktake",
    description="Cancel an open stocktake without changing any stock.",
    roles=WAREHOUSE,
)
async def cancel_stocktake(ctx: ToolContext, inp: StocktakeIdIn) -> StocktakeOut:
    st = await _load(ctx, inp.stocktake_id, lock=True)
    _require_open(st)
    st.status = CANCELLED
    await ctx.session.flush()
    return await _out(ctx, st)

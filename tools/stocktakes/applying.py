"""Finishing a stocktake: applying its counts to stock (all or nothing), or cancelling it."""

from __future__ import annotations

from typing import Any

from core.errors import Conflict, InvalidInput
from core.stocktake_status import APPLIED, CANCELLED, StocktakeStep
from storage import stocktakes
from storage.models import Stocktake, StocktakeLine
from tools.context import ToolContext
from tools.pending import generic_card
from tools.purchasing import variant_info
from tools.registry import MANAGERS, WAREHOUSE, tool
from tools.stock_ops import Move, apply_moves, lock_levels
from tools.stocktakes.reading import StocktakeIdIn, StocktakeOut, load, require_step, stocktake_out


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
    st = await load(ctx, inp.stocktake_id, lock=True)
    require_step(st, StocktakeStep.APPLY)
    lines = await stocktakes.lines_of(ctx.tx, st.id)
    if not lines:
        raise InvalidInput(
            f"Stocktake {st.id} has no counts; record counts first or cancel it.",
            field="stocktake_id",
            code="stocktake_empty",
        )
    changing = [ln for ln in lines if ln.counted != ln.expected]
    current = await _lock_counted(ctx, st, [ln.variant_id for ln in changing])
    await _refuse_below_reserved(ctx, st, changing, current)
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
    result = await stocktake_out(ctx, st)
    _emit_applied(ctx, st, result)
    return result


async def _lock_counted(
    ctx: ToolContext, st: Stocktake, vids: list[int]
) -> dict[int, tuple[int, int]]:
    """(on_hand, reserved) of the variants that change, in the stocktake's warehouse, locked
    in the global order (lock_levels)."""
    levels = await lock_levels(ctx, vids)
    current = {
        v: (lvl.on_hand, lvl.reserved) for (v, w), lvl in levels.items() if w == st.warehouse_id
    }
    missing = [v for v in vids if (v, st.warehouse_id) not in levels]
    if missing:  # an inactive warehouse is not in lock_levels' snapshot; read it directly
        current.update(await stocktakes.lock_levels_in(ctx.tx, st.warehouse_id, missing))
    return current


async def _refuse_below_reserved(
    ctx: ToolContext,
    st: Stocktake,
    changing: list[StocktakeLine],
    current: dict[int, tuple[int, int]],
) -> None:
    """Refuses the whole apply, naming every SKU that would end with less on hand than is
    reserved for orders (the database would refuse the first one anyway)."""
    info = await variant_info(ctx, [ln.variant_id for ln in changing])
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
    if not below:
        return
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


def _emit_applied(ctx: ToolContext, st: Stocktake, result: StocktakeOut) -> None:
    ctx.emit(
        "stocktake.applied",
        f"stocktake:{st.id}",
        {
            "stocktake_id": st.id,
            "warehouse_id": st.warehouse_id,
            "lines": [
                {"variant_id": x.variant_id, "sku": x.sku, "variance": x.variance}
                for x in result.lines
                if x.variance
            ],
            "units_short": result.units_short,
            "units_over": result.units_over,
            "variance_value": result.variance_value,
            "actor": ctx.actor.label,
        },
    )


@tool(
    name="cancel_stocktake",
    description="Cancel an open stocktake without changing any stock.",
    roles=WAREHOUSE,
)
async def cancel_stocktake(ctx: ToolContext, inp: StocktakeIdIn) -> StocktakeOut:
    st = await load(ctx, inp.stocktake_id, lock=True)
    require_step(st, StocktakeStep.CANCEL)
    st.status = CANCELLED
    return await stocktake_out(ctx, st)

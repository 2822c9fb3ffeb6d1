"""Purchase advice: what to buy now, grouped by the supplier each variant was last bought
from (core.replenishment says how much)."""

from __future__ import annotations

from collections import defaultdict

from core.replenishment import is_low, suggested_quantity
from storage import purchasing as store
from storage.models import Supplier
from storage.purchasing import Candidate, VariantInfo
from tools.context import ToolContext
from tools.purchasing.lookups import variant_info
from tools.purchasing.schemas import (
    SuggestionLine,
    SuggestPurchasesIn,
    SuggestPurchasesOut,
    SupplierSuggestion,
)
from tools.registry import MANAGERS, WAREHOUSE, tool


@tool(
    name="suggest_purchases",
    description="""What to buy now, grouped by the supplier each variant was last bought from.
    Per variant: the units waiting (awaiting_stock) orders still lack, plus stock low against the
    reorder point (available <= reorder point, reorder point > 0). Suggested quantity = waiting
    need + 2 x reorder point - available - units still to come on confirmed or partially
    received purchase orders; variants already covered are left out. Draft, cancelled and
    closed (closed short) POs are not counted as on order.""",
    roles=MANAGERS | WAREHOUSE,
    write=False,
)
async def suggest_purchases(ctx: ToolContext, inp: SuggestPurchasesIn) -> SuggestPurchasesOut:
    awaiting = await store.awaiting_need(ctx.tx)
    candidates = await store.purchase_candidates(ctx.tx, awaiting)
    if not candidates:
        return SuggestPurchasesOut(suppliers=[], total_units=0, estimated_cost=0)
    vids = [c.variant_id for c in candidates]
    on_order = await store.units_on_order(ctx.tx, vids)
    last = await store.last_purchases(ctx.tx, vids)  # variant -> (supplier id, unit cost)
    info = await variant_info(ctx, vids)
    suppliers = await store.suppliers_by_id(ctx.tx, {sup for sup, _ in last.values()})
    only: int | None = None
    if inp.supplier_code:
        match = [sp for sp in suppliers.values() if sp.code == inp.supplier_code.strip().upper()]
        if not match:
            return SuggestPurchasesOut(suppliers=[], total_units=0, estimated_cost=0)
        only = match[0].id

    groups: dict[int | None, list[SuggestionLine]] = defaultdict(list)
    for c in candidates:
        sup_id, unit_cost = last.get(c.variant_id, (None, info[c.variant_id].cost_price))
        if only is not None and sup_id != only:
            continue
        line = _suggestion(
            c,
            info[c.variant_id],
            awaiting.get(c.variant_id, 0),
            on_order.get(c.variant_id, 0),
            unit_cost,
        )
        if line is not None:
            groups[sup_id].append(line)
    return _by_supplier(groups, suppliers)


def _suggestion(
    c: Candidate, info: VariantInfo, need: int, coming: int, unit_cost: int
) -> SuggestionLine | None:
    """What to buy of one variant, or None when waiting orders and stock need nothing."""
    available = c.on_hand - c.reserved
    if need <= 0 and not (c.product_active and is_low(available, c.reorder_point)):
        return None
    refill_to = c.reorder_point if c.product_active else 0  # discontinued: waiting orders only
    qty = suggested_quantity(available, refill_to, awaiting=need, on_order=coming)
    if qty <= 0:
        return None
    return SuggestionLine(
        variant_id=c.variant_id,
        sku=info.sku,
        name=info.name,
        on_hand=c.on_hand,
        reserved=c.reserved,
        available=available,
        reorder_point=c.reorder_point,
        awaiting_orders_need=need,
        on_order=coming,
        suggested_quantity=qty,
        unit_cost=unit_cost,
        estimated_cost=qty * unit_cost,
    )


def _by_supplier(
    groups: dict[int | None, list[SuggestionLine]], suppliers: dict[int, Supplier]
) -> SuggestPurchasesOut:
    """The suggestions per supplier by code; variants never bought before come last."""
    out: list[SupplierSuggestion] = []
    for sup_id, lines in sorted(
        groups.items(),
        key=lambda kv: (kv[0] is None, suppliers[kv[0]].code if kv[0] is not None else ""),
    ):
        sp = suppliers.get(sup_id) if sup_id is not None else None
        out.append(
            SupplierSuggestion(
                supplier_id=sup_id,
                supplier_code=sp.code if sp else None,
                supplier_name=sp.name if sp else None,
                lines=lines,
                estimated_cost=sum(ln.estimated_cost for ln in lines),
            )
        )
    return SuggestPurchasesOut(
        suppliers=out,
        total_units=sum(ln.suggested_quantity for g in out for ln in g.lines),
        estimated_cost=sum(g.estimated_cost for g in out),
    )

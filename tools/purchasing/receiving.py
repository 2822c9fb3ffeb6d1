"""Goods receipts (phiếu nhập kho): goods arrive at a warehouse, for a purchase order or not.

Receiving puts the goods on hand (ledger reason ``receipt``), moves the PO to
partially_received / received, re-averages each variant's cost and hands the new stock to
orders that were waiting for it, oldest first. Everything is checked before anything is
written; a refusal leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.costing import weighted_average_cost
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.purchase_status import (
    RECEIVABLE,
    PurchaseStatus,
    check_transition,
    status_after_receipt,
)
from storage import purchasing as store
from storage.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Variant,
    Warehouse,
    order_number,
)
from tools.context import ToolContext
from tools.pending import generic_card
from tools.purchasing.lookups import active_warehouse, variant_info, variants_for_lines
from tools.purchasing.orders import create_purchase_order
from tools.purchasing.reading import load_po
from tools.purchasing.schemas import ReceivedLineOut, ReceiveGoodsIn, ReceiveGoodsOut
from tools.registry import WAREHOUSE, tool
from tools.stock_ops import Move, apply_moves, get_warehouse, lock_levels
from tools.waiting import allocate_awaiting_orders


@dataclass(frozen=True, slots=True)
class _Arrival:
    """One received line as written: what came, at what cost, against which PO line."""

    variant: Variant
    po_line: PurchaseOrderLine | None
    quantity: int
    unit_cost: int
    over_received: int
    cost_price_before: int


@tool(
    name="receive_goods",
    description="""Record goods that arrived at a warehouse (phiếu nhập kho), for a confirmed
    purchase order (purchase_order_id) or without one (then warehouse_code is required). Each
    SKU once, with the quantity that arrived. Receiving more than a PO line still expects is
    refused unless allow_over_receipt is true; SKUs not on the PO are refused. The stock goes on
    hand at once, the PO becomes partially_received or received, and each variant's cost price
    becomes the weighted average cost over its total on hand in all warehouses: (on_hand x old
    cost + received x unit cost) / (on_hand + received), rounded half-up to the đồng; the unit
    cost is the PO line's (only an owner or manager may give another). Orders
    that were waiting for this stock (awaiting_stock) are then served first come, first served;
    the output lists the ones now fully reserved.""",
    roles=WAREHOUSE,
    confirm=generic_card("Nhập hàng vào kho / Receive goods"),
)
async def receive_goods(ctx: ToolContext, inp: ReceiveGoodsIn) -> ReceiveGoodsOut:
    po, po_lines = await _receivable_po(ctx, inp.purchase_order_id)
    wh = await _receiving_warehouse(ctx, inp.warehouse_code, po)
    variants = await variants_for_lines(ctx, [ln.sku for ln in inp.lines])
    matched = _match_po_lines(ctx, inp, variants, po, po_lines)
    vids = [v.id for v in variants]
    variants, on_hand = await _lock_for_costing(ctx, vids)
    info = await variant_info(ctx, vids)
    receipt, arrivals = await _write_receipt(
        ctx, inp, wh, po, po_lines, list(zip(variants, matched, strict=True)), on_hand
    )
    after = await apply_moves(
        ctx,
        [
            Move(
                a.variant.id,
                wh.id,
                d_on_hand=a.quantity,
                reason="receipt",
                ref_type="goods_receipt",
                ref_id=receipt.id,
                note=po.number if po else "",
            )
            for a in arrivals
        ],
    )
    out_lines = [
        ReceivedLineOut(
            variant_id=a.variant.id,
            sku=a.variant.sku,
            name=info[a.variant.id].name,
            quantity=a.quantity,
            unit_cost=a.unit_cost,
            purchase_order_line_id=a.po_line.id if a.po_line else None,
            over_received=a.over_received,
            on_hand_in_warehouse=res[0],
            cost_price_before=a.cost_price_before,
            cost_price_after=a.variant.cost_price,
        )
        for a, res in zip(arrivals, after, strict=True)
    ]
    _emit_received(ctx, receipt, po, wh, out_lines)
    # Waiting orders get the new stock now, oldest first (tools.reservations decides).
    allocated = list(await allocate_awaiting_orders(ctx, vids))
    return ReceiveGoodsOut(
        receipt_id=receipt.id,
        number=receipt.number,
        warehouse_code=wh.code,
        purchase_order_id=po.id if po else None,
        purchase_order_number=po.number if po else None,
        purchase_order_status=po.status if po else None,
        lines=out_lines,
        total_units=sum(x.quantity for x in out_lines),
        total_cost=sum(x.quantity * x.unit_cost for x in out_lines),
        allocated_order_ids=allocated,
        allocated_order_numbers=[order_number(i) for i in allocated],
    )


async def _receivable_po(
    ctx: ToolContext, po_id: int | None
) -> tuple[PurchaseOrder | None, list[PurchaseOrderLine]]:
    """The PO the goods arrive for, locked, with its lines; refuses one that takes no goods."""
    if po_id is None:
        return None, []
    po = await load_po(ctx, po_id, lock=True)
    status = PurchaseStatus(po.status)
    if status not in RECEIVABLE:
        hint = " Confirm it first." if status is PurchaseStatus.DRAFT else ""
        raise Conflict(
            f"{po.number} is {po.status}; goods can only be received for a confirmed or "
            f"partially received purchase order.{hint}",
            field="purchase_order_id",
            code="purchase_order_not_receivable",
        )
    return po, await store.lines_of(ctx.tx, po.id)


async def _receiving_warehouse(
    ctx: ToolContext, code: str | None, po: PurchaseOrder | None
) -> Warehouse:
    """The warehouse named, else the PO's; either must be active."""
    if code:
        return await active_warehouse(ctx, code)
    if po is None:
        raise InvalidInput(
            "Name the warehouse the goods arrived at (or give the purchase order).",
            field="warehouse_code",
        )
    wh = await get_warehouse(ctx, warehouse_id=po.warehouse_id)
    if not wh.active:
        raise Conflict(
            f"The PO's warehouse {wh.code} is inactive; name the warehouse the goods reached.",
            field="warehouse_code",
            code="warehouse_inactive",
        )
    return wh


def _match_po_lines(
    ctx: ToolContext,
    inp: ReceiveGoodsIn,
    variants: Sequence[Variant],
    po: PurchaseOrder | None,
    po_lines: Sequence[PurchaseOrderLine],
) -> list[PurchaseOrderLine | None]:
    """Each received line's PO line (None without a PO). Refuses SKUs not on the PO, a cost
    other than the PO's from someone who may not buy, and more than the PO still expects
    (unless allowed; all such lines named at once)."""
    by_variant = {ln.variant_id: ln for ln in po_lines}
    matched: list[PurchaseOrderLine | None] = []
    over: list[dict[str, Any]] = []
    first_over: int | None = None
    for i, (ln, v) in enumerate(zip(inp.lines, variants, strict=True)):
        if po is None:
            matched.append(None)
            continue
        pol = by_variant.get(v.id)
        if pol is None:
            raise InvalidInput(
                f"{v.sku} is not on {po.number}. Receive it without the purchase order, or add "
                "it to a purchase order first.",
                field=f"lines.{i}.sku",
                code="not_on_purchase_order",
            )
        if (
            ln.unit_cost is not None
            and ln.unit_cost != pol.unit_cost
            and not create_purchase_order.allows(ctx.actor.role)
        ):
            # The price was agreed on the PO by those who may buy; a receipt at another cost
            # would move the cost price and profit figures, so only they may set one.
            raise PermissionDenied(
                f"{v.sku} was ordered at {pol.unit_cost}đ on {po.number}; a "
                f"{ctx.actor.role.value} may not receive it at another cost ({ln.unit_cost}đ). "
                "Leave unit_cost out to use the PO's price, or ask a manager.",
                field=f"lines.{i}.unit_cost",
                code="unit_cost_not_allowed",
                details={"sku": v.sku, "po_unit_cost": pol.unit_cost, "unit_cost": ln.unit_cost},
            )
        remaining = max(0, pol.quantity - pol.received)
        if ln.quantity > remaining and not inp.allow_over_receipt:
            over.append(
                {
                    "sku": v.sku,
                    "ordered": pol.quantity,
                    "received": pol.received,
                    "remaining": remaining,
                    "receiving": ln.quantity,
                }
            )
            first_over = i if first_over is None else first_over
        matched.append(pol)
    if over:
        assert po is not None
        names = ", ".join(
            f"{o['sku']} ({o['receiving']} > {o['remaining']} remaining)" for o in over
        )
        raise Conflict(
            f"More than {po.number} still expects: {names}. Check the count, or pass "
            "allow_over_receipt=true to accept the extra units.",
            field=f"lines.{first_over}.quantity",
            code="over_receipt",
            details={"lines": over},
        )
    return matched


async def _lock_for_costing(
    ctx: ToolContext, vids: list[int]
) -> tuple[list[Variant], dict[int, int]]:
    """Locks the variants' stock rows, then reads their cost price and total on hand.

    The average cost reads the total on hand, which must not change under us (another
    receipt of the same SKU waits at the lock); the variants are read again under that lock,
    since a receipt that committed while we waited changed their cost price.
    """
    await lock_levels(ctx, vids)
    fresh = await store.variants_as_committed(ctx.tx, vids)
    return [fresh[vid] for vid in vids], await store.on_hand_totals(ctx.tx, vids)


async def _write_receipt(
    ctx: ToolContext,
    inp: ReceiveGoodsIn,
    wh: Warehouse,
    po: PurchaseOrder | None,
    po_lines: Sequence[PurchaseOrderLine],
    received: list[tuple[Variant, PurchaseOrderLine | None]],
    on_hand: dict[int, int],
) -> tuple[GoodsReceipt, list[_Arrival]]:
    """Writes the receipt and its lines, counts the units on the PO lines, re-averages each
    variant's cost price over its total on hand and moves the PO's status (no stock moves)."""
    arrivals: list[_Arrival] = []
    for ln, (v, pol) in zip(inp.lines, received, strict=True):
        if ln.unit_cost is not None:
            unit_cost = ln.unit_cost
        else:
            unit_cost = pol.unit_cost if pol is not None else v.cost_price
        over = max(0, ln.quantity - max(0, pol.quantity - pol.received)) if pol else 0
        arrivals.append(_Arrival(v, pol, ln.quantity, unit_cost, over, v.cost_price))
        if pol is not None:
            pol.received += ln.quantity
        v.cost_price = weighted_average_cost(
            on_hand.get(v.id, 0), v.cost_price, ln.quantity, unit_cost
        )
    if po is not None:
        new_status = status_after_receipt(
            [ln.quantity for ln in po_lines], [ln.received for ln in po_lines]
        )
        check_transition(PurchaseStatus(po.status), new_status)
        po.status = new_status.value
        po.updated_at = ctx.now
    receipt = GoodsReceipt(
        purchase_order_id=po.id if po else None,
        warehouse_id=wh.id,
        note=inp.note,
        received_by=ctx.actor.label,
        created_at=ctx.now,
    )
    lines = [
        GoodsReceiptLine(
            variant_id=a.variant.id,
            purchase_order_line_id=a.po_line.id if a.po_line else None,
            quantity=a.quantity,
            unit_cost=a.unit_cost,
        )
        for a in arrivals
    ]
    return await store.add_receipt(ctx.tx, receipt, lines), arrivals


def _emit_received(
    ctx: ToolContext,
    receipt: GoodsReceipt,
    po: PurchaseOrder | None,
    wh: Warehouse,
    lines: list[ReceivedLineOut],
) -> None:
    ctx.emit(
        "goods.received",
        f"goods_receipt:{receipt.id}",
        {
            "receipt_id": receipt.id,
            "number": receipt.number,
            "purchase_order_id": po.id if po else None,
            "warehouse_id": wh.id,
            "lines": [
                {
                    "variant_id": x.variant_id,
                    "sku": x.sku,
                    "quantity": x.quantity,
                    "unit_cost": x.unit_cost,
                }
                for x in lines
            ],
            "actor": ctx.actor.label,
        },
    )

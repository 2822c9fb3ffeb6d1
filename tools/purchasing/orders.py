"""Purchase orders: drafted, confirmed with the supplier, cancelled, or closed short.

Receiving goods against them is tools.purchasing.receiving.
"""

from __future__ import annotations

from core.errors import Conflict, IllegalTransition, InvalidInput
from core.purchase_status import PurchaseStatus, check_transition
from storage import purchasing as store
from storage.models import PurchaseOrder, PurchaseOrderLine
from tools.context import ToolContext
from tools.pending import generic_card
from tools.purchasing.lookups import active_warehouse, variants_for_lines
from tools.purchasing.reading import load_po, po_out
from tools.purchasing.schemas import (
    CancelPurchaseOrderIn,
    ClosePurchaseOrderIn,
    CreatePurchaseOrderIn,
    PurchaseOrderIdIn,
    PurchaseOrderOut,
)
from tools.purchasing.suppliers import named_supplier
from tools.registry import ACCOUNTING, MANAGERS, tool


@tool(
    name="create_purchase_order",
    description="""Draft a purchase order to a supplier (by supplier_code or supplier_id) for
    goods to arrive at a warehouse: lines of SKU, quantity and agreed unit cost (đồng). Each SKU
    may appear only once (put the total quantity on one line). The PO starts as draft; confirm it
    with confirm_purchase_order once the supplier agrees, then record arrivals with
    receive_goods.""",
    roles=MANAGERS | ACCOUNTING,
    confirm=generic_card("Tạo đơn mua hàng / Create purchase order"),
)
async def create_purchase_order(ctx: ToolContext, inp: CreatePurchaseOrderIn) -> PurchaseOrderOut:
    supplier = await named_supplier(ctx, inp.supplier_id, inp.supplier_code)
    wh = await active_warehouse(ctx, inp.warehouse_code)
    variants = await variants_for_lines(ctx, [ln.sku for ln in inp.lines])
    po = PurchaseOrder(
        supplier_id=supplier.id,
        warehouse_id=wh.id,
        status=PurchaseStatus.DRAFT.value,
        expected_date=inp.expected_date,
        note=inp.note,
        created_by=ctx.actor.label,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    lines = [
        PurchaseOrderLine(variant_id=v.id, quantity=ln.quantity, unit_cost=ln.unit_cost, received=0)
        for ln, v in zip(inp.lines, variants, strict=True)
    ]
    await store.add_purchase_order(ctx.tx, po, lines)
    return await po_out(ctx, po)


@tool(
    name="confirm_purchase_order",
    description="""Confirm a draft purchase order (the supplier agreed): it then counts as goods
    on order and can be received with receive_goods.""",
    roles=MANAGERS | ACCOUNTING,
    confirm=generic_card("Xác nhận đơn mua hàng / Confirm purchase order"),
)
async def confirm_purchase_order(ctx: ToolContext, inp: PurchaseOrderIdIn) -> PurchaseOrderOut:
    po = await load_po(ctx, inp.purchase_order_id, lock=True)
    check_transition(PurchaseStatus(po.status), PurchaseStatus.CONFIRMED)
    po.status = PurchaseStatus.CONFIRMED.value
    po.updated_at = ctx.now
    out = await po_out(ctx, po)
    ctx.emit(
        "purchase_order.confirmed",
        f"purchase_order:{po.id}",
        {
            "purchase_order_id": po.id,
            "number": po.number,
            "supplier_id": po.supplier_id,
            "warehouse_id": po.warehouse_id,
            "total_cost": out.total_cost,
            "expected_date": po.expected_date.isoformat() if po.expected_date else None,
            "lines": [
                {
                    "variant_id": ln.variant_id,
                    "sku": ln.sku,
                    "quantity": ln.ordered,
                    "unit_cost": ln.unit_cost,
                }
                for ln in out.lines
            ],
            "actor": ctx.actor.label,
        },
    )
    return out


@tool(
    name="cancel_purchase_order",
    description="""Cancel a purchase order that is still draft or confirmed and of which nothing
    has been received. A PO that is partly received cannot be cancelled; close it short with
    close_purchase_order when the rest will never come.""",
    roles=MANAGERS | ACCOUNTING,
)
async def cancel_purchase_order(ctx: ToolContext, inp: CancelPurchaseOrderIn) -> PurchaseOrderOut:
    po = await load_po(ctx, inp.purchase_order_id, lock=True)
    check_transition(PurchaseStatus(po.status), PurchaseStatus.CANCELLED)
    if any(ln.received for ln in await store.lines_of(ctx.tx, po.id)):
        raise Conflict(
            f"{po.number} has goods received already and cannot be cancelled.",
            field="purchase_order_id",
            code="purchase_order_received",
        )
    po.status = PurchaseStatus.CANCELLED.value
    po.updated_at = ctx.now
    if inp.reason.strip():
        po.note = f"{po.note}\nCancelled: {inp.reason.strip()}".strip()
    ctx.emit(
        "purchase_order.cancelled",
        f"purchase_order:{po.id}",
        {
            "purchase_order_id": po.id,
            "number": po.number,
            "reason": inp.reason,
            "actor": ctx.actor.label,
        },
    )
    return await po_out(ctx, po)


@tool(
    name="close_purchase_order",
    description="""Close a partly received purchase order short: the supplier delivered part of
    it and will never send the rest. The PO becomes closed, the units still missing stop
    counting as on order (suggest_purchases, low_stock_report) and no more goods can be
    received against it. Give the reason. A PO of which nothing was received is cancelled with
    cancel_purchase_order instead; a fully received PO needs nothing.""",
    roles=MANAGERS | ACCOUNTING,
)
async def close_purchase_order(ctx: ToolContext, inp: ClosePurchaseOrderIn) -> PurchaseOrderOut:
    reason = inp.reason.strip()
    if not reason:
        raise InvalidInput("Say why the rest of the order will not come.", field="reason")
    po = await load_po(ctx, inp.purchase_order_id, lock=True)
    status = PurchaseStatus(po.status)
    if status in (PurchaseStatus.DRAFT, PurchaseStatus.CONFIRMED):
        raise IllegalTransition(
            f"Nothing of {po.number} has been received; cancel it with cancel_purchase_order "
            "instead of closing it.",
            field="purchase_order_id",
            details={"from": status.value, "to": PurchaseStatus.CLOSED.value},
        )
    check_transition(status, PurchaseStatus.CLOSED)
    lines = await store.lines_of(ctx.tx, po.id)
    po.status = PurchaseStatus.CLOSED.value
    po.updated_at = ctx.now
    po.note = f"{po.note}\nClosed short: {reason}".strip()
    out = await po_out(ctx, po)
    ctx.emit(
        "purchase_order.closed",
        f"purchase_order:{po.id}",
        {
            "purchase_order_id": po.id,
            "number": po.number,
            "supplier_id": po.supplier_id,
            "warehouse_id": po.warehouse_id,
            "reason": reason,
            "lines": [
                {
                    "variant_id": ln.variant_id,
                    "sku": ln.sku,
                    "ordered": ln.ordered,
                    "received": ln.received,
                    "not_delivered": ln.not_delivered,
                }
                for ln in out.lines
            ],
            "units_not_delivered": sum(max(0, ln.quantity - ln.received) for ln in lines),
            "actor": ctx.actor.label,
        },
    )
    return out

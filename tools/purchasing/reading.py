"""Showing purchase orders: one with its lines and receipts, or a list of them."""

from __future__ import annotations

from core.errors import NotFound
from core.purchase_status import PurchaseStatus
from storage import purchasing as store
from storage.models import PurchaseOrder
from tools.context import ToolContext
from tools.purchasing.lookups import variant_info
from tools.purchasing.schemas import (
    ListPurchaseOrdersIn,
    ListPurchaseOrdersOut,
    PurchaseOrderIdIn,
    PurchaseOrderLineOut,
    PurchaseOrderOut,
    PurchaseOrderSummary,
    ReceiptRef,
)
from tools.registry import ACCOUNTING, MANAGERS, WAREHOUSE, tool


async def load_po(ctx: ToolContext, po_id: int, *, lock: bool = False) -> PurchaseOrder:
    """The PO, row-locked when it is about to change; refuses an unknown id."""
    po = await store.purchase_order(ctx.tx, po_id, lock=lock)
    if po is None:
        raise NotFound(
            f"Purchase order {po_id} does not exist.",
            field="purchase_order_id",
            code="unknown_purchase_order",
        )
    return po


async def po_out(ctx: ToolContext, po: PurchaseOrder) -> PurchaseOrderOut:
    supplier, wh = await store.parties_of(ctx.tx, po)
    lines = await store.lines_of(ctx.tx, po.id)
    info = await variant_info(ctx, [ln.variant_id for ln in lines])
    closed = po.status == PurchaseStatus.CLOSED.value
    receipts = await store.receipts_of(ctx.tx, po.id)
    return PurchaseOrderOut(
        id=po.id,
        number=po.number,
        status=po.status,
        supplier_id=supplier.id,
        supplier_code=supplier.code,
        supplier_name=supplier.name,
        warehouse_code=wh.code,
        expected_date=po.expected_date,
        note=po.note,
        created_by=po.created_by,
        created_at=po.created_at,
        lines=[
            PurchaseOrderLineOut(
                id=ln.id,
                variant_id=ln.variant_id,
                sku=info[ln.variant_id].sku,
                name=info[ln.variant_id].name,
                ordered=ln.quantity,
                received=ln.received,
                remaining=0 if closed else max(0, ln.quantity - ln.received),
                not_delivered=max(0, ln.quantity - ln.received) if closed else 0,
                unit_cost=ln.unit_cost,
                line_cost=ln.quantity * ln.unit_cost,
            )
            for ln in lines
        ],
        total_cost=sum(ln.quantity * ln.unit_cost for ln in lines),
        units_ordered=sum(ln.quantity for ln in lines),
        units_received=sum(ln.received for ln in lines),
        receipts=[ReceiptRef.model_validate(r, from_attributes=True) for r in receipts],
    )


@tool(
    name="get_purchase_order",
    description="""Show a purchase order: supplier, destination warehouse, status and per line
    what was ordered, received so far and what remains to come, plus its goods receipts.""",
    roles=MANAGERS | ACCOUNTING | WAREHOUSE,
    write=False,
)
async def get_purchase_order(ctx: ToolContext, inp: PurchaseOrderIdIn) -> PurchaseOrderOut:
    return await po_out(ctx, await load_po(ctx, inp.purchase_order_id))


@tool(
    name="list_purchase_orders",
    description="""List purchase orders, newest first, by status or supplier; open_only shows
    those still expecting goods (confirmed or partially received).""",
    roles=MANAGERS | ACCOUNTING | WAREHOUSE,
    write=False,
)
async def list_purchase_orders(
    ctx: ToolContext, inp: ListPurchaseOrdersIn
) -> ListPurchaseOrdersOut:
    found = await store.order_summaries(
        ctx.tx,
        status=inp.status.value if inp.status is not None else None,
        open_only=inp.open_only,
        supplier_code=inp.supplier_code.strip().upper() if inp.supplier_code else None,
        limit=inp.limit,
    )
    return ListPurchaseOrdersOut(
        purchase_orders=[
            PurchaseOrderSummary(
                id=s.po.id,
                number=s.po.number,
                status=s.po.status,
                supplier_code=s.supplier_code,
                supplier_name=s.supplier_name,
                warehouse_code=s.warehouse_code,
                expected_date=s.po.expected_date,
                total_cost=s.total_cost,
                units_ordered=s.units_ordered,
                units_received=s.units_received,
                created_at=s.po.created_at,
            )
            for s in found
        ]
    )

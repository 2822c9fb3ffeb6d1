"""Suppliers, purchase orders and goods receipts: how stock comes into the shop.

A purchase order (PO) is drafted, confirmed with the supplier, then received in one or more
goods receipts. Receiving puts the goods on hand (ledger reason ``receipt``), moves the PO to
partially_received / received, re-averages the variant's cost and hands the new stock to
orders that were waiting for it, oldest first.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import BigInteger, cast, func, or_, select

from core.costing import weighted_average_cost
from core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from core.order_status import OrderStatus
from core.phone import normalise_phone
from core.purchase_status import (
    RECEIVABLE,
    PurchaseStatus,
    check_transition,
    status_after_receipt,
)
from core.replenishment import is_low, suggested_quantity
from core.tax_code import normalise_tax_code
from storage.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    Order,
    OrderLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    Supplier,
    Variant,
    Warehouse,
    order_number,
)
from tools.context import ToolContext
from tools.idempotency import Idempotent
from tools.pending import generic_card
from tools.queries import children
from tools.registry import ACCOUNTING, MANAGERS, WAREHOUSE, tool
from tools.stock_ops import Move, apply_moves, get_warehouse, lock_levels
from tools.waiting import allocate_awaiting_orders

MAX_UNIT_COST = 1_000_000_000  # one billion đồng a unit: anything above is a typo
MAX_QUANTITY = 1_000_000
MAX_ID = 2**63 - 1  # ids are 64-bit keys: a larger number names nothing
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
OPEN_PO_STATUSES = (PurchaseStatus.CONFIRMED.value, PurchaseStatus.PARTIALLY_RECEIVED.value)


# --------------------------------------------------------------------------- shared helpers


@dataclasses.dataclass(frozen=True, slots=True)
class VariantInfo:
    id: int
    sku: str
    name: str  # product name plus the variant's option values
    cost_price: int
    reorder_point: int


def _label(product_name: str, options: dict[str, str] | None) -> str:
    values = " / ".join((options or {}).values())
    return f"{product_name} - {values}" if values else product_name


async def variant_info(ctx: ToolContext, variant_ids: Iterable[int]) -> dict[int, VariantInfo]:
    """SKU, display name and cost of these variants (one query)."""
    ids = sorted(set(variant_ids))
    if not ids:
        return {}
    rows = await ctx.session.execute(
        select(
            Variant.id,
            Variant.sku,
            Variant.options,
            Variant.cost_price,
            Variant.reorder_point,
            Product.name,
        )
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.id.in_(ids))
    )
    return {
        vid: VariantInfo(vid, sku, _label(pname, options), cost, rp)
        for vid, sku, options, cost, rp, pname in rows.all()
    }


async def variants_for_lines(
    ctx: ToolContext, skus: Sequence[str], *, field: str = "lines"
) -> list[Variant]:
    """Looks up each line's SKU; refuses unknown SKUs (all named) and a SKU given twice.

    A SKU appears once per document: two lines of one SKU (perhaps at two costs) are
    ambiguous, and merging them silently would hide a typo, so the caller is asked to put the
    total on one line.
    """
    cleaned = [s.strip() for s in skus]
    seen: dict[str, int] = {}
    for i, sku in enumerate(cleaned):
        if sku in seen:
            raise InvalidInput(
                f"SKU {sku} appears on lines {seen[sku]} and {i}; give each SKU once with its "
                "total quantity.",
                field=f"{field}.{i}.sku",
                code="duplicate_sku",
            )
        seen[sku] = i
    found = {
        v.sku: v
        for v in (
            await ctx.session.execute(select(Variant).where(Variant.sku.in_(cleaned)))
        ).scalars()
    }
    missing = [(i, s) for i, s in enumerate(cleaned) if s not in found]
    if missing:
        raise NotFound(
            "There is no product with SKU " + ", ".join(s for _, s in missing) + ".",
            field=f"{field}.{missing[0][0]}.sku",
            code="unknown_sku",
            details={"skus": [s for _, s in missing]},
        )
    return [found[s] for s in cleaned]


async def active_warehouse(
    ctx: ToolContext, code: str, *, field: str = "warehouse_code"
) -> Warehouse:
    wh = await get_warehouse(ctx, code=code.strip().upper())
    if not wh.active:
        raise Conflict(f"Warehouse {wh.code} is inactive.", field=field, code="warehouse_inactive")
    return wh


# --------------------------------------------------------------------------- suppliers


class SupplierOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    contact_name: str
    phone: str | None
    email: str | None
    address: str
    tax_code: str | None
    note: str
    created_at: datetime


class CreateSupplierIn(BaseModel):
    code: str = Field(min_length=1, max_length=32, description="Short unique code, e.g. NCC01")
    name: str = Field(min_length=1, max_length=300, description="Company or shop name")
    contact_name: str = Field(default="", max_length=200, description="Person to talk to")
    phone: str | None = Field(default=None, max_length=30, description="Any usual VN format")
    email: str | None = Field(default=None, max_length=200, pattern=EMAIL_PATTERN)
    address: str = Field(default="", max_length=1000)
    tax_code: str | None = Field(
        default=None, max_length=20, description="Mã số thuế: 10 digits, or 10-3 for a branch"
    )
    note: str = Field(default="", max_length=2000)


@tool(
    name="create_supplier",
    description="""Add a supplier (nhà cung cấp) that purchase orders can be placed with. The
    code is unique (stored upper case); the phone is normalised to +84...; the tax code (mã số
    thuế) is checked.""",
    roles=MANAGERS | ACCOUNTING,
)
async def create_supplier(ctx: ToolContext, inp: CreateSupplierIn) -> SupplierOut:
    code = inp.code.strip().upper()
    if not code:
        raise InvalidInput("The supplier needs a code.", field="code")
    name = inp.name.strip()
    if not name:
        raise InvalidInput("The supplier needs a name.", field="name")
    phone = normalise_phone(inp.phone, field="phone") if inp.phone and inp.phone.strip() else None
    tax_code = (
        normalise_tax_code(inp.tax_code, field="tax_code")
        if inp.tax_code and inp.tax_code.strip()
        else None
    )
    exists = await ctx.session.scalar(select(func.count()).where(Supplier.code == code))
    if exists:
        raise Conflict(
            f"Supplier code {code} is already used.", field="code", code="duplicate_code"
        )
    supplier = Supplier(
        code=code,
        name=name,
        contact_name=inp.contact_name.strip(),
        phone=phone,
        email=inp.email.strip().lower() if inp.email else None,
        address=inp.address.strip(),
        tax_code=tax_code,
        note=inp.note,
        created_at=ctx.now,
    )
    ctx.session.add(supplier)
    await ctx.session.flush()
    return SupplierOut.model_validate(supplier)


class ListSuppliersIn(BaseModel):
    search: str | None = Field(default=None, max_length=100, description="Part of code or name")
    limit: int = Field(default=50, ge=1, le=500)


class ListSuppliersOut(BaseModel):
    suppliers: list[SupplierOut]


@tool(
    name="list_suppliers",
    description="List suppliers by code, optionally filtered by part of their code or name.",
    roles=MANAGERS | ACCOUNTING | WAREHOUSE,
    write=False,
)
async def list_suppliers(ctx: ToolContext, inp: ListSuppliersIn) -> ListSuppliersOut:
    q = select(Supplier).order_by(Supplier.code).limit(inp.limit)
    if inp.search and inp.search.strip():
        pattern = f"%{inp.search.strip().lower()}%"
        q = q.where(
            or_(func.lower(Supplier.code).like(pattern), func.lower(Supplier.name).like(pattern))
        )
    rows = (await ctx.session.execute(q)).scalars().all()
    return ListSuppliersOut(suppliers=[SupplierOut.model_validate(s) for s in rows])


async def _supplier(ctx: ToolContext, supplier_id: int | None, code: str | None) -> Supplier:
    if (supplier_id is None) == (code is None or not code.strip()):
        raise InvalidInput(
            "Name the supplier by supplier_code or by supplier_id (one of them).",
            field="supplier_code",
        )
    q = select(Supplier)
    q = (
        q.where(Supplier.id == supplier_id)
        if supplier_id is not None
        else q.where(Supplier.code == (code or "").strip().upper())
    )
    found = (await ctx.session.execute(q)).scalar_one_or_none()
    if found is None:
        raise NotFound(
            f"Supplier {supplier_id if supplier_id is not None else code} does not exist.",
            field="supplier_id" if supplier_id is not None else "supplier_code",
            code="unknown_supplier",
        )
    return found


# --------------------------------------------------------------------------- purchase orders


class PurchaseOrderLineOut(BaseModel):
    id: int
    variant_id: int
    sku: str
    name: str
    ordered: int
    received: int
    remaining: int = Field(
        description="Still to come: ordered - received, never below 0; 0 once the PO is closed"
    )
    not_delivered: int = Field(
        default=0, description="Units that will never come: the PO was closed short"
    )
    unit_cost: int
    line_cost: int = Field(description="ordered * unit_cost")


class ReceiptRef(BaseModel):
    id: int
    number: str
    warehouse_code: str
    units: int
    received_by: str
    created_at: datetime


class PurchaseOrderOut(BaseModel):
    id: int
    number: str
    status: str
    supplier_id: int
    supplier_code: str
    supplier_name: str
    warehouse_code: str
    expected_date: date | None
    note: str
    created_by: str
    created_at: datetime
    lines: list[PurchaseOrderLineOut]
    total_cost: int
    units_ordered: int
    units_received: int
    receipts: list[ReceiptRef]


async def _load_po(ctx: ToolContext, po_id: int, *, lock: bool = False) -> PurchaseOrder:
    q = select(PurchaseOrder).where(PurchaseOrder.id == po_id)
    if lock:  # receipts, confirmation and cancellation of one PO happen one at a time
        q = q.with_for_update()
    po = (await ctx.session.execute(q)).scalar_one_or_none()
    if po is None:
        raise NotFound(
            f"Purchase order {po_id} does not exist.",
            field="purchase_order_id",
            code="unknown_purchase_order",
        )
    return po


async def _po_lines(ctx: ToolContext, po_id: int) -> list[PurchaseOrderLine]:
    return await children(ctx, PurchaseOrderLine, PurchaseOrderLine.purchase_order_id, po_id)


async def _po_out(ctx: ToolContext, po: PurchaseOrder) -> PurchaseOrderOut:
    supplier = await ctx.session.get(Supplier, po.supplier_id)
    wh = await ctx.session.get(Warehouse, po.warehouse_id)
    assert supplier is not None
    assert wh is not None
    lines = await _po_lines(ctx, po.id)
    info = await variant_info(ctx, [ln.variant_id for ln in lines])
    closed = po.status == PurchaseStatus.CLOSED.value
    receipts = (
        await ctx.session.execute(
            select(
                GoodsReceipt, Warehouse.code, func.coalesce(func.sum(GoodsReceiptLine.quantity), 0)
            )
            .join(Warehouse, Warehouse.id == GoodsReceipt.warehouse_id)
            .outerjoin(GoodsReceiptLine, GoodsReceiptLine.receipt_id == GoodsReceipt.id)
            .where(GoodsReceipt.purchase_order_id == po.id)
            .group_by(GoodsReceipt.id, Warehouse.code)
            .order_by(GoodsReceipt.id)
        )
    ).all()
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
        receipts=[
            ReceiptRef(
                id=r.id,
                number=r.number,
                warehouse_code=code,
                units=int(units),
                received_by=r.received_by,
                created_at=r.created_at,
            )
            for r, code, units in receipts
        ],
    )


class PurchaseLineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=MAX_QUANTITY)
    unit_cost: int = Field(ge=0, le=MAX_UNIT_COST, description="Agreed price per unit, đồng")


class CreatePurchaseOrderIn(BaseModel):
    supplier_code: str | None = Field(default=None, max_length=32)
    supplier_id: int | None = Field(
        default=None, gt=0, le=MAX_ID, description="Instead of supplier_code"
    )
    warehouse_code: str = Field(min_length=1, max_length=32, description="Where goods will arrive")
    lines: list[PurchaseLineIn] = Field(min_length=1, max_length=500)
    expected_date: date | None = Field(default=None, description="When the goods should arrive")
    note: str = Field(default="", max_length=2000)


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
    supplier = await _supplier(ctx, inp.supplier_id, inp.supplier_code)
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
    ctx.session.add(po)
    await ctx.session.flush()
    ctx.session.add_all(
        PurchaseOrderLine(
            purchase_order_id=po.id,
            variant_id=v.id,
            quantity=ln.quantity,
            unit_cost=ln.unit_cost,
            received=0,
        )
        for ln, v in zip(inp.lines, variants, strict=True)
    )
    await ctx.session.flush()
    return await _po_out(ctx, po)


class PurchaseOrderIdIn(BaseModel):
    purchase_order_id: int = Field(gt=0, le=MAX_ID, description="The PO's id (PO00012 -> 12)")


@tool(
    name="get_purchase_order",
    description="""Show a purchase order: supplier, destination warehouse, status and per line
    what was ordered, received so far and what remains to come, plus its goods receipts.""",
    roles=MANAGERS | ACCOUNTING | WAREHOUSE,
    write=False,
)
async def get_purchase_order(ctx: ToolContext, inp: PurchaseOrderIdIn) -> PurchaseOrderOut:
    return await _po_out(ctx, await _load_po(ctx, inp.purchase_order_id))


class ListPurchaseOrdersIn(BaseModel):
    status: PurchaseStatus | None = None
    supplier_code: str | None = Field(default=None, max_length=32)
    open_only: bool = Field(default=False, description="Only confirmed / partially received")
    limit: int = Field(default=50, ge=1, le=200)


class PurchaseOrderSummary(BaseModel):
    id: int
    number: str
    status: str
    supplier_code: str
    supplier_name: str
    warehouse_code: str
    expected_date: date | None
    total_cost: int
    units_ordered: int
    units_received: int
    created_at: datetime


class ListPurchaseOrdersOut(BaseModel):
    purchase_orders: list[PurchaseOrderSummary]


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
    q = (
        select(
            PurchaseOrder,
            Supplier.code,
            Supplier.name,
            Warehouse.code,
            func.coalesce(
                func.sum(
                    cast(PurchaseOrderLine.quantity, BigInteger) * PurchaseOrderLine.unit_cost
                ),
                0,
            ),
            func.coalesce(func.sum(PurchaseOrderLine.quantity), 0),
            func.coalesce(func.sum(PurchaseOrderLine.received), 0),
        )
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .join(Warehouse, Warehouse.id == PurchaseOrder.warehouse_id)
        .outerjoin(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .group_by(PurchaseOrder.id, Supplier.code, Supplier.name, Warehouse.code)
        .order_by(PurchaseOrder.id.desc())
        .limit(inp.limit)
    )
    if inp.status is not None:
        q = q.where(PurchaseOrder.status == inp.status.value)
    if inp.open_only:
        q = q.where(PurchaseOrder.status.in_(OPEN_PO_STATUSES))
    if inp.supplier_code:
        q = q.where(Supplier.code == inp.supplier_code.strip().upper())
    rows = (await ctx.session.execute(q)).all()
    return ListPurchaseOrdersOut(
        purchase_orders=[
            PurchaseOrderSummary(
                id=po.id,
                number=po.number,
                status=po.status,
                supplier_code=scode,
                supplier_name=sname,
                warehouse_code=wcode,
                expected_date=po.expected_date,
                total_cost=int(cost),
                units_ordered=int(units),
                units_received=int(received),
                created_at=po.created_at,
            )
            for po, scode, sname, wcode, cost, units, received in rows
        ]
    )


@tool(
    name="confirm_purchase_order",
    description="""Confirm a draft purchase order (the supplier agreed): it then counts as goods
    on order and can be received with receive_goods.""",
    roles=MANAGERS | ACCOUNTING,
    confirm=generic_card("Xác nhận đơn mua hàng / Confirm purchase order"),
)
async def confirm_purchase_order(ctx: ToolContext, inp: PurchaseOrderIdIn) -> PurchaseOrderOut:
    po = await _load_po(ctx, inp.purchase_order_id, lock=True)
    check_transition(PurchaseStatus(po.status), PurchaseStatus.CONFIRMED)
    po.status = PurchaseStatus.CONFIRMED.value
    po.updated_at = ctx.now
    await ctx.session.flush()
    out = await _po_out(ctx, po)
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


class CancelPurchaseOrderIn(PurchaseOrderIdIn):
    reason: str = Field(default="", max_length=1000)


@tool(
    name="cancel_purchase_order",
    description="""Cancel a purchase order that is still draft or confirmed and of which nothing
    has been received. A PO that is partly received cannot be cancelled; close it short with
    close_purchase_order when the rest will never come.""",
    roles=MANAGERS | ACCOUNTING,
)
async def cancel_purchase_order(ctx: ToolContext, inp: CancelPurchaseOrderIn) -> PurchaseOrderOut:
    po = await _load_po(ctx, inp.purchase_order_id, lock=True)
    check_transition(PurchaseStatus(po.status), PurchaseStatus.CANCELLED)
    if any(ln.received for ln in await _po_lines(ctx, po.id)):
        raise Conflict(
            f"{po.number} has goods received already and cannot be cancelled.",
            field="purchase_order_id",
            code="purchase_order_received",
        )
    po.status = PurchaseStatus.CANCELLED.value
    po.updated_at = ctx.now
    if inp.reason.strip():
        po.note = f"{po.note}\nCancelled: {inp.reason.strip()}".strip()
    await ctx.session.flush()
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
    return await _po_out(ctx, po)


class ClosePurchaseOrderIn(PurchaseOrderIdIn):
    reason: str = Field(
        min_length=1,
        max_length=1000,
        description="Why the rest will not come, e.g. 'supplier out of stock for good'",
    )


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
    po = await _load_po(ctx, inp.purchase_order_id, lock=True)
    status = PurchaseStatus(po.status)
    if status in (PurchaseStatus.DRAFT, PurchaseStatus.CONFIRMED):
        raise IllegalTransition(
            f"Nothing of {po.number} has been received; cancel it with cancel_purchase_order "
            "instead of closing it.",
            field="purchase_order_id",
            details={"from": status.value, "to": PurchaseStatus.CLOSED.value},
        )
    check_transition(status, PurchaseStatus.CLOSED)
    lines = await _po_lines(ctx, po.id)
    po.status = PurchaseStatus.CLOSED.value
    po.updated_at = ctx.now
    po.note = f"{po.note}\nClosed short: {reason}".strip()
    await ctx.session.flush()
    out = await _po_out(ctx, po)
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


# --------------------------------------------------------------------------- goods receipts


class ReceiveLineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=MAX_QUANTITY)
    unit_cost: int | None = Field(
        default=None,
        ge=0,
        le=MAX_UNIT_COST,
        description="Cost per unit, đồng. Default: the PO line's cost, or the current cost "
        "price when receiving without a PO. Only those who may create purchase orders "
        "(owner, manager) may receive at a cost other than the PO line's",
    )


class ReceiveGoodsIn(Idempotent):
    purchase_order_id: int | None = Field(
        default=None,
        gt=0,
        le=MAX_ID,
        description="The PO these goods arrive for (PO00012 -> 12), if any",
    )
    warehouse_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="Where the goods arrived; default the PO's warehouse (required without a PO)",
    )
    lines: list[ReceiveLineIn] = Field(min_length=1, max_length=500)
    allow_over_receipt: bool = Field(
        default=False, description="Accept more than the PO line still expects"
    )
    note: str = Field(default="", max_length=2000)


class ReceivedLineOut(BaseModel):
    variant_id: int
    sku: str
    name: str
    quantity: int
    unit_cost: int
    purchase_order_line_id: int | None
    over_received: int = Field(description="Units beyond what the PO line still expected")
    on_hand_in_warehouse: int = Field(description="On hand in this warehouse after receiving")
    cost_price_before: int
    cost_price_after: int


class ReceiveGoodsOut(BaseModel):
    receipt_id: int
    number: str
    warehouse_code: str
    purchase_order_id: int | None
    purchase_order_number: str | None
    purchase_order_status: str | None
    lines: list[ReceivedLineOut]
    total_units: int
    total_cost: int
    allocated_order_ids: list[int] = Field(
        description="Orders that were waiting for stock and are now fully reserved (confirmed)"
    )
    allocated_order_numbers: list[str]


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
    # Everything is checked before anything is written; a refusal leaves nothing behind.
    po: PurchaseOrder | None = None
    po_status: PurchaseStatus | None = None
    po_lines: list[PurchaseOrderLine] = []
    if inp.purchase_order_id is not None:
        po = await _load_po(ctx, inp.purchase_order_id, lock=True)
        po_status = PurchaseStatus(po.status)
        if po_status not in RECEIVABLE:
            hint = " Confirm it first." if po_status is PurchaseStatus.DRAFT else ""
            raise Conflict(
                f"{po.number} is {po.status}; goods can only be received for a confirmed or "
                f"partially received purchase order.{hint}",
                field="purchase_order_id",
                code="purchase_order_not_receivable",
            )
        po_lines = await _po_lines(ctx, po.id)
    if inp.warehouse_code:
        wh = await active_warehouse(ctx, inp.warehouse_code)
    elif po is not None:
        wh = await get_warehouse(ctx, warehouse_id=po.warehouse_id)
        if not wh.active:
            raise Conflict(
                f"The PO's warehouse {wh.code} is inactive; name the warehouse the goods reached.",
                field="warehouse_code",
                code="warehouse_inactive",
            )
    else:
        raise InvalidInput(
            "Name the warehouse the goods arrived at (or give the purchase order).",
            field="warehouse_code",
        )
    variants = await variants_for_lines(ctx, [ln.sku for ln in inp.lines])
    by_variant = {ln.variant_id: ln for ln in po_lines}
    matched: list[PurchaseOrderLine | None] = []
    over: list[dict[str, Any]] = []
    first_over: int | None = None
    for i, (ln, v) in enumerate(zip(inp.lines, variants, strict=True)):
        pol = by_variant.get(v.id) if po is not None else None
        if po is not None and pol is None:
            raise InvalidInput(
                f"{v.sku} is not on {po.number}. Receive it without the purchase order, or add "
                "it to a purchase order first.",
                field=f"lines.{i}.sku",
                code="not_on_purchase_order",
            )
        if (
            pol is not None
            and ln.unit_cost is not None
            and ln.unit_cost != pol.unit_cost
            and not create_purchase_order.allows(ctx.actor.role)
        ):
            # The price was agreed on the PO by those who may buy; a receipt at another cost
            # would move the cost price and profit figures, so only they may set one.
            assert po is not None
            raise PermissionDenied(
                f"{v.sku} was ordered at {pol.unit_cost}đ on {po.number}; a "
                f"{ctx.actor.role.value} may not receive it at another cost ({ln.unit_cost}đ). "
                "Leave unit_cost out to use the PO's price, or ask a manager.",
                field=f"lines.{i}.unit_cost",
                code="unit_cost_not_allowed",
                details={"sku": v.sku, "po_unit_cost": pol.unit_cost, "unit_cost": ln.unit_cost},
            )
        if pol is not None:
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

    vids = [v.id for v in variants]
    # Lock the variants' stock rows first: the average cost reads the total on hand, which
    # must not change under us (another receipt of the same SKU waits here).
    await lock_levels(ctx, vids)
    # Re-read the variants under that lock: a receipt that committed while we waited changed
    # their cost price, and averaging from the value read before the lock would undo it.
    fresh = {
        v.id: v
        for v in (
            await ctx.session.execute(
                select(Variant)
                .where(Variant.id.in_(vids))
                .execution_options(populate_existing=True)
            )
        ).scalars()
    }
    variants = [fresh[v.id] for v in variants]
    totals: dict[int, int] = dict(
        (
            await ctx.session.execute(
                select(StockLevel.variant_id, func.coalesce(func.sum(StockLevel.on_hand), 0))
                .where(StockLevel.variant_id.in_(vids))
                .group_by(StockLevel.variant_id)
            )
        ).all()
    )
    info = await variant_info(ctx, vids)

    receipt = GoodsReceipt(
        purchase_order_id=po.id if po else None,
        warehouse_id=wh.id,
        note=inp.note,
        received_by=ctx.actor.label,
        created_at=ctx.now,
    )
    ctx.session.add(receipt)
    await ctx.session.flush()
    costs_before: dict[int, int] = {}
    unit_costs: list[int] = []
    over_units: list[int] = []
    for ln, v, pol in zip(inp.lines, variants, matched, strict=True):
        unit_cost = (
            ln.unit_cost
            if ln.unit_cost is not None
            else (pol.unit_cost if pol is not None else v.cost_price)
        )
        unit_costs.append(unit_cost)
        over_units.append(max(0, ln.quantity - max(0, pol.quantity - pol.received)) if pol else 0)
        ctx.session.add(
            GoodsReceiptLine(
                receipt_id=receipt.id,
                variant_id=v.id,
                purchase_order_line_id=pol.id if pol else None,
                quantity=ln.quantity,
                unit_cost=unit_cost,
            )
        )
        if pol is not None:
            pol.received += ln.quantity
        costs_before[v.id] = v.cost_price
        v.cost_price = weighted_average_cost(
            int(totals.get(v.id, 0)), v.cost_price, ln.quantity, unit_cost
        )
    if po is not None and po_status is not None:
        new_status = status_after_receipt(
            [ln.quantity for ln in po_lines], [ln.received for ln in po_lines]
        )
        check_transition(po_status, new_status)
        po.status = new_status.value
        po.updated_at = ctx.now
    await ctx.session.flush()

    after = await apply_moves(
        ctx,
        [
            Move(
                v.id,
                wh.id,
                d_on_hand=ln.quantity,
                reason="receipt",
                ref_type="goods_receipt",
                ref_id=receipt.id,
                note=po.number if po else "",
            )
            for ln, v in zip(inp.lines, variants, strict=True)
        ],
    )
    out_lines = [
        ReceivedLineOut(
            variant_id=v.id,
            sku=v.sku,
            name=info[v.id].name,
            quantity=ln.quantity,
            unit_cost=uc,
            purchase_order_line_id=pol.id if pol else None,
            over_received=ov,
            on_hand_in_warehouse=res[0],
            cost_price_before=costs_before[v.id],
            cost_price_after=v.cost_price,
        )
        for ln, v, pol, uc, ov, res in zip(
            inp.lines, variants, matched, unit_costs, over_units, after, strict=True
        )
    ]
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
                for x in out_lines
            ],
            "actor": ctx.actor.label,
        },
    )

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


# --------------------------------------------------------------------------- purchase advice


class SuggestPurchasesIn(BaseModel):
    supplier_code: str | None = Field(
        default=None, max_length=32, description="Only variants last bought from this supplier"
    )


class SuggestionLine(BaseModel):
    variant_id: int
    sku: str
    name: str
    on_hand: int
    reserved: int
    available: int = Field(description="on_hand - reserved, all active warehouses")
    reorder_point: int
    awaiting_orders_need: int = Field(description="Units waiting orders still lack")
    on_order: int = Field(description="Still to come on confirmed purchase orders")
    suggested_quantity: int
    unit_cost: int = Field(description="Last price paid to the supplier, else the cost price")
    estimated_cost: int


class SupplierSuggestion(BaseModel):
    supplier_id: int | None = Field(description="None: never bought before")
    supplier_code: str | None
    supplier_name: str | None
    lines: list[SuggestionLine]
    estimated_cost: int


class SuggestPurchasesOut(BaseModel):
    suppliers: list[SupplierSuggestion]
    total_units: int
    estimated_cost: int


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
    s = ctx.session
    awaiting: dict[int, int] = {
        vid: int(q)
        for vid, q in (
            await s.execute(
                select(OrderLine.variant_id, func.sum(OrderLine.quantity - OrderLine.reserved))
                .join(Order, Order.id == OrderLine.order_id)
                .where(
                    Order.status == OrderStatus.AWAITING_STOCK.value,
                    OrderLine.reserved < OrderLine.quantity,
                )
                .group_by(OrderLine.variant_id)
            )
        ).all()
    }
    levels = (
        select(
            StockLevel.variant_id.label("variant_id"),
            func.sum(StockLevel.on_hand).label("on_hand"),
            func.sum(StockLevel.reserved).label("reserved"),
        )
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(Warehouse.active.is_(True))
        .group_by(StockLevel.variant_id)
        .subquery()
    )
    on_hand = func.coalesce(levels.c.on_hand, 0)
    reserved = func.coalesce(levels.c.reserved, 0)
    candidates = (
        await s.execute(
            select(Variant.id, Variant.reorder_point, on_hand, reserved, Product.active)
            .join(Product, Product.id == Variant.product_id)
            .outerjoin(levels, levels.c.variant_id == Variant.id)
            .where(
                Variant.active.is_(True),
                or_(
                    Product.active.is_(True)
                    & (Variant.reorder_point > 0)
                    & (on_hand - reserved <= Variant.reorder_point),
                    Variant.id.in_(list(awaiting) or [-1]),
                ),
            )
            .order_by(Variant.id)
        )
    ).all()
    if not candidates:
        return SuggestPurchasesOut(suppliers=[], total_units=0, estimated_cost=0)
    vids = [c[0] for c in candidates]
    on_order: dict[int, int] = {
        vid: int(q)
        for vid, q in (
            await s.execute(
                select(
                    PurchaseOrderLine.variant_id,
                    func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.received),
                )
                .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
                .where(
                    PurchaseOrder.status.in_(OPEN_PO_STATUSES),
                    PurchaseOrderLine.received < PurchaseOrderLine.quantity,
                    PurchaseOrderLine.variant_id.in_(vids),
                )
                .group_by(PurchaseOrderLine.variant_id)
            )
        ).all()
    }
    last: dict[int, tuple[int, int]] = {}  # variant -> (supplier id, unit cost), newest PO wins
    for vid, sup, cost in (
        await s.execute(
            select(
                PurchaseOrderLine.variant_id, PurchaseOrder.supplier_id, PurchaseOrderLine.unit_cost
            )
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
            .where(
                PurchaseOrder.status != PurchaseStatus.CANCELLED.value,
                PurchaseOrderLine.variant_id.in_(vids),
            )
            .order_by(PurchaseOrder.id.desc(), PurchaseOrderLine.id.desc())
        )
    ).all():
        last.setdefault(vid, (sup, cost))
    info = await variant_info(ctx, vids)
    suppliers = {
        sp.id: sp
        for sp in (
            await s.execute(
                select(Supplier).where(Supplier.id.in_({v[0] for v in last.values()} or {-1}))
            )
        ).scalars()
    }
    only: int | None = None
    if inp.supplier_code:
        match = [sp for sp in suppliers.values() if sp.code == inp.supplier_code.strip().upper()]
        if not match:
            return SuggestPurchasesOut(suppliers=[], total_units=0, estimated_cost=0)
        only = match[0].id

    groups: dict[int | None, list[SuggestionLine]] = defaultdict(list)
    for vid, rp, oh, rs, product_active in candidates:
        oh, rs = int(oh), int(rs)
        available = oh - rs
        need = awaiting.get(vid, 0)
        if need <= 0 and not (product_active and is_low(available, rp)):
            continue
        coming = on_order.get(vid, 0)
        refill_to = rp if product_active else 0  # a discontinued product: waiting orders only
        qty = suggested_quantity(available, refill_to, awaiting=need, on_order=coming)
        if qty <= 0:
            continue
        sup_id, unit_cost = last.get(vid, (None, info[vid].cost_price))
        if only is not None and sup_id != only:
            continue
        groups[sup_id].append(
            SuggestionLine(
                variant_id=vid,
                sku=info[vid].sku,
                name=info[vid].name,
                on_hand=oh,
                reserved=rs,
                available=available,
                reorder_point=rp,
                awaiting_orders_need=need,
                on_order=coming,
                suggested_quantity=qty,
                unit_cost=unit_cost,
                estimated_cost=qty * unit_cost,
            )
        )
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

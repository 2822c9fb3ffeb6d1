"""Suppliers, purchase orders and goods receipts as the purchasing tools read and write them.

Typed values in and out, identical on SQLite and PostgreSQL. Entities the tools change
(a purchase order, its lines, a variant's cost price) are returned as ORM objects: the tool
changes their attributes and the session writes them (unit of work).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import BigInteger, cast, func, or_, select

from core.catalog import variant_name
from core.order_status import OrderStatus
from core.purchase_status import PurchaseStatus
from storage.database import Tx
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
)

H = TypeVar("H", PurchaseOrder, GoodsReceipt)

# Purchase orders still expecting goods: what counts as "on order".
OPEN_STATUSES = (PurchaseStatus.CONFIRMED.value, PurchaseStatus.PARTIALLY_RECEIVED.value)


# --------------------------------------------------------------------------- variants


@dataclass(frozen=True, slots=True)
class VariantInfo:
    id: int
    sku: str
    name: str  # product name plus the variant's option values
    cost_price: int
    reorder_point: int


async def variant_info(tx: Tx, variant_ids: Iterable[int]) -> dict[int, VariantInfo]:
    """SKU, display name and cost of these variants (one query)."""
    ids = sorted(set(variant_ids))
    if not ids:
        return {}
    rows = await tx.session.execute(
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
        vid: VariantInfo(vid, sku, variant_name(pname, options), cost, rp)
        for vid, sku, options, cost, rp, pname in rows.all()
    }


async def variants_by_sku(tx: Tx, skus: Sequence[str]) -> dict[str, Variant]:
    """The variants of these SKUs (unknown SKUs are simply absent)."""
    found = await tx.session.execute(select(Variant).where(Variant.sku.in_(skus)))
    return {v.sku: v for v in found.scalars()}


async def variants_as_committed(tx: Tx, variant_ids: Sequence[int]) -> dict[int, Variant]:
    """The variants as the database has them now, by id, overwriting what the session holds.

    Called under the stock row lock of a receipt: a receipt that committed while this one
    waited changed their cost price, and averaging from a value read before the lock would
    undo it.
    """
    found = await tx.session.execute(
        select(Variant).where(Variant.id.in_(variant_ids)).execution_options(populate_existing=True)
    )
    return {v.id: v for v in found.scalars()}


async def on_hand_totals(tx: Tx, variant_ids: Sequence[int]) -> dict[int, int]:
    """Units on hand per variant over all warehouses (the weighted average cost's base)."""
    rows = await tx.session.execute(
        select(StockLevel.variant_id, func.coalesce(func.sum(StockLevel.on_hand), 0))
        .where(StockLevel.variant_id.in_(variant_ids))
        .group_by(StockLevel.variant_id)
    )
    return {vid: int(total) for vid, total in rows.all()}


# --------------------------------------------------------------------------- suppliers


async def supplier_code_taken(tx: Tx, code: str) -> bool:
    taken = await tx.session.scalar(select(func.count()).where(Supplier.code == code))
    return bool(taken)


async def add_supplier(tx: Tx, supplier: Supplier) -> Supplier:
    """Stores a new supplier; it has its id on return."""
    tx.session.add(supplier)
    await tx.session.flush()
    return supplier


async def list_suppliers(tx: Tx, search: str | None, limit: int) -> list[Supplier]:
    """Suppliers by code; ``search`` is matched, case-insensitively, in code or name."""
    q = select(Supplier).order_by(Supplier.code).limit(limit)
    if search:
        pattern = f"%{search.lower()}%"
        q = q.where(
            or_(func.lower(Supplier.code).like(pattern), func.lower(Supplier.name).like(pattern))
        )
    return list((await tx.session.execute(q)).scalars())


async def find_supplier(
    tx: Tx, *, supplier_id: int | None = None, code: str | None = None
) -> Supplier | None:
    """The supplier with this id, else with this (upper-case) code."""
    q = select(Supplier)
    q = (
        q.where(Supplier.id == supplier_id)
        if supplier_id is not None
        else q.where(Supplier.code == code)
    )
    return (await tx.session.execute(q)).scalar_one_or_none()


async def suppliers_by_id(tx: Tx, ids: Iterable[int]) -> dict[int, Supplier]:
    wanted = set(ids)
    if not wanted:
        return {}
    found = await tx.session.execute(select(Supplier).where(Supplier.id.in_(wanted)))
    return {sp.id: sp for sp in found.scalars()}


# --------------------------------------------------------------------------- purchase orders


async def purchase_order(tx: Tx, po_id: int, *, lock: bool = False) -> PurchaseOrder | None:
    """The PO; ``lock`` row-locks it, so that receipts, confirmation and cancellation of one PO
    happen one at a time."""
    q = select(PurchaseOrder).where(PurchaseOrder.id == po_id)
    if lock:
        q = q.with_for_update()
    return (await tx.session.execute(q)).scalar_one_or_none()


async def lines_of(tx: Tx, po_id: int) -> list[PurchaseOrderLine]:
    """The PO's lines in the order they were written."""
    found = await tx.session.execute(
        select(PurchaseOrderLine)
        .where(PurchaseOrderLine.purchase_order_id == po_id)
        .order_by(PurchaseOrderLine.id)
    )
    return list(found.scalars())


async def add_purchase_order(
    tx: Tx, po: PurchaseOrder, lines: Iterable[PurchaseOrderLine]
) -> PurchaseOrder:
    """Stores a new PO with its lines (the lines get the PO's id here)."""
    return await _add_with_lines(tx, po, lines, "purchase_order_id")


async def parties_of(tx: Tx, po: PurchaseOrder) -> tuple[Supplier, Warehouse]:
    """The PO's supplier and destination warehouse."""
    supplier = await tx.session.get(Supplier, po.supplier_id)
    wh = await tx.session.get(Warehouse, po.warehouse_id)
    assert supplier is not None  # foreign keys
    assert wh is not None
    return supplier, wh


@dataclass(frozen=True, slots=True)
class ReceiptSummary:
    """A goods receipt of a PO with the units it brought."""

    id: int
    number: str
    warehouse_code: str
    units: int
    received_by: str
    created_at: datetime


async def receipts_of(tx: Tx, po_id: int) -> list[ReceiptSummary]:
    rows = await tx.session.execute(
        select(GoodsReceipt, Warehouse.code, func.coalesce(func.sum(GoodsReceiptLine.quantity), 0))
        .join(Warehouse, Warehouse.id == GoodsReceipt.warehouse_id)
        .outerjoin(GoodsReceiptLine, GoodsReceiptLine.receipt_id == GoodsReceipt.id)
        .where(GoodsReceipt.purchase_order_id == po_id)
        .group_by(GoodsReceipt.id, Warehouse.code)
        .order_by(GoodsReceipt.id)
    )
    return [
        ReceiptSummary(r.id, r.number, code, int(units), r.received_by, r.created_at)
        for r, code, units in rows.all()
    ]


@dataclass(frozen=True, slots=True)
class OrderSummary:
    """A PO in a list: its header and its lines' totals."""

    po: PurchaseOrder
    supplier_code: str
    supplier_name: str
    warehouse_code: str
    total_cost: int
    units_ordered: int
    units_received: int


async def order_summaries(
    tx: Tx,
    *,
    status: str | None,
    open_only: bool,
    supplier_code: str | None,
    limit: int,
) -> list[OrderSummary]:
    """POs newest first, by status, still expecting goods (``open_only``) or by supplier."""
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
        .limit(limit)
    )
    if status is not None:
        q = q.where(PurchaseOrder.status == status)
    if open_only:
        q = q.where(PurchaseOrder.status.in_(OPEN_STATUSES))
    if supplier_code is not None:
        q = q.where(Supplier.code == supplier_code)
    return [
        OrderSummary(po, scode, sname, wcode, int(cost), int(units), int(received))
        for po, scode, sname, wcode, cost, units, received in (await tx.session.execute(q)).all()
    ]


# --------------------------------------------------------------------------- goods receipts


async def add_receipt(
    tx: Tx, receipt: GoodsReceipt, lines: Sequence[GoodsReceiptLine]
) -> GoodsReceipt:
    """Stores a goods receipt with its lines (the lines get the receipt's id here), together
    with whatever the caller changed on the PO and variants."""
    return await _add_with_lines(tx, receipt, lines, "receipt_id")


async def _add_with_lines(
    tx: Tx, head: H, lines: Iterable[PurchaseOrderLine | GoodsReceiptLine], key: str
) -> H:
    """Inserts a document, then its lines pointing at it through their ``key`` column."""
    tx.session.add(head)
    await tx.session.flush()
    for line in lines:
        setattr(line, key, head.id)
        tx.session.add(line)
    await tx.session.flush()
    return head


# --------------------------------------------------------------------------- purchase advice


@dataclass(frozen=True, slots=True)
class Candidate:
    """A variant that may need buying: its stock over the active warehouses."""

    variant_id: int
    reorder_point: int
    on_hand: int
    reserved: int
    product_active: bool


async def awaiting_need(tx: Tx) -> dict[int, int]:
    """Per variant, the units waiting (awaiting_stock) orders still lack."""
    rows = await tx.session.execute(
        select(OrderLine.variant_id, func.sum(OrderLine.quantity - OrderLine.reserved))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.status == OrderStatus.AWAITING_STOCK.value,
            OrderLine.reserved < OrderLine.quantity,
        )
        .group_by(OrderLine.variant_id)
    )
    return {vid: int(q) for vid, q in rows.all()}


async def purchase_candidates(tx: Tx, awaited: Iterable[int]) -> list[Candidate]:
    """Active variants low against their reorder point (of active products), or awaited by
    waiting orders (``awaited``), by id (one query)."""
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
    rows = await tx.session.execute(
        select(Variant.id, Variant.reorder_point, on_hand, reserved, Product.active)
        .join(Product, Product.id == Variant.product_id)
        .outerjoin(levels, levels.c.variant_id == Variant.id)
        .where(
            Variant.active.is_(True),
            or_(
                Product.active.is_(True)
                & (Variant.reorder_point > 0)
                & (on_hand - reserved <= Variant.reorder_point),
                Variant.id.in_(list(awaited) or [-1]),
            ),
        )
        .order_by(Variant.id)
    )
    return [
        Candidate(vid, rp, int(oh), int(rs), bool(active)) for vid, rp, oh, rs, active in rows.all()
    ]


async def units_on_order(tx: Tx, variant_ids: Sequence[int]) -> dict[int, int]:
    """Per variant, the units still to come on confirmed or partially received POs."""
    rows = await tx.session.execute(
        select(
            PurchaseOrderLine.variant_id,
            func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.received),
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            PurchaseOrder.status.in_(OPEN_STATUSES),
            PurchaseOrderLine.received < PurchaseOrderLine.quantity,
            PurchaseOrderLine.variant_id.in_(variant_ids),
        )
        .group_by(PurchaseOrderLine.variant_id)
    )
    return {vid: int(q) for vid, q in rows.all()}


async def last_purchases(tx: Tx, variant_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Per variant, (supplier id, unit cost) of the newest PO line that was not cancelled."""
    rows = await tx.session.execute(
        select(PurchaseOrderLine.variant_id, PurchaseOrder.supplier_id, PurchaseOrderLine.unit_cost)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            PurchaseOrder.status != PurchaseStatus.CANCELLED.value,
            PurchaseOrderLine.variant_id.in_(variant_ids),
        )
        .order_by(PurchaseOrder.id.desc(), PurchaseOrderLine.id.desc())
    )
    last: dict[int, tuple[int, int]] = {}
    for vid, sup, cost in rows.all():
        last.setdefault(vid, (sup, cost))
    return last

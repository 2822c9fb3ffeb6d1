"""The aggregate reads of the reports, one statement each (they run over a shop's whole
history): stock rows at or below their reorder point, what is still on order, sales summed
per order, and the refunded return lines of a period."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, cast, func, select

from core.order_status import COUNTS_AS_SALE
from core.purchase_status import PurchaseStatus
from core.returns import Claim
from storage.database import Tx
from storage.models import (
    Order,
    OrderLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    ReturnLine,
    ReturnRequest,
    StockLevel,
    Variant,
    Warehouse,
)

_SALE_STATUSES = [s.value for s in COUNTS_AS_SALE]
_OPEN_PO_STATUSES = (PurchaseStatus.CONFIRMED.value, PurchaseStatus.PARTIALLY_RECEIVED.value)


@dataclass(frozen=True, slots=True)
class LowStockRow:
    warehouse_id: int
    warehouse_code: str
    warehouse_name: str
    variant_id: int
    sku: str
    options: dict[str, str]
    product_name: str
    on_hand: int
    reserved: int
    reorder_point: int


async def low_stock(tx: Tx, *, warehouse_code: str | None) -> list[LowStockRow]:
    """Active variants in active warehouses whose on_hand - reserved is at or below their
    reorder point (0: no alert), by warehouse and SKU."""
    available = StockLevel.on_hand - StockLevel.reserved
    q = (
        select(
            Warehouse.id,
            Warehouse.code,
            Warehouse.name,
            Variant.id,
            Variant.sku,
            Variant.options,
            Product.name,
            StockLevel.on_hand,
            StockLevel.reserved,
            Variant.reorder_point,
        )
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .join(Variant, Variant.id == StockLevel.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .where(
            Warehouse.active.is_(True),
            Variant.active.is_(True),
            Product.active.is_(True),
            Variant.reorder_point > 0,
            available <= Variant.reorder_point,
        )
        .order_by(Warehouse.id, Variant.sku)
    )
    if warehouse_code is not None:
        q = q.where(Warehouse.code == warehouse_code)
    return [
        LowStockRow(wid, wcode, wname, vid, sku, options or {}, pname, oh, rs, rp)
        for wid, wcode, wname, vid, sku, options, pname, oh, rs, rp in (
            await tx.session.execute(q)
        ).all()
    ]


async def on_order(tx: Tx, variant_ids: Sequence[int]) -> dict[tuple[int, int], int]:
    """Units still to come on confirmed purchase orders, by (variant_id, warehouse_id)."""
    if not variant_ids:
        return {}
    q = (
        select(
            PurchaseOrderLine.variant_id,
            PurchaseOrder.warehouse_id,
            func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.received),
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            PurchaseOrder.status.in_(_OPEN_PO_STATUSES),
            PurchaseOrderLine.received < PurchaseOrderLine.quantity,
            PurchaseOrderLine.variant_id.in_(variant_ids),
        )
        .group_by(PurchaseOrderLine.variant_id, PurchaseOrder.warehouse_id)
    )
    return {(v, w): int(n) for v, w, n in (await tx.session.execute(q)).all()}


@dataclass(frozen=True, slots=True)
class OrderSales:
    """One order that counts as a sale, its lines summed by the database."""

    channel: str
    created_at: datetime
    shipping_fee: int
    shipping_payer: str
    units: int
    gross: int
    discount: int
    vat: int
    cost: int


async def sales_by_order(
    tx: Tx, start: datetime, end: datetime, *, channel: str | None
) -> list[OrderSales]:
    """Orders created in [start, end) that count as sales, optionally of one channel."""
    q = (
        select(
            Order.channel,
            Order.created_at,
            Order.shipping_fee,
            Order.shipping_payer,
            func.sum(OrderLine.quantity),
            func.sum(OrderLine.line_total),
            func.sum(OrderLine.discount),
            func.sum(OrderLine.vat_amount),
            func.sum(cast(OrderLine.unit_cost, BigInteger) * OrderLine.quantity),
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.created_at >= start, Order.created_at < end, Order.status.in_(_SALE_STATUSES))
        .group_by(
            Order.id, Order.channel, Order.created_at, Order.shipping_fee, Order.shipping_payer
        )
    )
    if channel is not None:
        q = q.where(Order.channel == channel)
    return [
        OrderSales(
            ch,
            created,
            ship,
            payer,
            int(units or 0),
            int(gross or 0),
            int(disc or 0),
            int(vat or 0),
            int(cost or 0),
        )
        for ch, created, ship, payer, units, gross, disc, vat, cost in (
            await tx.session.execute(q)
        ).all()
    ]


@dataclass(frozen=True, slots=True)
class RefundedLine:
    """One return line of a return refunded in the period, with its order line's figures."""

    return_id: int
    refund_amount: int
    refunded_at: datetime
    return_status: str
    channel: str
    claim: Claim
    order_line_id: int
    ordered: int
    line_total: int
    line_vat: int
    unit_cost: int


async def refunded_lines(
    tx: Tx, start: datetime, end: datetime, *, channel: str | None
) -> list[RefundedLine]:
    """Lines of returns refunded in [start, end) whose orders still count as sales (an order
    returned in full is already out of the sales), by return."""
    q = (
        select(
            ReturnRequest.id,
            ReturnRequest.refund_amount,
            ReturnRequest.refunded_at,
            ReturnRequest.status,
            Order.channel,
            ReturnLine.quantity,
            ReturnLine.good,
            ReturnLine.damaged,
            OrderLine.quantity,
            OrderLine.line_total,
            OrderLine.vat_amount,
            OrderLine.unit_cost,
            OrderLine.id,
        )
        .join(Order, Order.id == ReturnRequest.order_id)
        .join(ReturnLine, ReturnLine.return_id == ReturnRequest.id)
        .join(OrderLine, OrderLine.id == ReturnLine.order_line_id)
        .where(
            ReturnRequest.refund_status == "refunded",
            ReturnRequest.refunded_at >= start,
            ReturnRequest.refunded_at < end,
            Order.status.in_(_SALE_STATUSES),
        )
        .order_by(ReturnRequest.id)
    )
    if channel is not None:
        q = q.where(Order.channel == channel)
    out: list[RefundedLine] = []
    for row in (await tx.session.execute(q)).all():
        rid, amount, refunded_at, status, ch, rqty, good, damaged = row[:8]
        oqty, ltotal, lvat, ucost, olid = row[8:]
        assert refunded_at is not None  # refund_status refunded sets it
        claim = Claim(status, rqty, good, damaged, rid)
        out.append(
            RefundedLine(
                rid, amount, refunded_at, status, ch, claim, olid, oqty, ltotal, lvat, ucost
            )
        )
    return out

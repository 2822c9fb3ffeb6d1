"""Reports: stock running low, and sales by day and channel with VAT, cost and profit.

Sums are taken in SQL (one row per order, or per stock row); the shop-timezone day of each
order is found in Python from day boundaries computed with zoneinfo, which is correct on
SQLite and PostgreSQL alike and needs no per-dialect date functions.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import MINYEAR, UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import BigInteger, cast, func, select

from core.errors import InvalidInput
from core.order_status import COUNTS_AS_SALE
from core.purchase_status import PurchaseStatus
from core.replenishment import suggested_quantity
from core.returns import Claim, claimed_before, line_refund, refund_goods, refund_vat
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
from tools.context import ToolContext
from tools.order_models import Channel
from tools.registry import ACCOUNTING, MANAGERS, STAFF, tool
from tools.returns import claims_where

MAX_DAYS = 366

# --------------------------------------------------------------------------- low stock


class LowStockIn(BaseModel):
    warehouse_code: str | None = Field(default=None, max_length=32, description="One warehouse")


class LowStockItem(BaseModel):
    variant_id: int
    sku: str
    name: str
    on_hand: int
    reserved: int
    available: int = Field(description="on_hand - reserved")
    reorder_point: int
    on_order: int = Field(description="Still to come here on confirmed purchase orders")
    suggested_quantity: int = Field(
        description="To bring available back to 2 x reorder point, less what is on order"
    )


class LowStockWarehouse(BaseModel):
    warehouse_code: str
    warehouse_name: str
    items: list[LowStockItem]


class LowStockOut(BaseModel):
    warehouses: list[LowStockWarehouse]
    total_items: int


@tool(
    name="low_stock_report",
    description="""Stock running low, per warehouse: active variants whose available stock
    (on hand - reserved) is at or below their reorder point (a reorder point of 0 means no
    alert), with on hand, reserved, what is on order and a suggested quantity to buy (back up to
    2 x reorder point). For what to buy shop-wide, including waiting orders, use
    suggest_purchases.""",
    roles=STAFF,
    write=False,
)
async def low_stock_report(ctx: ToolContext, inp: LowStockIn) -> LowStockOut:
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
    if inp.warehouse_code:
        q = q.where(Warehouse.code == inp.warehouse_code.strip().upper())
    rows = (await ctx.session.execute(q)).all()
    vids = sorted({r[3] for r in rows})
    on_order: dict[tuple[int, int], int] = {}
    if vids:
        on_order = {
            (v, w): int(n)
            for v, w, n in (
                await ctx.session.execute(
                    select(
                        PurchaseOrderLine.variant_id,
                        PurchaseOrder.warehouse_id,
                        func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.received),
                    )
                    .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
                    .where(
                        PurchaseOrder.status.in_(
                            (
                                PurchaseStatus.CONFIRMED.value,
                                PurchaseStatus.PARTIALLY_RECEIVED.value,
                            )
                        ),
                        PurchaseOrderLine.received < PurchaseOrderLine.quantity,
                        PurchaseOrderLine.variant_id.in_(vids),
                    )
                    .group_by(PurchaseOrderLine.variant_id, PurchaseOrder.warehouse_id)
                )
            ).all()
        }
    groups: dict[int, LowStockWarehouse] = {}
    for wid, wcode, wname, vid, sku, options, pname, oh, rs, rp in rows:
        values = " / ".join((options or {}).values())
        coming = on_order.get((vid, wid), 0)
        group = groups.setdefault(
            wid, LowStockWarehouse(warehouse_code=wcode, warehouse_name=wname, items=[])
        )
        group.items.append(
            LowStockItem(
                variant_id=vid,
                sku=sku,
                name=f"{pname} - {values}" if values else pname,
                on_hand=oh,
                reserved=rs,
                available=oh - rs,
                reorder_point=rp,
                on_order=coming,
                suggested_quantity=suggested_quantity(oh - rs, rp, on_order=coming),
            )
        )
    return LowStockOut(
        warehouses=list(groups.values()), total_items=sum(len(g.items) for g in groups.values())
    )


# --------------------------------------------------------------------------- sales


class SalesReportIn(BaseModel):
    date_from: date | None = Field(
        default=None,
        description="First day, inclusive, in the shop's timezone; default: the first day of "
        "date_to's month, or of the current month",
    )
    date_to: date | None = Field(
        default=None,
        description="Last day, inclusive, in the shop's timezone; default: the last day of "
        "date_from's month, or of the current month",
    )
    channel: Channel | None = Field(default=None, description="Only this sales channel")


class SalesFigures(BaseModel):
    orders: int = 0
    units: int = 0
    gross: int = Field(
        default=0, description="Goods paid by buyers: line totals, VAT included, after discounts"
    )
    discount: int = 0
    vat: int = Field(default=0, description="Output VAT inside gross")
    net_revenue: int = Field(
        default=0, description="gross - vat: goods revenue net of VAT and discount"
    )
    cost: int = Field(default=0, description="Cost of the goods sold (unit cost when ordered)")
    profit: int = Field(default=0, description="net_revenue - cost")
    shipping_charged: int = Field(
        default=0, description="Shipping paid by buyers (passed on to the carrier, not revenue)"
    )
    shipping_paid_by_shop: int = Field(
        default=0, description="Shipping the shop paid (free shipping), not deducted from profit"
    )
    refunds: int = Field(
        default=0,
        description="Money refunded on returns this day, VAT and any shipping refunded included",
    )
    refunds_shipping: int = Field(
        default=0,
        description="The part of refunds above the returned goods' paid value (shipping refunded "
        "on request); like shipping, not revenue, so not deducted from revenue or profit",
    )
    refunds_net: int = Field(
        default=0,
        description="The goods part of refunds (refunds - refunds_shipping) less its VAT: the "
        "goods revenue the refunds take back",
    )
    returned_cost: int = Field(
        default=0,
        description="Cost of refunded units that went back into stock in good condition (none "
        "for damaged units or refund-only returns, where nothing came back)",
    )
    net_revenue_after_refunds: int = Field(default=0, description="net_revenue - refunds_net")
    profit_after_refunds: int = Field(default=0, description="profit - refunds_net + returned_cost")


class SalesRow(SalesFigures):
    day: date
    channel: str


class SalesDay(SalesFigures):
    day: date


class SalesChannel(SalesFigures):
    channel: str


class SalesReportOut(BaseModel):
    date_from: date
    date_to: date
    timezone: str
    rows: list[SalesRow] = Field(description="One per day and channel with any sale or refund")
    days: list[SalesDay]
    channels: list[SalesChannel]
    total: SalesFigures


@dataclasses.dataclass
class _Acc:
    orders: int = 0
    units: int = 0
    gross: int = 0
    discount: int = 0
    vat: int = 0
    cost: int = 0
    shipping_charged: int = 0
    shipping_paid_by_shop: int = 0
    refunds: int = 0
    refunds_shipping: int = 0
    refunds_vat: int = 0
    returned_cost: int = 0

    def add(self, other: _Acc) -> None:
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def figures(self) -> dict[str, int]:
        net = self.gross - self.vat
        refunds_net = self.refunds - self.refunds_shipping - self.refunds_vat
        profit = net - self.cost
        return {
            "orders": self.orders,
            "units": self.units,
            "gross": self.gross,
            "discount": self.discount,
            "vat": self.vat,
            "net_revenue": net,
            "cost": self.cost,
            "profit": profit,
            "shipping_charged": self.shipping_charged,
            "shipping_paid_by_shop": self.shipping_paid_by_shop,
            "refunds": self.refunds,
            "refunds_shipping": self.refunds_shipping,
            "refunds_net": refunds_net,
            "returned_cost": self.returned_cost,
            "net_revenue_after_refunds": net - refunds_net,
            "profit_after_refunds": profit - refunds_net + self.returned_cost,
        }


@dataclasses.dataclass
class _Refund:
    amount: int
    at: datetime
    channel: str
    goods: int = 0  # paid value of the returned units (each line prorated cumulatively)
    vat: int = 0  # their VAT (likewise)
    restocked_cost: int = 0  # cost of the units that went back into stock


async def _line_claims(ctx: ToolContext, order_line_ids: list[int]) -> dict[int, list[Claim]]:
    """Every return line of these order lines, by order line."""
    if not order_line_ids:
        return defaultdict(list)
    return await claims_where(ctx, ReturnLine.order_line_id.in_(order_line_ids))


def day_bounds(date_from: date, date_to: date, tz: ZoneInfo) -> list[datetime]:
    """UTC instants at which each shop-local day from date_from to date_to+1 starts."""
    days = (date_to - date_from).days + 2
    return [
        datetime.combine(date_from + timedelta(days=i), time(0), tzinfo=tz).astimezone(UTC)
        for i in range(days)
    ]


def local_day(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


@tool(
    name="sales_report",
    description="""Sales between two dates (inclusive, shop timezone; the current month when
    none are given) by day and channel, with totals per day, per channel and overall. Counts
    orders that are sales (not cancelled or returned), on the day they were created. Figures in
    đồng: gross (goods paid, VAT included, after discounts), discount, vat, net_revenue = gross
    - vat, cost (unit cost when ordered x units), profit = net_revenue - cost. Shipping is
    reported apart, not as revenue. Refunds of returns are deducted on the day they were
    refunded: only their goods part, net of its VAT (refunds_net), comes off revenue and profit,
    and the cost of units restocked in good condition is added back (see
    net_revenue_after_refunds and profit_after_refunds); a refund-only return (nothing came
    back) adds no cost back, as nothing was restocked. Shipping refunded on top of the goods is
    reported apart as refunds_shipping. Orders fully returned (all goods back) are left out
    altogether; an order refunded without its goods coming back stays in, with its refunds
    deducted.""",
    roles=MANAGERS | ACCOUNTING,
    write=False,
)
async def sales_report(ctx: ToolContext, inp: SalesReportIn) -> SalesReportOut:
    tz = ZoneInfo(ctx.config.timezone)
    date_from, date_to = month_defaults(inp.date_from, inp.date_to, local_day(ctx.now, tz))
    return await _sales_report(ctx, inp, date_from, date_to, tz)


def month_defaults(date_from: date | None, date_to: date | None, today: date) -> tuple[date, date]:
    """Missing ends of a period: the month of the end given, or the current month."""
    anchor = date_from or date_to or today
    first = date_from or (date_to or anchor).replace(day=1)
    if date_to is None:
        if anchor.month == 12:
            date_to = anchor.replace(day=31)
        else:
            date_to = anchor.replace(month=anchor.month + 1, day=1) - timedelta(days=1)
    return first, date_to


async def _sales_report(
    ctx: ToolContext, inp: SalesReportIn, date_from: date, date_to: date, tz: ZoneInfo
) -> SalesReportOut:
    if date_to < date_from:
        raise InvalidInput("date_to is before date_from.", field="date_to")
    if (date_to - date_from).days >= MAX_DAYS:
        raise InvalidInput(f"Report at most {MAX_DAYS} days at a time.", field="date_to")
    try:
        bounds = day_bounds(date_from, date_to, tz)
    except OverflowError:  # the first or last days of the calendar have no UTC bounds
        raise InvalidInput(
            "That date is out of range.",
            field="date_from" if date_from.year == MINYEAR else "date_to",
        ) from None
    start, end = bounds[0], bounds[-1]
    sale_statuses = [s.value for s in COUNTS_AS_SALE]
    acc: dict[tuple[date, str], _Acc] = defaultdict(_Acc)

    # One row per order: the line sums are taken by the database.
    q = (
        select(
            Order.id,
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
        .where(Order.created_at >= start, Order.created_at < end, Order.status.in_(sale_statuses))
        .group_by(
            Order.id, Order.channel, Order.created_at, Order.shipping_fee, Order.shipping_payer
        )
    )
    if inp.channel:
        q = q.where(Order.channel == inp.channel)
    for _oid, channel, created, ship, payer, units, gross, disc, vat, cost in (
        await ctx.session.execute(q)
    ).all():
        a = acc[(local_day(created, tz), channel)]
        a.orders += 1
        a.units += int(units or 0)
        a.gross += int(gross or 0)
        a.discount += int(disc or 0)
        a.vat += int(vat or 0)
        a.cost += int(cost or 0)
        if payer == "seller":
            a.shipping_paid_by_shop += ship
        else:
            a.shipping_charged += ship

    # Refunds, on the day refunded, for orders that still count as sales (an order returned
    # in full is already out of the figures; deducting its refund too would count it twice).
    rq = (
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
            Order.status.in_(sale_statuses),
        )
        .order_by(ReturnRequest.id)
    )
    if inp.channel:
        rq = rq.where(Order.channel == inp.channel)
    refund_rows = (await ctx.session.execute(rq)).all()
    # A return's share of a line depends on the line's earlier returns (core.returns.line_refund),
    # which may lie outside the period: read every return of the lines involved.
    claims = await _line_claims(ctx, sorted({row[12] for row in refund_rows}))
    refunds: dict[int, _Refund] = {}
    for (
        rid,
        amount,
        refunded_at,
        status,
        channel,
        rqty,
        good,
        damaged,
        oqty,
        ltotal,
        lvat,
        ucost,
        olid,
    ) in refund_rows:
        assert refunded_at is not None  # refund_status refunded sets it
        r = refunds.setdefault(rid, _Refund(amount, refunded_at, channel))
        # The units refunded: what came back, or all requested of a refund-only return.
        claim = Claim(status, rqty, good, damaged, rid)
        before = claimed_before(claims.get(olid, []), rid)
        r.goods += line_refund(ltotal, oqty, claim.claimed, before)
        r.vat += line_refund(lvat, oqty, claim.claimed, before)
        r.restocked_cost += ucost * claim.restocked
    for r in refunds.values():
        a = acc[(local_day(r.at, tz), r.channel)]
        goods = refund_goods(r.amount, r.goods)
        a.refunds += r.amount
        a.refunds_shipping += r.amount - goods
        a.refunds_vat += refund_vat(goods, r.goods, r.vat)
        a.returned_cost += r.restocked_cost

    by_day: dict[date, _Acc] = defaultdict(_Acc)
    by_channel: dict[str, _Acc] = defaultdict(_Acc)
    total = _Acc()
    rows: list[SalesRow] = []
    for (day, channel), a in sorted(acc.items()):
        rows.append(SalesRow(day=day, channel=channel, **a.figures()))
        by_day[day].add(a)
        by_channel[channel].add(a)
        total.add(a)
    return SalesReportOut(
        date_from=date_from,
        date_to=date_to,
        timezone=ctx.config.timezone,
        rows=rows,
        days=[SalesDay(day=d, **a.figures()) for d, a in sorted(by_day.items())],
        channels=[SalesChannel(channel=c, **a.figures()) for c, a in sorted(by_channel.items())],
        total=SalesFigures(**total.figures()),
    )

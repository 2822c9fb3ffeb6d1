"""The figures of the sales report and how they add up: a ``Tally`` per (day, channel) of
orders and refunds, and the derived figures (net revenue, profit, refunds net of shipping and
VAT) computed once from it."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from pydantic import BaseModel, Field

from core.returns import line_refund, refund_goods, refund_vat
from storage.reports import OrderSales, RefundedLine


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


@dataclasses.dataclass
class Tally:
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

    def add(self, other: Tally) -> None:
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def add_order(self, o: OrderSales) -> None:
        self.orders += 1
        self.units += o.units
        self.gross += o.gross
        self.discount += o.discount
        self.vat += o.vat
        self.cost += o.cost
        if o.shipping_payer == "seller":
            self.shipping_paid_by_shop += o.shipping_fee
        else:
            self.shipping_charged += o.shipping_fee

    def add_refund(self, r: Refund) -> None:
        goods = refund_goods(r.amount, r.goods)
        self.refunds += r.amount
        self.refunds_shipping += r.amount - goods
        self.refunds_vat += refund_vat(goods, r.goods, r.vat)
        self.returned_cost += r.restocked_cost

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
class Refund:
    """One refunded return, summed over its lines."""

    amount: int
    at: datetime
    channel: str
    goods: int = 0  # paid value of the returned units (each line prorated cumulatively)
    vat: int = 0  # their VAT (likewise)
    restocked_cost: int = 0  # cost of the units that went back into stock

    def add_line(self, line: RefundedLine, before: int) -> None:
        """Adds a line's share; ``before``: units of the order line claimed by earlier returns."""
        claimed = line.claim.claimed
        self.goods += line_refund(line.line_total, line.ordered, claimed, before)
        self.vat += line_refund(line.line_vat, line.ordered, claimed, before)
        self.restocked_cost += line.unit_cost * line.claim.restocked

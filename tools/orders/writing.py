"""Building and writing an order: the draft every way of ordering fills in (quote, place,
create), its amounts, and the reserving write (storage.order_writes, on the fast path)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from core.allocation import Need
from core.errors import Conflict, InvalidInput
from core.money import MAX_AMOUNT, OrderTotals, PricedLine, format_vnd, order_totals
from core.order_status import OrderStatus
from core.text import fold
from storage import order_writes
from storage.models import order_number
from storage.order_writes import NewLine, NewOrder
from tools.context import ToolContext
from tools.events import emit_order_event
from tools.order_models import AddressIn, LineOut, OrderOut, PurchaseSuggestion
from tools.orders.reading import OrderFacts, order_view
from tools.reservations import (
    Allocation,
    VariantRow,
    check_positive_unique,
    drop_quote_holds,
    plan_for,
    shortage_error,
    variants_by_sku,
)
from tools.stock_ops import Move, apply_moves


@dataclass(frozen=True, slots=True)
class Item:
    variant: VariantRow
    quantity: int
    unit_price: int


@dataclass
class Draft:
    channel: str
    external_id: str | None
    customer_id: int | None
    buyer_name: str
    buyer_phone: str | None
    address: AddressIn | None
    items: list[Item]
    discount: int
    shipping_fee: int | None  # None: the shop's flat rule
    shipping_payer: str
    payment_method: str
    note: str
    backorder: bool  # True: short lines wait for stock; False: refuse the whole order
    quote_id: int = 0
    # Whether the fee follows the shop's rule when the lines change (default: no fee given).
    shipping_auto: bool | None = None


async def draft_items(ctx: ToolContext, lines: list[Any]) -> list[Item]:
    """The lines as items: SKUs merged and resolved, at the price given or the sale price."""
    merged = check_positive_unique(lines)
    overrides = {
        ln.sku.strip(): ln.unit_price for ln in lines if getattr(ln, "unit_price", None) is not None
    }
    variants = await variants_by_sku(ctx, list(merged))
    return [
        Item(variants[sku], qty, overrides.get(sku, variants[sku].sale_price))
        for sku, qty in merged.items()
    ]


def item_totals(
    ctx: ToolContext, items: list[Item], discount: int, shipping_fee: int | None, payer: str
) -> tuple[OrderTotals, int]:
    priced = [PricedLine(it.unit_price, it.quantity, it.variant.vat_rate) for it in items]
    return priced_totals(ctx, priced, discount, shipping_fee, payer)


def priced_totals(
    ctx: ToolContext,
    priced: list[PricedLine],
    discount: int,
    shipping_fee: int | None,
    payer: str,
) -> tuple[OrderTotals, int]:
    """The order's amounts and the parcel's shipping fee: ``shipping_fee`` as given, or (None)
    the shop's rule applied to the goods as the buyer pays for them (VAT in, discount off).
    The buyer's total includes the fee unless the seller pays it."""
    if discount > sum(p.unit_price * p.quantity for p in priced):
        raise InvalidInput("The discount is larger than the goods total.", field="discount")
    goods = order_totals(
        priced, discount=discount, prices_include_vat=ctx.config.prices_include_vat
    )
    fee = ctx.config.shipping.fee_for(goods.total) if shipping_fee is None else shipping_fee
    buyer = 0 if payer == "seller" else fee
    return _storable(replace(goods, shipping_fee=buyer, total=goods.total + buyer)), fee


def _storable(totals: OrderTotals) -> OrderTotals:
    """An order's amounts must fit its columns; a larger one is refused, not a crash."""
    if max(totals.subtotal, totals.total) > MAX_AMOUNT:
        raise InvalidInput(
            f"The order comes to more than {format_vnd(MAX_AMOUNT)}, more than one order can "
            "hold; split it into several orders.",
            field="lines",
            code="amount_too_large",
        )
    return totals


async def write_order(ctx: ToolContext, d: Draft) -> OrderOut:
    """Reserves and writes a new order in the caller's transaction."""
    if d.external_id and await order_writes.order_id_by_external(ctx.tx, d.channel, d.external_id):
        raise Conflict(
            f"An order with external id {d.external_id} already exists on {d.channel}.",
            field="external_id",
            code="duplicate_external_id",
        )
    needs = [Need(i, it.variant.id, it.quantity) for i, it in enumerate(d.items)]
    alloc = await plan_for(ctx, needs, quote_id=d.quote_id)
    if alloc.plan.unserved and not d.backorder:
        raise shortage_error(alloc, {it.variant.id: it.variant.sku for it in d.items})
    totals, fee = item_totals(ctx, d.items, d.discount, d.shipping_fee, d.shipping_payer)
    status = OrderStatus.AWAITING_STOCK if alloc.plan.unserved else OrderStatus.NEW
    values = _order_values(ctx, d, status, totals, fee)
    lines = _line_values(d, totals, alloc)
    order_id, line_ids = await order_writes.insert_order(
        ctx.tx, values, lines, actor=ctx.actor.label
    )
    await apply_moves(ctx, _reservations(order_id, lines))
    if d.quote_id:
        await drop_quote_holds(ctx, d.quote_id)
    suggestions = _suggestions(alloc, d.items)
    emit_order_event(
        ctx,
        order_id,
        "created",
        to_status=status.value,
        extra={
            "channel": d.channel,
            "total": totals.total,
            "awaiting": [s.sku for s in suggestions],
        },
    )
    # The row as written (the fast path wrote it; an ORM object would only cost time here).
    written = cast(OrderFacts, WrittenOrder(order_id, values))
    lines_out = [
        LineOut.model_validate({**line, "id": line_id})
        for line, line_id in zip(lines, line_ids, strict=True)
    ]
    return order_view(written, lines_out, suggestions)


class WrittenOrder:
    """An order row as write_order wrote it: the columns it decided (storage.order_writes.
    NewOrder) and the id it got, read as attributes (reading.OrderFacts)."""

    __slots__ = ("_columns", "id")

    def __init__(self, order_id: int, columns: NewOrder) -> None:
        self.id = order_id
        self._columns: Mapping[str, Any] = columns

    def __getattr__(self, name: str) -> Any:
        try:
            return self._columns[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def number(self) -> str:
        return order_number(self.id)

    @property
    def paid_amount(self) -> int:
        return 0  # nothing is paid on an order just written


def _order_values(
    ctx: ToolContext, d: Draft, status: OrderStatus, totals: OrderTotals, fee: int
) -> NewOrder:
    """The order row's columns."""
    addr = d.address
    return {
        "channel": d.channel,
        "external_id": d.external_id,
        "customer_id": d.customer_id,
        "status": status.value,
        "buyer_name": d.buyer_name,
        "buyer_search": fold(d.buyer_name),
        "buyer_phone": d.buyer_phone,
        "address_line": addr.line if addr else "",
        "ward": addr.ward if addr else "",
        "district": addr.district if addr else "",
        "province": addr.province if addr else "",
        "subtotal": totals.subtotal,
        "discount": totals.discount,
        "vat_total": totals.vat_total,
        "shipping_fee": fee,
        "shipping_auto": d.shipping_fee is None if d.shipping_auto is None else d.shipping_auto,
        "shipping_payer": d.shipping_payer,
        "total": totals.total,
        "cod_amount": totals.total if d.payment_method == "cod" else 0,
        "payment_method": d.payment_method,
        "payment_status": "unpaid",
        "note": d.note,
        "created_at": ctx.now,
    }


def _line_values(d: Draft, totals: OrderTotals, alloc: Allocation) -> list[NewLine]:
    """The order's lines' columns, reserved in the warehouse the plan assigned (if any)."""
    lines: list[NewLine] = []
    for i, (it, amounts) in enumerate(zip(d.items, totals.lines, strict=True)):
        wh = alloc.plan.assigned.get(i)
        lines.append(
            {
                "variant_id": it.variant.id,
                "sku": it.variant.sku,
                "name": it.variant.name,
                "quantity": it.quantity,
                "unit_price": it.unit_price,
                "vat_rate": it.variant.vat_rate,
                "unit_cost": it.variant.cost_price,
                "discount": amounts.discount,
                "vat_amount": amounts.vat,
                "line_total": amounts.gross,
                "warehouse_id": wh,
                "reserved": it.quantity if wh is not None else 0,
            }
        )
    return lines


def _reservations(order_id: int, lines: list[NewLine]) -> list[Move]:
    return [
        Move(
            line["variant_id"],
            line["warehouse_id"],
            d_reserved=line["quantity"],
            reason="reservation",
            ref_type="order",
            ref_id=order_id,
        )
        for line in lines
        if line["warehouse_id"] is not None
    ]


def _suggestions(alloc: Allocation, items: list[Item]) -> list[PurchaseSuggestion]:
    by_variant = {it.variant.id: it for it in items}
    out = []
    for need in alloc.plan.unserved:
        best = max(
            (lvl.available for (v, _), lvl in alloc.levels.items() if v == need.variant_id),
            default=0,
        )
        out.append(
            PurchaseSuggestion(
                variant_id=need.variant_id,
                sku=by_variant[need.variant_id].variant.sku,
                missing=need.quantity - best,
            )
        )
    return out

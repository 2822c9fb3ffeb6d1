"""Editing an order that has not been packed yet: its buyer, address, lines (reservations
follow), discount and shipping; and the amounts that follow from them (reprice, settle)."""

from __future__ import annotations

from core.errors import Conflict
from core.money import PricedLine
from core.order_status import EDITABLE, OrderStatus
from core.phone import normalise_phone
from core.text import fold
from storage import orders as stored
from storage.models import Order, OrderLine
from tools.context import ToolContext
from tools.events import order_event
from tools.order_models import OrderOut, PricedLineIn
from tools.orders.reading import load_order, order_out
from tools.orders.schemas import UpdateOrderIn
from tools.orders.writing import draft_items, priced_totals
from tools.registry import SALES, tool
from tools.reservations import change_status, release_lines, reserve_lines
from tools.stock_ops import lock_levels


def _edit_details(order: Order, inp: UpdateOrderIn) -> list[str]:
    """Applies the buyer, address, note and payment fields given; returns what changed."""
    changed: list[str] = []
    if inp.buyer_name is not None:
        order.buyer_name = inp.buyer_name.strip()
        order.buyer_search = fold(order.buyer_name)
        changed.append("buyer_name")
    if inp.buyer_phone is not None:
        order.buyer_phone = normalise_phone(inp.buyer_phone, field="buyer_phone")
        changed.append("buyer_phone")
    if inp.address is not None:
        order.address_line, order.ward = inp.address.line, inp.address.ward
        order.district, order.province = inp.address.district, inp.address.province
        changed.append("address")
    if inp.note is not None:
        order.note = inp.note
        changed.append("note")
    if inp.payment_method is not None:
        order.payment_method = inp.payment_method
        changed.append("payment_method")
    if inp.shipping_payer is not None:
        order.shipping_payer = inp.shipping_payer
        changed.append("shipping_payer")
    return changed


async def _replace_lines(
    ctx: ToolContext,
    order: Order,
    status: OrderStatus,
    lines: list[OrderLine],
    new: list[PricedLineIn],
) -> list[OrderLine]:
    """The order's lines become ``new`` (lines kept keep their price unless one is given);
    reservations follow, and the order waits for stock or stops waiting accordingly."""
    keep_price = {ln.sku: ln.unit_price for ln in lines}
    repriced = [
        PricedLineIn(
            sku=ln.sku,
            quantity=ln.quantity,
            unit_price=ln.unit_price
            if ln.unit_price is not None
            else keep_price.get(ln.sku.strip()),
        )
        for ln in new
    ]
    items = await draft_items(ctx, repriced)
    # Lock old and new variants together, in the global order, before releasing anything:
    # releasing first and locking the new ones later would take locks out of order.
    await lock_levels(ctx, [ln.variant_id for ln in lines] + [it.variant.id for it in items])
    await release_lines(ctx, order.id, lines, note="order edited")
    new_lines = [
        OrderLine(
            order_id=order.id,
            variant_id=it.variant.id,
            sku=it.variant.sku,
            name=it.variant.name,
            quantity=it.quantity,
            unit_price=it.unit_price,
            vat_rate=it.variant.vat_rate,
            unit_cost=it.variant.cost_price,
            reserved=0,
        )
        for it in items
    ]
    await stored.replace_lines(ctx.tx, lines, new_lines)
    lines = new_lines
    unserved = await reserve_lines(ctx, order.id, lines)
    if unserved and status is not OrderStatus.AWAITING_STOCK:
        await change_status(ctx, order, OrderStatus.AWAITING_STOCK, note="edited lines lack stock")
    elif not unserved and status is OrderStatus.AWAITING_STOCK:
        await change_status(ctx, order, OrderStatus.CONFIRMED, note="edited lines all in stock")
    return lines


@tool(
    name="update_order",
    description="""Edit an order that is still new, confirmed or awaiting stock: replace its
    lines (add/remove products, change quantities), buyer, address, discount, shipping or note.
    Reservations follow the new lines; prices of lines kept are not re-priced.""",
    roles=SALES,
)
async def update_order(ctx: ToolContext, inp: UpdateOrderIn) -> OrderOut:
    order = await load_order(ctx, inp.resolve(), lock=True)
    status = OrderStatus(order.status)
    if status not in EDITABLE:
        raise Conflict(
            f"Order {order.number} is {status} and can no longer be edited.",
            field="order_id",
            code="not_editable",
        )
    changed = _edit_details(order, inp)
    lines = await stored.lines_of(ctx.tx, order.id)
    if inp.lines is not None:
        lines = await _replace_lines(ctx, order, status, lines, inp.lines)
        changed.append("lines")
    if inp.discount is not None:
        order.discount = inp.discount
        changed.append("discount")
    if inp.shipping_fee is not None:
        order.shipping_fee, order.shipping_auto = inp.shipping_fee, False
        changed.append("shipping_fee")
    await reprice(ctx, order, lines)
    order.updated_at = ctx.now
    await ctx.tx.flush()
    await order_event(ctx, order.id, "edited", note=", ".join(changed))
    return await order_out(ctx, order)


async def reprice(ctx: ToolContext, order: Order, lines: list[OrderLine]) -> None:
    """The order's amounts again from its lines, discount and shipping rule."""
    priced = [PricedLine(ln.unit_price, ln.quantity, ln.vat_rate) for ln in lines]
    totals, order.shipping_fee = priced_totals(
        ctx,
        priced,
        order.discount,
        None if order.shipping_auto else order.shipping_fee,
        order.shipping_payer,
    )
    for ln, a in zip(lines, totals.lines, strict=True):
        ln.discount, ln.vat_amount, ln.line_total = a.discount, a.vat, a.gross
    order.subtotal, order.discount, order.vat_total = (
        totals.subtotal,
        totals.discount,
        totals.vat_total,
    )
    order.total = totals.total
    settle(order)


def settle(order: Order, *, collect: bool = True) -> None:
    """After the total or the money received changed: once money came in the status says paid
    or partly paid, and (``collect``) the carrier of a cash-on-delivery order collects only
    what is still owed. Money the carrier itself handed over leaves its figure as it was."""
    owed = max(0, order.total - order.paid_amount)
    if collect:
        order.cod_amount = owed if order.payment_method == "cod" else 0
    if order.paid_amount:
        order.payment_status = "paid" if owed == 0 else "partially_paid"

"""Moving an order through its state machine (core.order_status): confirm, cancel (with its
confirmation card) and set_order_status; stock follows the status (reserve, release, consume,
restock)."""

from __future__ import annotations

from core.allocation import Need
from core.cards import CardField, CardKind
from core.errors import Conflict, IllegalTransition, PermissionDenied
from core.order_status import (
    CUSTOMER_CANCELLABLE,
    OrderStatus,
    Stock,
    Via,
    check_transition,
    effects,
    route,
)
from core.roles import Role
from storage.models import Order
from tools.context import ToolContext
from tools.order_models import OrderOut
from tools.orders.cards import card_lines, card_totals
from tools.orders.reading import load_order, order_out
from tools.orders.schemas import CancelOrderIn, ConfirmOrderIn, SetStatusIn
from tools.pending import Prepared
from tools.registry import CUSTOMER, SALES, role_allowed, tool
from tools.reservations import (
    change_status,
    consume_lines,
    order_lines,
    plan_for,
    release_lines,
    reserve_lines,
    restock_lines,
    shortage_error,
)

# Who may cancel an order, by cancel_order or by set_order_status(cancelled).
CANCELLERS = SALES | CUSTOMER


async def _confirm(ctx: ToolContext, order: Order, note: str) -> None:
    lines = await order_lines(ctx, order.id)
    unserved = await reserve_lines(ctx, order.id, lines)
    current = OrderStatus(order.status)
    if unserved:
        if current is OrderStatus.AWAITING_STOCK:
            needs = [Need(i, ln.variant_id, ln.quantity) for i, ln in enumerate(unserved)]
            raise shortage_error(
                await plan_for(ctx, needs), {ln.variant_id: ln.sku for ln in unserved}
            )
        await change_status(
            ctx, order, OrderStatus.AWAITING_STOCK, note=note or "waiting for stock"
        )
    else:
        await change_status(ctx, order, OrderStatus.CONFIRMED, note=note)


@tool(
    name="confirm_order",
    description="""Confirm a new order (or one awaiting stock once stock is there). Reserves any
    line not yet reserved; if stock is still missing the order waits in awaiting_stock.""",
    roles=SALES,
)
async def confirm_order(ctx: ToolContext, inp: ConfirmOrderIn) -> OrderOut:
    order = await load_order(ctx, inp.resolve(), lock=True)
    current = OrderStatus(order.status)
    if route(current, OrderStatus.CONFIRMED) is Via.CONFIRM:
        await _confirm(ctx, order, inp.note)
    elif current is not OrderStatus.CONFIRMED:  # confirming twice changes nothing
        # Confirm must never undo work done since (packing -> confirmed is an "unpack").
        raise IllegalTransition(
            f"Order {order.number} is already {current}; there is nothing to confirm.",
            field="status",
            details={"from": current.value, "to": OrderStatus.CONFIRMED.value},
        )
    return await order_out(ctx, order)


def _refuse_late_customer_cancel(ctx: ToolContext, order: Order) -> None:
    current = OrderStatus(order.status)
    if ctx.actor.is_customer and current not in CUSTOMER_CANCELLABLE:
        raise Conflict(
            f"Order {order.number} is already {current}; please ask the shop to cancel it.",
            field="order_id",
            code="too_late_to_cancel",
        )


async def _cancel(ctx: ToolContext, order: Order, reason: str) -> None:
    _refuse_late_customer_cancel(ctx, order)
    lines = await order_lines(ctx, order.id)
    await change_status(ctx, order, OrderStatus.CANCELLED, note=reason)
    await release_lines(ctx, order.id, lines, note=reason)


async def _cancel_order_card(ctx: ToolContext, inp: CancelOrderIn) -> Prepared:
    """cancel_order's card: which order, what is in it, its total. An order that can no longer
    be cancelled by this person gets no card: the refusal comes now, not after their yes."""
    order = await load_order(ctx, inp.resolve())
    _refuse_late_customer_cancel(ctx, order)
    check_transition(OrderStatus(order.status), OrderStatus.CANCELLED)
    out = await order_out(ctx, order)
    fields = [
        CardField(key="order", value=out.number),
        CardField(key="status", value=out.status),
    ]
    if inp.reason:
        fields.append(
            CardField(key="reason", value=inp.reason, customer_written=ctx.actor.is_customer)
        )
    return Prepared(
        args=CancelOrderIn(order_id=order.id, reason=inp.reason),
        kind=CardKind.CANCEL_ORDER,
        lines=card_lines(out),
        totals=card_totals(out, ctx.config.prices_include_vat),
        fields=fields,
    )


@tool(
    name="cancel_order",
    description="""Cancel an order that has not shipped yet and release its stock. Customers
    can cancel their own orders until packing starts.""",
    roles=CANCELLERS,
    confirm=_cancel_order_card,
)
async def cancel_order(ctx: ToolContext, inp: CancelOrderIn) -> OrderOut:
    order = await load_order(ctx, inp.resolve(), lock=True)
    await _cancel(ctx, order, inp.reason)
    return await order_out(ctx, order)


async def _move(ctx: ToolContext, order: Order, target: OrderStatus, note: str) -> None:
    """Any other move of the state machine, with what core.order_status.EFFECTS says it does."""
    current = OrderStatus(order.status)
    effect = effects(current, target)
    if effect.via is Via.RETURN:
        # Delivered goods come back through a return (request, receive, refund), which
        # restocks what arrives; setting the status here would skip all of that.
        raise IllegalTransition(
            f"Order {order.number} was delivered: record what comes back with a return "
            "(create_return) instead.",
            field="status",
            details={"from": current.value, "to": target.value},
        )
    if effect.via is Via.AUTOMATIC:
        raise Conflict(
            "Orders wait for stock by themselves; confirm or edit the order instead.",
            field="status",
            code="illegal_transition",
        )
    lines = await order_lines(ctx, order.id)
    if effect.stock is Stock.CONSUME:
        await consume_lines(ctx, order.id, lines)
    elif effect.stock is Stock.RESTOCK:
        await restock_lines(ctx, order.id, lines)
    if effect.collects_cod and order.payment_method == "cod":
        order.payment_status, order.paid_amount = "paid", order.total
    await change_status(ctx, order, target, note=note)


@tool(
    name="set_order_status",
    description="""Move an order along: confirmed -> packing -> ready_to_ship -> shipping ->
    delivered -> completed, or delivery_failed / returned / cancelled. Illegal moves are refused.
    Shipping takes the goods out of stock; a failed delivery that comes back is restocked.""",
    roles=SALES | {Role.WAREHOUSE},
)
async def set_order_status(ctx: ToolContext, inp: SetStatusIn) -> OrderOut:
    order = await load_order(ctx, inp.resolve(), lock=True)
    via = route(OrderStatus(order.status), inp.status)
    if via is Via.CANCEL:
        if not role_allowed(ctx.actor.role, CANCELLERS):
            # Cancelling is cancel_order's decision (sales); this tool must not widen it.
            raise PermissionDenied(
                f"A {ctx.actor.role.value} may not cancel orders.",
                details={"tool": "cancel_order", "role": ctx.actor.role.value},
            )
        await _cancel(ctx, order, inp.note)
    elif via is Via.CONFIRM:
        await _confirm(ctx, order, inp.note)
    else:
        await _move(ctx, order, inp.status, inp.note)
    return await order_out(ctx, order)

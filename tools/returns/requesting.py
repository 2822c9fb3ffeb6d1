"""Return requests: opened for goods of a delivered order, or called off before the goods
come back. Rules for quantities are in core.returns."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import Conflict, InvalidInput, NotFound
from core.order_status import RETURNABLE, OrderStatus
from core.return_status import RefundStatus, ReturnStatus, ReturnStep
from core.returns import Claim, returnable
from storage import orders as orders_store
from storage import returns as store
from storage.models import Order, OrderLine, ReturnLine, ReturnRequest, parse_order_number
from tools.context import ToolContext
from tools.events import order_event
from tools.registry import CUSTOMER, SALES, tool
from tools.returns.records import check_step, load_order, lock_return, return_out
from tools.returns.schemas import (
    MAX_ID,
    CancelReturnIn,
    CreateReturnIn,
    ReturnLineIn,
    ReturnOut,
)


@tool(
    name="create_return",
    description="""Open a return request for goods of a delivered or completed order: lines by
    order_line_id or SKU with the quantity, and the reason. A line can be returned up to what was
    shipped minus what earlier returns already claim. Customers can open returns for their own
    orders only. A parcel that never reached the buyer is not a return: set that order to
    returned instead. Next the warehouse records what arrives with receive_return. A refund
    without goods (refund only: lost on the way back, the buyer keeps the item, a marketplace
    ruling) is also opened here for the units refunded, then recorded with receive_return
    nothing_came_back.""",
    roles=SALES | CUSTOMER,
)
async def create_return(ctx: ToolContext, inp: CreateReturnIn) -> ReturnOut:
    order = await _returnable_order(ctx, inp)
    order_lines = await orders_store.lines_of(ctx.tx, order.id)
    claims = await store.claims_of_order(ctx.tx, order.id)
    chosen = _chosen_lines(order, order_lines, claims, inp.lines)
    ret = ReturnRequest(
        order_id=order.id,
        status=ReturnStatus.REQUESTED.value,
        reason=inp.reason.strip(),
        refund_amount=0,
        refund_status=RefundStatus.PENDING.value,
        created_by=ctx.actor.label,
        created_at=ctx.now,
    )
    await store.add_return(
        ctx.tx,
        ret,
        [
            ReturnLine(order_line_id=ol.id, quantity=ln.quantity, good=0, damaged=0)
            for ln, ol in zip(inp.lines, chosen, strict=True)
        ],
    )
    summary = ", ".join(
        f"{ln.quantity} x {ol.sku}" for ln, ol in zip(inp.lines, chosen, strict=True)
    )
    await order_event(
        ctx,
        order.id,
        "return",
        note=f"{ret.number} requested: {summary}",
        extra={"return_id": ret.id},
    )
    out = await return_out(ctx, ret, order)
    ctx.emit(
        "return.requested",
        f"return:{ret.id}",
        {
            "return_id": ret.id,
            "order_id": order.id,
            "reason": ret.reason,
            "lines": [
                {"order_line_id": x.order_line_id, "sku": x.sku, "quantity": x.quantity}
                for x in out.lines
            ],
            "actor": ctx.actor.label,
        },
    )
    return out


def _order_id(inp: CreateReturnIn) -> int:
    if inp.order_id is not None:
        return inp.order_id
    parsed = parse_order_number(inp.order_number or "")
    if parsed is None or parsed > MAX_ID:
        raise InvalidInput(
            "Give order_id or an order number such as DH000123.", field="order_number"
        )
    return parsed


async def _returnable_order(ctx: ToolContext, inp: CreateReturnIn) -> Order:
    """The order named, locked; refuses one whose goods were not delivered."""
    order = await load_order(ctx, _order_id(inp), lock=True)
    status = OrderStatus(order.status)
    if status not in RETURNABLE:
        hint = (
            " A parcel that was not delivered comes back by setting the order to returned."
            if status is OrderStatus.DELIVERY_FAILED
            else ""
        )
        raise Conflict(
            f"Order {order.number} is {order.status}; only delivered or completed orders can "
            f"take a return.{hint}",
            field="order_id",
            code="order_not_returnable",
        )
    return order


def _chosen_lines(
    order: Order,
    lines: Sequence[OrderLine],
    claims: dict[int, list[Claim]],
    wanted: Sequence[ReturnLineIn],
) -> list[OrderLine]:
    """The order line each wanted line names (by id or SKU, each once), refusing more than
    is still returnable."""
    by_id = {ln.id: ln for ln in lines}
    chosen: list[OrderLine] = []
    for i, ln in enumerate(wanted):
        ol = _named_line(order, lines, by_id, ln, i)
        if any(c.id == ol.id for c in chosen):
            raise InvalidInput(
                f"Line {ol.id} ({ol.sku}) is given twice; give it once.",
                field=f"lines.{i}",
                code="duplicate_line",
            )
        left = returnable(ol.quantity, claims.get(ol.id, []))
        if ln.quantity > left:
            raise Conflict(
                f"Only {left} of {ol.sku} can still be returned on {order.number} "
                f"({ol.quantity} shipped, {ol.quantity - left} already in returns).",
                field=f"lines.{i}.quantity",
                code="return_exceeds_shipped",
                details={"sku": ol.sku, "shipped": ol.quantity, "returnable": left},
            )
        chosen.append(ol)
    return chosen


def _named_line(
    order: Order,
    lines: Sequence[OrderLine],
    by_id: dict[int, OrderLine],
    ln: ReturnLineIn,
    i: int,
) -> OrderLine:
    if (ln.order_line_id is None) == (ln.sku is None):
        raise InvalidInput(
            "Give order_line_id or sku (one of them).", field=f"lines.{i}.order_line_id"
        )
    if ln.order_line_id is not None:
        ol = by_id.get(ln.order_line_id)
        if ol is None:
            raise NotFound(
                f"Order {order.number} has no line {ln.order_line_id}.",
                field=f"lines.{i}.order_line_id",
                code="unknown_order_line",
            )
        return ol
    sku = (ln.sku or "").strip()
    matches = [x for x in lines if x.sku == sku]
    if not matches:
        raise NotFound(
            f"Order {order.number} has no SKU {sku}.",
            field=f"lines.{i}.sku",
            code="unknown_order_line",
        )
    if len(matches) > 1:
        raise InvalidInput(
            f"SKU {sku} is on several lines of {order.number}; use order_line_id.",
            field=f"lines.{i}.sku",
            code="ambiguous_sku",
        )
    return matches[0]


@tool(
    name="cancel_return",
    description="""Cancel a return request whose goods have not been received: the return is
    called off, no goods come back and nobody is refunded. If the buyer is refunded although the
    goods do not come back (lost on the way back, the buyer keeps them, a marketplace ruling),
    do not cancel: use receive_return with nothing_came_back. Customers can cancel their own.""",
    roles=SALES | CUSTOMER,
)
async def cancel_return(ctx: ToolContext, inp: CancelReturnIn) -> ReturnOut:
    ret, order = await lock_return(ctx, inp.return_id)
    check_step(ret, ReturnStep.CANCEL)
    ret.status = ReturnStatus.CANCELLED.value
    if inp.reason.strip():
        ret.reason = f"{ret.reason}\nCancelled: {inp.reason.strip()}".strip()
    await order_event(
        ctx, order.id, "return", note=f"{ret.number} cancelled", extra={"return_id": ret.id}
    )
    return await return_out(ctx, ret, order)

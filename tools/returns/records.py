"""Loading a return and its order for the caller (locked when they change), and showing a
return as the tools answer it."""

from __future__ import annotations

from typing import cast

from core.errors import Conflict, NotFound, PermissionDenied
from core.return_status import ReturnStep, allowed_statuses, allows
from core.returns import NO_GOODS_REASONS, RECEIVED, REFUND_ONLY, claimed_before, line_refund
from storage import orders as orders_store
from storage import returns as store
from storage.models import Order, ReturnRequest, order_number
from tools.context import ToolContext
from tools.returns.schemas import NoGoodsReason, ReturnLineOut, ReturnOut

# How a refused step reads: "only a requested return can be <done>".
_DONE = {
    ReturnStep.RECEIVE: "received",
    ReturnStep.SETTLE_WITHOUT_GOODS: "received",
    ReturnStep.CANCEL: "cancelled",
}


def check_step(ret: ReturnRequest, step: ReturnStep) -> None:
    """Refuses ``step`` on a return whose status does not allow it (core.return_status)."""
    if allows(ret.status, step):
        return
    if step is ReturnStep.REFUND:
        raise Conflict(
            f"{ret.number} is {ret.status}; refund once the goods are received (receive_return), "
            "or once it is recorded that they will not come back (receive_return with "
            "nothing_came_back).",
            field="return_id",
            code="return_not_received",
        )
    allowed = " or ".join(allowed_statuses(step))
    raise Conflict(
        f"{ret.number} is {ret.status}; only a {allowed} return can be {_DONE[step]}.",
        field="return_id",
        code="return_not_open",
    )


def _hidden() -> PermissionDenied:
    return PermissionDenied("That record does not belong to you.", code="not_yours")


async def load_order(ctx: ToolContext, order_id: int, *, lock: bool = False) -> Order:
    """The order (row-locked when changing it: order row first, then stock rows, as elsewhere)."""
    order = await orders_store.order_as_stored(ctx.tx, order_id, lock=lock)
    if order is None:
        if ctx.actor.is_customer:  # a customer learns nothing about orders that are not theirs
            raise _hidden()
        raise NotFound(
            f"Order {order_number(order_id)} was not found.",
            field="order_id",
            code="unknown_order",
        )
    ctx.require_customer_scope(order.customer_id)
    return order


async def load_return(ctx: ToolContext, return_id: int) -> ReturnRequest:
    ret = await store.return_as_stored(ctx.tx, return_id)
    if ret is None:
        if ctx.actor.is_customer:
            raise _hidden()
        raise NotFound(
            f"Return {return_id} does not exist.", field="return_id", code="unknown_return"
        )
    return ret


async def lock_return(ctx: ToolContext, return_id: int) -> tuple[ReturnRequest, Order]:
    """Locks the order, then the return, so every change to one order's returns queues up."""
    ret = await load_return(ctx, return_id)
    order = await load_order(ctx, ret.order_id, lock=True)
    ret = await store.return_as_stored(ctx.tx, return_id, lock=True) or ret
    return ret, order


async def return_out(ctx: ToolContext, ret: ReturnRequest, order: Order) -> ReturnOut:
    rows = await store.lines_of(ctx.tx, ret.id)
    claims = await store.claims_of_order(ctx.tx, order.id)
    lines = []
    for rl, ol, wcode in rows:
        # What came back once received; the requested units while open, when cancelled (what it
        # would have been worth) and when refunded without goods (the buyer keeps them).
        units = rl.good + rl.damaged if ret.status == RECEIVED else rl.quantity
        before = claimed_before(claims.get(ol.id, []), ret.id)
        lines.append(
            ReturnLineOut(
                id=rl.id,
                order_line_id=ol.id,
                variant_id=ol.variant_id,
                sku=ol.sku,
                name=ol.name,
                quantity=rl.quantity,
                good=rl.good,
                damaged=rl.damaged,
                warehouse_code=wcode,
                refund_value=line_refund(ol.line_total, ol.quantity, units, before),
            )
        )
    return ReturnOut(
        id=ret.id,
        number=ret.number,
        order_id=order.id,
        order_number=order.number,
        status=ret.status,  # type: ignore[arg-type]
        reason=ret.reason,
        nothing_came_back=ret.status == REFUND_ONLY,
        no_goods_reason=_no_goods_reason(ret),
        lines=lines,
        refund_value=sum(x.refund_value for x in lines),
        refund_status=ret.refund_status,  # type: ignore[arg-type]
        refund_amount=ret.refund_amount,
        refund_method=ret.refund_method,
        order_status=order.status,
        order_payment_status=order.payment_status,
        created_by=ret.created_by,
        created_at=ret.created_at,
        received_at=ret.received_at,
        refunded_at=ret.refunded_at,
    )


def _no_goods_reason(ret: ReturnRequest) -> NoGoodsReason | None:
    code = ret.no_goods_reason if ret.status == REFUND_ONLY else None
    return cast(NoGoodsReason, code) if code in NO_GOODS_REASONS else None

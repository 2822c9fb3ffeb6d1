"""Refunding a return: the default amount is the paid value of the returned units, and all
refunds of an order together never exceed what was paid (core.returns)."""

from __future__ import annotations

from core.cards import CardField, CardKind
from core.errors import Conflict, InvalidInput
from core.money import format_vnd
from core.return_status import RefundStatus, ReturnStatus, ReturnStep
from core.returns import payment_status_after_refund, refund_base, refund_limit
from storage import returns as store
from storage.models import Order, ReturnRequest
from tools.context import ToolContext
from tools.events import order_event
from tools.pending import Prepared, card_fields
from tools.registry import ACCOUNTING, tool
from tools.returns.records import check_step, lock_return, return_out
from tools.returns.schemas import RefundReturnIn, ReturnOut


async def _refund_return_card(ctx: ToolContext, inp: RefundReturnIn) -> Prepared:
    """Names the return and its order, and writes the default amount (the paid value of the
    returned units, as it stands now) into the arguments: Confirm refunds what was shown."""
    ret, order = await lock_return(ctx, inp.return_id)
    amount = inp.amount or (await return_out(ctx, ret, order)).refund_value
    if amount <= 0:
        raise InvalidInput(
            f"{ret.number} has nothing to refund; give amount if needed.",
            field="amount",
            code="nothing_to_refund",
        )
    args = inp.model_copy(update={"amount": amount})
    args.model_fields_set.add("amount")
    shown = [f for f in card_fields(args) if f.key != "return_id"]
    return Prepared(
        args=args,
        kind=CardKind.GENERIC,
        title="Hoàn tiền hàng trả / Refund a return",
        fields=[
            CardField(key="return", value=ret.number),
            CardField(key="order", value=order.number),
            *shown,
        ],
    )


@tool(
    name="refund_return",
    description="""Refund a received return, or a refund-only one (nothing came back: recorded
    with receive_return nothing_came_back). The default amount is, per returned line, the
    line's paid amount (line total after discount, VAT included) for the units returned (those
    that came back; all the requested units of a refund-only return), prorated
    on the units returned so far so that all returns of a line add up to its line total exactly
    (round(total x units after / ordered) - round(total x units before / ordered), half-up);
    shipping is not included unless you give amount. All
    refunds of an order together cannot exceed what was paid for it (its paid amount, or its
    total when no payment was recorded). Sets the order's payment status to refunded or
    partially_refunded.""",
    roles=ACCOUNTING,
    confirm=_refund_return_card,
)
async def refund_return(ctx: ToolContext, inp: RefundReturnIn) -> ReturnOut:
    ret, order = await lock_return(ctx, inp.return_id)
    if ret.refund_status == RefundStatus.REFUNDED:
        raise Conflict(
            f"{ret.number} was already refunded ({format_vnd(ret.refund_amount)}).",
            field="return_id",
            code="already_refunded",
        )
    check_step(ret, ReturnStep.REFUND)
    already = await store.refunded_total(ctx.tx, order.id)
    current = await return_out(ctx, ret, order)
    amount = inp.amount if inp.amount is not None else current.refund_value
    _check_amount(ret, order, amount, already)
    ret.refund_amount = amount
    ret.refund_status = RefundStatus.REFUNDED.value
    ret.refund_method = inp.method
    ret.refunded_at = ctx.now
    order.payment_status = payment_status_after_refund(
        order.total, order.paid_amount, already + amount
    )
    order.updated_at = ctx.now
    note = f"refund {format_vnd(amount)} by {inp.method} for {ret.number}"
    no_goods = ret.status == ReturnStatus.REFUND_ONLY
    if no_goods:
        note += f" without goods (nothing came back: {current.no_goods_reason or 'other'})"
    if inp.note.strip():
        note += f": {inp.note.strip()}"
    await order_event(
        ctx,
        order.id,
        "payment",
        note=note,
        extra={
            "return_id": ret.id,
            "refund": amount,
            "payment_status": order.payment_status,
            "nothing_came_back": no_goods,
        },
    )
    ctx.emit(
        "return.refunded",
        f"return:{ret.id}",
        {
            "return_id": ret.id,
            "order_id": order.id,
            "amount": amount,
            "method": inp.method,
            "order_payment_status": order.payment_status,
            "refunded_total": already + amount,
            "nothing_came_back": no_goods,
            "no_goods_reason": current.no_goods_reason,
            "actor": ctx.actor.label,
        },
    )
    return await return_out(ctx, ret, order)


def _check_amount(ret: ReturnRequest, order: Order, amount: int, already: int) -> None:
    """Refuses nothing to refund, and more than is left of what the buyer paid."""
    if amount <= 0:
        raise InvalidInput(
            f"{ret.number} has nothing to refund; give amount if needed.",
            field="amount",
            code="nothing_to_refund",
        )
    limit = refund_limit(order.total, order.paid_amount, already)
    if amount > limit:
        raise Conflict(
            f"At most {format_vnd(limit)} can still be refunded on {order.number} (paid "
            f"{format_vnd(refund_base(order.total, order.paid_amount))}, already refunded "
            f"{format_vnd(already)}); {format_vnd(amount)} is too much.",
            field="amount",
            code="refund_exceeds_paid",
            details={"limit": limit, "requested": amount, "already_refunded": already},
        )

"""Money received for an order (record_payment); refunds and payment details are in
tools/payments.py."""

from __future__ import annotations

from core.errors import Conflict, InvalidInput
from core.order_status import OrderStatus
from tools.context import ToolContext
from tools.events import order_event
from tools.order_models import OrderOut
from tools.orders.editing import settle
from tools.orders.reading import load_order, order_out
from tools.orders.schemas import RecordPaymentIn
from tools.pending import generic_card
from tools.registry import ACCOUNTING, SALES, tool


@tool(
    name="record_payment",
    description="""Record money received for an order (a bank transfer, cash at the counter, a
    marketplace settlement). The order becomes paid once payments reach its total; a payment
    beyond what is still owed is refused.""",
    roles=ACCOUNTING | SALES,
    confirm=generic_card("Ghi nhận thanh toán / Record payment"),
)
async def record_payment(ctx: ToolContext, inp: RecordPaymentIn) -> OrderOut:
    order = await load_order(ctx, inp.resolve(), lock=True)
    if order.status == OrderStatus.CANCELLED:
        raise Conflict(f"Order {order.number} is cancelled.", field="order_id", code="cancelled")
    owed = order.total - order.paid_amount
    if inp.amount > owed:
        raise InvalidInput(
            f"Only {owed} đồng is still owed on {order.number}.",
            field="amount",
            code="overpayment",
            details={"owed": owed},
        )
    order.paid_amount += inp.amount
    settle(order, collect=inp.method != "cod")  # paid ahead: less for the carrier to collect
    order.updated_at = ctx.now
    await ctx.tx.flush()
    note = f"{inp.amount} đồng by {inp.method}" + (f" ({inp.reference})" if inp.reference else "")
    await order_event(
        ctx,
        order.id,
        "payment",
        note=note,
        extra={"amount": inp.amount, "paid": order.paid_amount, "status": order.payment_status},
    )
    return await order_out(ctx, order)

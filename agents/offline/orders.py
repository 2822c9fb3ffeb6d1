"""The customer's own orders: list, detail, cancel, request a return.

Ownership is the tools' job (list_orders and get_order only ever show the customer's own
orders to a customer actor); the flow never filters by customer itself.
"""

from __future__ import annotations

from agents.cards import card_reply
from agents.offline import payloads as P
from agents.offline.context import FlowContext, Outcome
from agents.offline.render import button, order_reply, orders_reply
from agents.offline.state import RETURN_REASONS, FlowState
from agents.payment import bank_transfer_reply
from agents.types import Reply
from core.order_status import CUSTOMER_CANCELLABLE, RETURNABLE
from tools.order_models import OrderOut

RECENT = 5


def _cancellable(order: OrderOut) -> bool:
    return order.status in {s.value for s in CUSTOMER_CANCELLABLE}


def _returnable(order: OrderOut) -> bool:
    return order.status in {s.value for s in RETURNABLE}


def _payable(order: OrderOut) -> bool:
    """A transfer still to make: the customer may have lost the message with the account."""
    return order.payment_method == "bank_transfer" and order.amount_due > 0


async def list_recent(ctx: FlowContext, state: FlowState) -> Outcome:
    state = state.reset_step()
    found = await ctx.shop.list_orders(limit=RECENT)
    return Outcome(state, [orders_reply(ctx.lang, found.orders, state, ctx.shop.timezone)])


async def show(ctx: FlowContext, state: FlowState, order_id: int, prefix: str = "") -> Outcome:
    state = state.reset_step()
    order = await ctx.shop.get_order(order_id=order_id)
    replies = [Reply(text=prefix)] if prefix else []
    replies.append(
        order_reply(
            ctx.lang,
            order,
            ctx.shop.timezone,
            cancellable=_cancellable(order),
            returnable=_returnable(order),
            payable=_payable(order),
        )
    )
    return Outcome(state, replies)


async def how_to_pay(ctx: FlowContext, state: FlowState, order_id: int) -> Outcome:
    """The account, what is still due and the QR code again (amount as of now)."""
    details = await ctx.shop.get_payment_details(order_id=order_id)
    reply = bank_transfer_reply(details, ctx.lang)
    buttons = [button(details.number, P.order(order_id)), button(ctx.t("btn_menu"), P.MENU)]
    return Outcome(state.reset_step(), [reply.model_copy(update={"buttons": buttons})])


async def ask_cancel(ctx: FlowContext, state: FlowState, order_id: int) -> Outcome:
    """The cancellation card: the order runs to cancelled only when the customer confirms it."""
    order = await ctx.shop.get_order(order_id=order_id)
    if not _cancellable(order):
        return await show(ctx, state, order_id, ctx.t("err_too_late_to_cancel"))
    proposal = await ctx.shop.propose(
        "cancel_order", order_id=order_id, reason=ctx.t("cancel_reason")
    )
    return Outcome(state.reset_step(), [card_reply(proposal.card, ctx.lang, ctx.shop.timezone)])


async def cancelled(ctx: FlowContext, state: FlowState, order: OrderOut) -> Outcome:
    return await show(ctx, state, order.id, ctx.t("order_cancelled", number=order.number))


async def ask_return(ctx: FlowContext, state: FlowState, order_id: int) -> Outcome:
    order = await ctx.shop.get_order(order_id=order_id)
    if not _returnable(order):
        return await show(ctx, state, order_id, ctx.t("err_order_not_returnable"))
    state = state.reset_step().model_copy(update={"step": "return_reason", "order_id": order_id})
    buttons = [
        button(ctx.t(f"reason_{r}"), P.order_return_reason(order_id, r)) for r in RETURN_REASONS
    ]
    buttons.append(button(ctx.t("btn_cancel"), P.order(order_id)))
    return Outcome(
        state, [Reply(text=ctx.t("ask_return_reason", number=order.number), buttons=buttons)]
    )


async def create_return(ctx: FlowContext, state: FlowState, order_id: int, reason: str) -> Outcome:
    """A return of every line of the order, in full; staff adjust it when the goods arrive."""
    order = await ctx.shop.get_order(order_id=order_id)
    lines = [{"order_line_id": ln.id, "quantity": ln.quantity} for ln in order.lines if ln.id]
    ret = await ctx.shop.create_return(order_id=order_id, lines=lines, reason=reason[:2000])
    return await show(
        ctx, state, order_id, ctx.t("return_created", number=ret.number, order=order.number)
    )


async def typed_reason(ctx: FlowContext, state: FlowState, text: str) -> Outcome:
    if state.order_id is None:
        return await list_recent(ctx, state)
    return await create_return(ctx, state, state.order_id, text.strip())

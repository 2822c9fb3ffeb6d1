"""An order from another device: its number plus the phone it was placed with.

A shopper on a new browser (or a new chat account) is a new customer with no orders of their
own, so "DH000012" alone cannot show them anything. Given the number with the phone it was
placed with (in one message, or the phone asked for next), ``lookup_order`` answers the
order's status, items and totals, nothing personal; a wrong phone and an unknown number get
the same answer, and attempts are rate-limited by the tool (docs/customers.md).
"""

from __future__ import annotations

import math
import re

from agents.offline import orders
from agents.offline import payloads as P
from agents.offline.context import FlowContext, Outcome
from agents.offline.messages import payment_label, status_label
from agents.offline.render import button, local_time
from agents.offline.state import FlowState, order_number_in, parse_phone
from agents.types import Reply
from core.errors import NotFound, TooManyRequests
from core.money import format_vnd
from tools.order_lookup import LookupOrderOut

# A Vietnamese phone as people type it inside a sentence: 0912345678, 0912 345 678,
# +84 912.345.678, 84912345678.
_PHONE = re.compile(r"(?<![\d#])(?:\+?84|0)(?:[\s.-]?\d){8,10}(?!\d)")
_ORDER_NUMBER = re.compile(r"\bdh\s?#?\d{1,9}\b", re.IGNORECASE)


def phone_in(text: str) -> str | None:
    """The first valid phone number in the text (order numbers left out), as E.164."""
    for found in _PHONE.finditer(_ORDER_NUMBER.sub(" ", text or "")):
        phone = parse_phone(found.group(0))
        if phone is not None:
            return phone
    return None


async def by_number(ctx: FlowContext, state: FlowState, text: str, number: int) -> Outcome:
    """A typed order number: the customer's own order, or a look-up with the phone."""
    phone = phone_in(text)
    if phone is not None:
        return await lookup(ctx, state, number, phone)
    try:
        return await orders.show(ctx, state, number)
    except NotFound:
        state = state.reset_step().model_copy(
            update={"step": "lookup_phone", "lookup_number": number}
        )
        return Outcome(
            state,
            [
                Reply(
                    text=ctx.t("lookup_ask_phone", number=number),
                    buttons=[button(ctx.t("btn_menu"), P.MENU)],
                )
            ],
        )


async def typed_phone(ctx: FlowContext, state: FlowState, text: str) -> Outcome | None:
    """The phone for the order number asked about; anything else is read afresh."""
    number = state.lookup_number
    phone = phone_in(text) or parse_phone(text)
    if number is None or phone is None:
        return None
    return await lookup(ctx, state, number, phone)


async def lookup(ctx: FlowContext, state: FlowState, number: int, phone: str) -> Outcome:
    state = state.reset_step()
    menu = [button(ctx.t("btn_menu"), P.MENU)]
    try:
        out = await ctx.shop.call("lookup_order", number=f"DH{number}", phone=phone)
    except TooManyRequests as err:
        seconds = int(err.details.get("retry_after_seconds") or 3600)
        minutes = max(1, math.ceil(seconds / 60))
        return Outcome(state, [Reply(text=ctx.t("lookup_rate_limited", minutes=minutes))])
    assert isinstance(out, LookupOrderOut)
    if not out.found or out.order is None:
        return Outcome(state, [Reply(text=ctx.t("lookup_not_found"), buttons=menu)])
    order = out.order
    lines = [
        ctx.t(
            "order_detail",
            number=order.number,
            date=local_time(order.created_at, ctx.shop.timezone, "%d/%m/%Y %H:%M"),
            status=status_label(ctx.lang, order.status),
        ),
        *(
            ctx.t("order_line", item=i.name, quantity=i.quantity, amount=format_vnd(i.line_total))
            for i in order.items
        ),
        ctx.t(
            "order_total",
            total=format_vnd(order.total),
            payment=payment_label(ctx.lang, order.payment_method),
        ),
    ]
    if order.amount_due:
        lines.append(ctx.t("lookup_due", amount=format_vnd(order.amount_due)))
    return Outcome(state, [Reply(text="\n".join(lines), buttons=menu)])


__all__ = ["by_number", "lookup", "order_number_in", "phone_in", "typed_phone"]

"""Typed questions about the shop, answered without an LLM from the shop's settings and the
customer's own orders: order status, shipping time and fee, payment, returns, opening hours;
and small talk (greetings, thanks) and asking for a person.

core.intents decides what a message asks; this module only answers. Answers keep the flow's
state: a question typed while a variant waits for its quantity leaves it waiting.
"""

from __future__ import annotations

from agents.offline.answers import say
from agents.offline.context import FlowContext, Outcome
from agents.offline.messages import Lang, status_label
from agents.offline.render import menu, orders_reply, welcome
from agents.offline.state import FlowState
from agents.types import Reply
from core.intents import Intent, classify
from core.money import format_vnd
from core.order_status import OrderStatus
from core.shop_policies import Policy, policy_text
from tools.config import ToolConfig

RECENT = 5
# Statuses whose order is still on its way to the customer (the delivery time applies).
NOT_YET_SHIPPED = frozenset(
    {
        OrderStatus.NEW,
        OrderStatus.AWAITING_STOCK,
        OrderStatus.CONFIRMED,
        OrderStatus.PACKING,
        OrderStatus.READY_TO_SHIP,
    }
)
OPEN = NOT_YET_SHIPPED | {OrderStatus.SHIPPING, OrderStatus.DELIVERY_FAILED}


async def answer(ctx: FlowContext, state: FlowState, text: str) -> Outcome | None:
    """The answer when the text is one of the common questions; None when it is not (then
    it is searched as product words)."""
    intent = classify(text)
    return None if intent is None else await answer_intent(ctx, state, intent)


async def answer_intent(ctx: FlowContext, state: FlowState, intent: Intent) -> Outcome:
    if intent is Intent.STAFF:
        return Outcome(state.reset_step(), [Reply(text=ctx.t("handoff"))], handoff=True)
    if intent is Intent.GREETING:
        return Outcome(state, [welcome(ctx.lang, state, ctx.shop_name)])
    if intent is Intent.ORDER_STATUS:
        return await order_status(ctx, state)
    return Outcome(state, [menu(ctx.lang, state, policy_answer(ctx, intent))])


def policy_answer(ctx: FlowContext, intent: Intent) -> str:
    """The sentences for a question the shop's settings answer."""
    cfg, lang = ctx.shop.config, ctx.lang
    delivery = say(lang, "delivery_time", time=_policy(cfg, "delivery_time", lang))
    if intent is Intent.SHIPPING_TIME:
        return delivery
    if intent is Intent.SHIPPING_FEE:
        return _shipping_fee(cfg, lang)
    if intent is Intent.SHIPPING:
        return f"{_shipping_fee(cfg, lang)}\n{delivery}"
    if intent is Intent.PAYMENT_METHODS:
        methods = say(lang, "payment_bank" if cfg.bank else "payment_bank_by_staff")
        return f"{methods}\n{say(lang, 'hold', minutes=cfg.hold_minutes)}"
    if intent is Intent.RETURN_POLICY:
        return say(lang, "return_policy", policy=_policy(cfg, "return_policy", lang))
    if intent is Intent.OPENING_HOURS:
        return say(lang, "opening_hours", hours=_policy(cfg, "opening_hours", lang))
    return say(lang, "thanks")


def _policy(cfg: ToolConfig, name: Policy, lang: Lang) -> str:
    texts = {
        "delivery_time": (cfg.delivery_time, cfg.delivery_time_en),
        "opening_hours": (cfg.opening_hours, cfg.opening_hours_en),
        "return_policy": (cfg.return_policy, cfg.return_policy_en),
    }
    return policy_text(name, lang, *texts[name])


def _shipping_fee(cfg: ToolConfig, lang: Lang) -> str:
    if cfg.shipping_fee == 0 or cfg.free_shipping_from == 0:
        return say(lang, "shipping_free")
    fee = format_vnd(cfg.shipping_fee)
    if cfg.free_shipping_from is None:
        rule = say(lang, "shipping_fee_flat", fee=fee)
    else:
        rule = say(
            lang, "shipping_fee_free_from", fee=fee, free_from=format_vnd(cfg.free_shipping_from)
        )
    return f"{rule}\n{say(lang, 'shipping_fee_shown')}"


async def order_status(ctx: FlowContext, state: FlowState) -> Outcome:
    """The customer's latest open order and its status, above their recent orders (each a
    button to its details). list_orders as the customer shows only their own orders."""
    orders = (await ctx.shop.list_orders(limit=RECENT)).orders
    if not orders:
        return Outcome(state, [menu(ctx.lang, state, say(ctx.lang, "no_orders"))])
    listed = orders_reply(ctx.lang, orders, state, ctx.shop.timezone)
    current = next((o for o in orders if o.status in OPEN), None)
    if current is None:
        return Outcome(state, [listed])
    lines = [
        say(
            ctx.lang,
            "order_status",
            number=current.number,
            status=status_label(ctx.lang, current.status),
        )
    ]
    if current.status in NOT_YET_SHIPPED:
        eta = _policy(ctx.shop.config, "delivery_time", ctx.lang)
        lines.append(say(ctx.lang, "order_eta", time=eta))
    text = "\n".join(lines) + "\n\n" + listed.text
    return Outcome(state, [listed.model_copy(update={"text": text})])

"""Checkout: delivery details, payment, the quote summary, and placing the order.

The order is placed only from a quote the customer saw and confirmed; the confirm button
carries that quote's token, and the idempotency key is derived from the conversation and the
token, so a double tap (or a retried delivery) returns the same order instead of a second one.
"""

from __future__ import annotations

from typing import Literal

from agents.offline import payloads as P
from agents.offline.cart import drop_unsold
from agents.offline.context import FlowContext, Outcome
from agents.offline.render import (
    button,
    buyer_text,
    cart_reply,
    menu,
    phone_text,
    quote_reply,
    short,
)
from agents.offline.state import (
    Buyer,
    FlowState,
    clamp_to_available,
    clean_name,
    next_checkout_step,
    parse_address,
    parse_payment,
    parse_phone,
)
from agents.payment import reply_after_order
from agents.types import Button, Reply
from core.errors import DomainError, NotFound
from core.money import format_vnd
from core.text import fold
from tools.order_models import OrderOut

# Refusals that a fresh quote answers (a product switched off since is dropped by it).
RETRY_QUOTE = frozenset(
    {"quote_expired", "quote_used", "quote_superseded", "unknown_quote", "unknown_sku"}
)
MAX_PLACED_KEPT = 5
_YES = frozenset(
    {
        "dung",
        "dung roi",
        "ok",
        "oke",
        "okay",
        "yes",
        "y",
        "co",
        "uh",
        "correct",
        "vang",
        "da",
        "xac nhan",
        "confirm",
        "dong y",
    }
)


def idempotency_key(conversation_id: int, quote_token: str) -> str:
    return f"chat:{conversation_id}:{quote_token}"[:100]


def _cancel_button(ctx: FlowContext) -> Button:
    return button(ctx.t("btn_cancel"), P.CO_CANCEL)


async def start(ctx: FlowContext, state: FlowState) -> Outcome:
    state = state.reset_step().model_copy(update={"payment": None, "quote_token": None})
    state, notice = await drop_unsold(ctx, state)
    if not state.cart:
        return Outcome(state, [cart_reply(ctx.lang, state, notice)])
    outcome = await _start(ctx, state)
    if notice:
        outcome.replies.insert(0, Reply(text=notice))
    return outcome


async def _start(ctx: FlowContext, state: FlowState) -> Outcome:
    saved = await _saved_details(ctx, state)
    state = state.model_copy(update={"saved": saved})
    if saved.complete:
        state = state.model_copy(update={"step": "co_saved"})
        return Outcome(
            state,
            [
                Reply(
                    text=ctx.t("checkout_saved", buyer=buyer_text(saved)),
                    buttons=[
                        button(ctx.t("btn_use_saved"), P.CO_USE_SAVED),
                        button(ctx.t("btn_enter_new"), P.CO_NEW),
                        _cancel_button(ctx),
                    ],
                )
            ],
        )
    return await ask_next(ctx, state.model_copy(update={"buyer": Buyer()}))


async def _saved_details(ctx: FlowContext, state: FlowState) -> Buyer:
    """The details of the customer's last order in this chat, else their customer record."""
    if state.buyer.complete:
        return state.buyer
    customer = await ctx.shop.get_customer()
    saved = Buyer(name=customer.name, phone=customer.phones[0] if customer.phones else "")
    if customer.addresses:
        a = customer.addresses[0]  # the default comes first
        saved = saved.model_copy(
            update={"line": a.line, "ward": a.ward, "district": a.district, "province": a.province}
        )
    return saved


async def ask_next(ctx: FlowContext, state: FlowState) -> Outcome:
    """Asks for the first missing detail, or quotes when nothing is missing."""
    step = next_checkout_step(state)
    saved = state.saved or Buyer()
    state = state.model_copy(update={"step": step})
    buttons: list[Button] = []
    if step == "co_name":
        if saved.name:
            buttons.append(button(ctx.t("btn_use_name", name=saved.name), P.CO_USE_NAME))
        text = ctx.t("ask_name")
    elif step == "co_phone":
        if saved.phone:
            buttons.append(
                button(ctx.t("btn_use_phone", phone=phone_text(saved.phone)), P.CO_USE_PHONE)
            )
        text = ctx.t("ask_phone")
    elif step == "co_address":
        if saved.has_address:
            buttons.append(button(short(saved.address_text()), P.CO_USE_ADDRESS))
        text = ctx.t("ask_address")
    elif step == "co_payment":
        buttons += [
            button(ctx.t("btn_pay_cod"), P.pay("cod")),
            button(ctx.t("btn_pay_bank"), P.pay("bank_transfer")),
        ]
        text = ctx.t("ask_payment")
    else:
        return await quote(ctx, state)
    return Outcome(state, [Reply(text=text, buttons=[*buttons, _cancel_button(ctx)])])


async def quote(ctx: FlowContext, state: FlowState, prefix: str = "") -> Outcome:
    if not state.cart:
        return Outcome(state.reset_step(), [cart_reply(ctx.lang, state, prefix)])
    try:
        q = await ctx.shop.quote_order(
            lines=[{"sku": i.sku, "quantity": i.quantity} for i in state.cart],
            payment_method=state.payment or "cod",
            address=state.buyer.address_dict(),
        )
    except NotFound as err:
        # A line switched off while the details were typed: drop it, quote the rest.
        checked, notice = await drop_unsold(ctx, state)
        if err.code != "unknown_sku" or not notice:
            raise
        return await quote(ctx, checked, "\n".join(p for p in (notice, prefix) if p))
    if not q.all_available:
        return _short(ctx, state, {s.sku: s.available for s in q.short})
    prices = {ln.sku: ln.unit_price for ln in q.lines}
    cart = [
        i.model_copy(update={"unit_price": prices.get(i.sku, i.unit_price)}) for i in state.cart
    ]
    state = state.model_copy(
        update={"step": "co_review", "quote_token": q.quote_token, "cart": cart}
    )
    replies = [Reply(text=prefix)] if prefix else []
    replies.append(quote_reply(ctx.lang, q, state, ctx.shop.timezone))
    return Outcome(state, replies)


def _short(ctx: FlowContext, state: FlowState, available: dict[str, int]) -> Outcome:
    titles = {i.sku: i.title for i in state.cart}
    lines = "\n".join(
        ctx.t("short_line", item=titles.get(sku, sku), available=n) for sku, n in available.items()
    )
    state = clamp_to_available(state, available).reset_step()
    return Outcome(state, [cart_reply(ctx.lang, state, ctx.t("short_stock", lines=lines))])


# --- answers to the questions ---------------------------------------------------------------


async def use_saved(ctx: FlowContext, state: FlowState, part: str) -> Outcome:
    saved = state.saved or Buyer()
    buyer = state.buyer
    if part == "all" and saved.complete:
        buyer = saved
    elif part == "name" and saved.name:
        buyer = buyer.model_copy(update={"name": saved.name})
    elif part == "phone" and saved.phone:
        buyer = buyer.model_copy(update={"phone": saved.phone})
    elif part == "address" and saved.has_address:
        buyer = buyer.model_copy(
            update={
                "line": saved.line,
                "ward": saved.ward,
                "district": saved.district,
                "province": saved.province,
            }
        )
    return await ask_next(ctx, state.model_copy(update={"buyer": buyer}))


async def enter_new(ctx: FlowContext, state: FlowState) -> Outcome:
    """Asks every detail again, offering what was given before as one-tap answers."""
    if not state.cart:
        return Outcome(state.reset_step(), [cart_reply(ctx.lang, state)])
    given = state.buyer.model_dump(exclude_defaults=True)
    saved = (state.saved or Buyer()).model_copy(update=given)
    return await ask_next(
        ctx, state.model_copy(update={"buyer": Buyer(), "saved": saved, "quote_token": None})
    )


async def typed(ctx: FlowContext, state: FlowState, text: str) -> Outcome | None:
    """Typed text during checkout; None when it is not an answer to the current question."""
    step = state.step
    if "?" in text and step in ("co_name", "co_address"):
        return None  # a question, not a name or an address: let it be answered
    if step == "co_name":
        name = clean_name(text)
        if name is None:
            return Outcome(state, [Reply(text=ctx.t("bad_name"), buttons=[_cancel_button(ctx)])])
        return await ask_next(
            ctx, state.model_copy(update={"buyer": state.buyer.model_copy(update={"name": name})})
        )
    if step == "co_phone":
        phone = parse_phone(text)
        if phone is None:
            return Outcome(
                state,
                [
                    Reply(
                        text=ctx.t("bad_phone", phone=short(text, 30)),
                        buttons=[_cancel_button(ctx)],
                    )
                ],
            )
        return await ask_next(
            ctx, state.model_copy(update={"buyer": state.buyer.model_copy(update={"phone": phone})})
        )
    if step in ("co_address", "co_address_confirm"):
        if step == "co_address_confirm" and _is_yes(text):
            return await address_ok(ctx, state)
        address = parse_address(text)
        if address is None:
            if step == "co_address_confirm":
                return None
            return Outcome(state, [Reply(text=ctx.t("bad_address"), buttons=[_cancel_button(ctx)])])
        state = state.model_copy(update={"step": "co_address_confirm", "pending_address": address})
        return Outcome(
            state,
            [
                Reply(
                    text=ctx.t(
                        "confirm_address",
                        line=address.line,
                        ward=address.ward or "—",
                        district=address.district or "—",
                        province=address.province,
                    ),
                    buttons=[
                        button(ctx.t("btn_address_ok"), P.CO_ADDRESS_OK),
                        button(ctx.t("btn_address_redo"), P.CO_ADDRESS_REDO),
                        _cancel_button(ctx),
                    ],
                )
            ],
        )
    if step == "co_payment":
        method = parse_payment(text)
        return await set_payment(ctx, state, method) if method else None
    if step == "co_saved" and _is_yes(text):
        return await use_saved(ctx, state, "all")
    if step == "co_review" and state.quote_token and _is_yes(text):
        return await confirm(ctx, state, state.quote_token)
    return None


def _is_yes(text: str) -> bool:
    return fold(text).strip(" !.") in _YES


async def address_ok(ctx: FlowContext, state: FlowState) -> Outcome:
    if state.pending_address is None:
        return await ask_next(ctx, state)
    buyer = state.buyer.with_address(state.pending_address)
    return await ask_next(ctx, state.model_copy(update={"buyer": buyer, "pending_address": None}))


async def address_redo(ctx: FlowContext, state: FlowState) -> Outcome:
    state = state.model_copy(update={"pending_address": None, "step": "co_address"})
    return Outcome(state, [Reply(text=ctx.t("ask_address"), buttons=[_cancel_button(ctx)])])


async def set_payment(
    ctx: FlowContext, state: FlowState, method: Literal["cod", "bank_transfer"] | None
) -> Outcome:
    if not state.cart:
        return Outcome(state.reset_step(), [cart_reply(ctx.lang, state)])
    return await ask_next(ctx, state.model_copy(update={"payment": method, "quote_token": None}))


async def edit(ctx: FlowContext, state: FlowState) -> Outcome:
    return Outcome(
        state,
        [
            Reply(
                text=ctx.t("edit_what"),
                buttons=[
                    button(ctx.t("btn_edit_cart"), P.CART),
                    button(ctx.t("btn_edit_buyer"), P.CO_NEW),
                    button(ctx.t("btn_edit_payment"), P.CO_CHANGE_PAYMENT),
                    _cancel_button(ctx),
                ],
            )
        ],
    )


async def cancel(ctx: FlowContext, state: FlowState) -> Outcome:
    state = state.reset_step().model_copy(
        update={"quote_token": None, "payment": None, "pending_address": None}
    )
    return Outcome(state, [menu(ctx.lang, state, ctx.t("checkout_cancelled"))])


# --- placing the order ----------------------------------------------------------------------


async def confirm(ctx: FlowContext, state: FlowState, token: str) -> Outcome:
    already = next((p for p in state.placed if p[0] == token), None)
    if already is not None:
        order = await ctx.shop.get_order(order_id=already[1])
        return Outcome(
            state,
            [
                *await _placed_replies(ctx, order),
            ],
        )
    if not token or token != state.quote_token or state.step != "co_review":
        return Outcome(
            state.reset_step(),
            [cart_reply(ctx.lang, state.reset_step(), ctx.t("nothing_to_confirm"))],
        )
    if not state.buyer.complete or state.payment is None:
        return await ask_next(ctx, state)
    try:
        order = await ctx.shop.place_order(
            quote_token=token,
            buyer_name=state.buyer.name,
            buyer_phone=state.buyer.phone,
            address=state.buyer.address_dict(),
            payment_method=state.payment,
            channel=ctx.channel,
            idempotency_key=idempotency_key(ctx.conversation_id, token),
        )
    except DomainError as err:
        if err.code in RETRY_QUOTE:
            return await quote(ctx, state, ctx.t("quote_expired"))
        if err.code == "insufficient_stock":
            short_lines = err.details.get("lines") or []
            available = {
                str(x.get("sku")): int(x.get("available", 0))
                for x in short_lines
                if isinstance(x, dict)
            }
            if available:
                return _short(ctx, state, available)
        raise
    placed = [(token, order.id), *state.placed][:MAX_PLACED_KEPT]
    state = state.reset_step().model_copy(
        update={
            "cart": [],
            "quote_token": None,
            "payment": None,
            "pending_address": None,
            "saved": state.buyer,
            "placed": placed,
        }
    )
    return Outcome(
        state,
        await _placed_replies(ctx, order),
    )


async def _placed_replies(ctx: FlowContext, order: OrderOut) -> list[Reply]:
    """The order number and total; for a bank transfer, how to pay it (with its QR code)."""
    lines = [ctx.t("order_placed", number=order.number, total=format_vnd(order.total))]
    if order.payment_method == "cod" and order.cod_amount:
        lines.append(ctx.t("order_placed_cod", amount=format_vnd(order.cod_amount)))
    if order.status == "awaiting_stock":
        lines.append(ctx.t("order_awaiting_stock"))
    buttons = [
        button(order.number, P.order(order.id)),
        button(ctx.t("btn_continue"), P.CATEGORIES),
        button(ctx.t("btn_menu"), P.MENU),
    ]
    if order.payment_method != "bank_transfer":
        return [Reply(text="\n".join(lines), buttons=buttons)]
    shop = ctx.shop
    pay = await reply_after_order(shop.runner, shop.actor, order.id, ctx.lang, surface=shop.surface)
    if pay is None:
        return [Reply(text="\n".join(lines), buttons=buttons)]
    return [Reply(text="\n".join(lines)), pay.model_copy(update={"buttons": buttons})]

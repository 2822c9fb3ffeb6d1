"""Checkout: delivery details, payment, the order card, and what the customer decided.

The order is placed only from the confirmation card the customer saw (agents/cards.py): the
review step proposes place_order with the cart and the buyer's details, the code renders the
card from the quote that proposal made, and the order runs when the customer confirms that
card (a button, or a typed yes the consent module is sure of). The pending action runs once,
so a double tap (or a retried delivery) shows the same order instead of a second one.
"""

from __future__ import annotations

from typing import Literal

from agents.cards import ask_again, card_reply
from agents.offline import payloads as P
from agents.offline.cart import drop_unsold
from agents.offline.context import FlowContext, Outcome
from agents.offline.render import (
    button,
    buyer_text,
    cart_reply,
    menu,
    phone_text,
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
from core.consent import Verdict, read_reply
from core.errors import DomainError, InsufficientStock, NotFound
from core.money import format_vnd
from tools.order_models import OrderOut

# Refusals that a fresh card answers (a product switched off since is dropped by it).
RETRY_QUOTE = frozenset(
    {"quote_expired", "quote_used", "quote_superseded", "unknown_quote", "unknown_sku"}
)
MAX_PLACED_KEPT = 5


def _cancel_button(ctx: FlowContext) -> Button:
    return button(ctx.t("btn_cancel"), P.CO_CANCEL)


async def start(ctx: FlowContext, state: FlowState) -> Outcome:
    state = state.reset_step().model_copy(
        update={"payment": None, "card_token": None, "card": None}
    )
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
    share: str | None = None  # the phone question offers the platform's share-phone button
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
        share = ctx.t("btn_share_phone")
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
    return Outcome(
        state, [Reply(text=text, buttons=[*buttons, _cancel_button(ctx)], share_phone=share)]
    )


async def quote(ctx: FlowContext, state: FlowState, prefix: str = "") -> Outcome:
    """The order card for the cart and the buyer's details: proposing place_order quotes the
    cart (holding the stock) and the card shows exactly that quote."""
    if not state.cart:
        return Outcome(state.reset_step(), [cart_reply(ctx.lang, state, prefix)])
    try:
        proposal = await ctx.shop.propose(
            "place_order",
            lines=[{"sku": i.sku, "quantity": i.quantity} for i in state.cart],
            buyer_name=state.buyer.name,
            buyer_phone=state.buyer.phone,
            address=state.buyer.address_dict(),
            payment_method=state.payment or "cod",
            channel=ctx.channel,
        )
    except NotFound as err:
        # A line switched off while the details were typed: drop it, quote the rest.
        checked, notice = await drop_unsold(ctx, state)
        if err.code != "unknown_sku" or not notice:
            raise
        return await quote(ctx, checked, "\n".join(p for p in (notice, prefix) if p))
    except InsufficientStock as err:
        available = _available_of(err)
        if not available:
            raise
        return _short(ctx, state, available)
    card = proposal.card
    prices = {ln.sku: ln.unit_price for ln in card.lines}
    cart = [
        i.model_copy(update={"unit_price": prices.get(i.sku, i.unit_price)}) for i in state.cart
    ]
    state = state.model_copy(
        update={"step": "co_review", "card_token": card.token, "card": card, "cart": cart}
    )
    replies = [Reply(text=prefix)] if prefix else []
    replies.append(card_reply(card, ctx.lang, ctx.shop.timezone))
    return Outcome(state, replies)


def _available_of(err: DomainError) -> dict[str, int]:
    lines = err.details.get("lines") or []
    return {str(x.get("sku")): int(x.get("available", 0)) for x in lines if isinstance(x, dict)}


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
        ctx,
        state.model_copy(
            update={"buyer": Buyer(), "saved": saved, "card_token": None, "card": None}
        ),
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
                        share_phone=ctx.t("btn_share_phone"),
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
    if step == "co_review" and state.card is not None:
        # A clear yes or no to the card was decided before the flow was asked (the consent
        # module, agents/conversation.py); anything else asks again with the card's buttons.
        return Outcome(state, [ask_again(state.card, ctx.lang)])
    return None


def _is_yes(text: str) -> bool:
    """A yes to a checkout question that moves nothing (the saved details, the address as
    read): the same consent module as the cards, so one word means one thing everywhere."""
    return read_reply(text).verdict is Verdict.YES


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
    return await ask_next(
        ctx, state.model_copy(update={"payment": method, "card_token": None, "card": None})
    )


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
        update={"card_token": None, "card": None, "payment": None, "pending_address": None}
    )
    return Outcome(state, [menu(ctx.lang, state, ctx.t("checkout_cancelled"))])


# --- what the customer decided on the order card --------------------------------------------


async def placed(ctx: FlowContext, state: FlowState, order: OrderOut, *, own: bool) -> Outcome:
    """The order from a confirmed card. When it was this checkout's card, the cart and the
    checkout answers are done with (the buyer's details are kept for next time)."""
    if own:
        state = state.reset_step().model_copy(
            update={
                "cart": [],
                "card_token": None,
                "card": None,
                "payment": None,
                "pending_address": None,
                "saved": state.buyer,
                "placed": [(order.number, order.id), *state.placed][:MAX_PLACED_KEPT],
            }
        )
    return Outcome(state, await _placed_replies(ctx, order))


async def card_failed(ctx: FlowContext, state: FlowState, err: DomainError) -> Outcome:
    """Confirming this checkout's card failed: a stale quote gets a fresh card, a shortage
    cuts the cart to what is there; anything else is said as it is."""
    if err.code in RETRY_QUOTE:
        return await quote(ctx, state, ctx.t("quote_expired"))
    available = _available_of(err) if err.code == "insufficient_stock" else {}
    if available:
        return _short(ctx, state, available)
    raise err


async def card_expired(ctx: FlowContext, state: FlowState) -> Outcome:
    return await quote(ctx, state, ctx.t("quote_expired"))


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

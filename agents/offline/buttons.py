"""What each button of the offline flow does: one table from payload kind to handler.

A payload is ``kind[:arg...]`` (agents/offline/payloads.py). Each handler checks its own
arguments and returns None when they do not fit (an old button, a hand-made payload): the flow
then says the button has expired and shows the menu. Adding a button is one entry here and one
builder in payloads.py; nothing else parses payloads.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

from agents.offline import browse, cart, checkout, orders
from agents.offline import payloads as P
from agents.offline.context import FlowContext, Outcome
from agents.offline.messages import Lang, t
from agents.offline.render import menu, welcome
from agents.offline.state import RETURN_REASONS, FlowState
from agents.types import Reply

Handler = Callable[[FlowContext, FlowState, P.Parsed], Awaitable[Outcome | None]]


def switch_language(ctx: FlowContext, state: FlowState, lang: Lang) -> Outcome:
    state = state.model_copy(update={"lang_locked": True})
    new_ctx = dataclasses.replace(ctx, lang=lang)
    return Outcome(
        state,
        [menu(lang, state, t(lang, "lang_switched") + "\n" + new_ctx.t("menu_prompt"))],
        language=lang,
    )


def handoff(ctx: FlowContext, state: FlowState) -> Outcome:
    state = state.reset_step()
    return Outcome(state, [Reply(text=ctx.t("handoff"))], handoff=True)


def expired(ctx: FlowContext, state: FlowState) -> Outcome:
    state = state.reset_step()
    return Outcome(state, [menu(ctx.lang, state, ctx.t("button_expired"))])


async def _menu(ctx: FlowContext, state: FlowState, p: P.Parsed) -> Outcome:
    state = state.reset_step()
    return Outcome(state, [menu(ctx.lang, state)])


async def _start(ctx: FlowContext, state: FlowState, p: P.Parsed) -> Outcome:
    state = state.reset_step()
    return Outcome(state, [welcome(ctx.lang, state, ctx.shop_name)])


async def _lang(ctx: FlowContext, state: FlowState, p: P.Parsed) -> Outcome | None:
    lang = p.arg(0)
    if lang not in ("vi", "en"):
        return None
    return switch_language(ctx, state, "en" if lang == "en" else "vi")


async def _category(ctx: FlowContext, state: FlowState, p: P.Parsed) -> Outcome | None:
    page, name = p.int_arg(0), p.arg(1)
    if page is None or not name:
        return None
    return await browse.show_category(ctx, state, name, page)


async def _product(ctx: FlowContext, state: FlowState, p: P.Parsed) -> Outcome | None:
    product_id = p.int_arg(0)
    return await browse.show_product(ctx, state, product_id) if product_id else None


async def _variant(ctx: FlowContext, state: FlowState, p: P.Parsed) -> Outcome | None:
    product_id = p.int_arg(0)
    if not product_id:
        return None
    chosen = P.parse_indexes(p.arg(1))
    return await browse.choose_variant(ctx, state, product_id, chosen or ())


async def _quantity(ctx: FlowContext, state: FlowState, p: P.Parsed) -> Outcome | None:
    quantity, sku = p.int_arg(0), p.arg(1)
    return await browse.add_quantity(ctx, state, sku, quantity) if quantity and sku else None


async def _cart(ctx: FlowContext, state: FlowState, p: P.Parsed) -> Outcome:
    if p.arg(0) in ("qty", "del"):
        return await cart.pick_line(ctx, state, remove=p.arg(0) == "del")
    return await cart.show_cart(ctx, state)


async def _cart_line(ctx: FlowContext, state: FlowState, p: P.Parsed) -> Outcome | None:
    sku = p.arg(0)
    return await cart.ask_line_quantity(ctx, state, sku) if sku else None


async def _cart_quantity(ctx: FlowContext, state: FlowState, p: P.Parsed) -> Outcome | None:
    quantity, sku = p.int_arg(0), p.arg(1)
    if quantity is None or not sku:
        return None
    return await cart.set_line_quantity(ctx, state, sku, quantity)


async def _cart_remove(ctx: FlowContext, state: FlowState, p: P.Parsed) -> Outcome | None:
    sku = p.arg(0)
    return await cart.remove(ctx, state, sku) if sku else None


def _order_button(
    action: Callable[[FlowContext, FlowState, int], Awaitable[Outcome]],
) -> Handler:
    """A button about one of the customer's orders: ``kind:<order id>``."""

    async def handle(ctx: FlowContext, state: FlowState, p: P.Parsed) -> Outcome | None:
        order_id = p.int_arg(0)
        return await action(ctx, state, order_id) if order_id else None

    return handle


async def _return_reason(ctx: FlowContext, state: FlowState, p: P.Parsed) -> Outcome | None:
    order_id, reason = p.int_arg(0), p.arg(1)
    if not order_id or reason not in RETURN_REASONS:
        return None
    return await orders.create_return(ctx, state, order_id, ctx.t(f"reason_{reason}"))


async def _payment(ctx: FlowContext, state: FlowState, p: P.Parsed) -> Outcome:
    method = p.arg(1)
    if method == "cod":
        return await checkout.set_payment(ctx, state, "cod")
    if method == "bank_transfer":
        return await checkout.set_payment(ctx, state, "bank_transfer")
    return await checkout.set_payment(ctx, state, None)  # asks again


CHECKOUT: dict[str, Handler] = {
    "": lambda ctx, state, p: checkout.start(ctx, state),
    "saved": lambda ctx, state, p: checkout.use_saved(ctx, state, "all"),
    "name": lambda ctx, state, p: checkout.use_saved(ctx, state, "name"),
    "phone": lambda ctx, state, p: checkout.use_saved(ctx, state, "phone"),
    "addr": lambda ctx, state, p: checkout.use_saved(ctx, state, "address"),
    "new": lambda ctx, state, p: checkout.enter_new(ctx, state),
    "addr_ok": lambda ctx, state, p: checkout.address_ok(ctx, state),
    "addr_redo": lambda ctx, state, p: checkout.address_redo(ctx, state),
    "pay": _payment,
    # A confirm button from before cards: show the order card instead of acting on it.
    "ok": lambda ctx, state, p: checkout.ask_next(ctx, state),
    "edit": lambda ctx, state, p: checkout.edit(ctx, state),
    "cancel": lambda ctx, state, p: checkout.cancel(ctx, state),
}


async def _checkout(ctx: FlowContext, state: FlowState, p: P.Parsed) -> Outcome | None:
    handler = CHECKOUT.get(p.arg(0) or "")
    return await handler(ctx, state, p) if handler is not None else None


async def _staff(ctx: FlowContext, state: FlowState, p: P.Parsed) -> Outcome:
    return handoff(ctx, state)


BUTTONS: dict[str, Handler] = {
    "menu": _menu,
    "start": _start,
    "lang": _lang,
    "cats": lambda ctx, state, p: browse.show_categories(ctx, state),
    "cat": _category,
    "search": lambda ctx, state, p: browse.prompt_search(ctx, state),
    "p": _product,
    "v": _variant,
    "q": _quantity,
    "cart": _cart,
    "cl": _cart_line,
    "cq": _cart_quantity,
    "cd": _cart_remove,
    "co": _checkout,
    "orders": lambda ctx, state, p: orders.list_recent(ctx, state),
    "o": _order_button(orders.show),
    "op": _order_button(orders.how_to_pay),
    "oc": _order_button(orders.ask_cancel),
    # A yes button from before cards: show the cancellation card instead of acting on it.
    "ocy": _order_button(orders.ask_cancel),
    "or": _order_button(orders.ask_return),
    "orr": _return_reason,
    "staff": _staff,
}


async def press(ctx: FlowContext, state: FlowState, payload: str) -> Outcome:
    """The outcome of a pressed button; an unknown or malformed one shows the menu."""
    p = P.parse(payload)
    handler = BUTTONS.get(p.kind)
    outcome = await handler(ctx, state, p) if handler is not None else None
    return outcome if outcome is not None else expired(ctx, state)

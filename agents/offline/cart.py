"""The cart: view it, change a line's quantity, remove a line."""

from __future__ import annotations

from agents.offline import payloads as P
from agents.offline.context import FlowContext, Outcome
from agents.offline.render import button, cart_reply
from agents.offline.state import (
    MAX_LINE_QUANTITY,
    CartError,
    FlowState,
    drop_lines,
    remove_line,
    set_quantity,
)
from agents.types import Reply
from core.errors import NotFound
from core.quantity import parse_quantity


async def show_cart(ctx: FlowContext, state: FlowState, prefix: str = "") -> Outcome:
    state, notice = await drop_unsold(ctx, state.reset_step())
    prefix = "\n".join(p for p in (notice, prefix) if p)
    return Outcome(state, [cart_reply(ctx.lang, state, prefix)])


async def drop_unsold(ctx: FlowContext, state: FlowState) -> tuple[FlowState, str]:
    """The cart without the lines the shop no longer sells (the product switched off, the
    variant removed or switched off since it was added), and a one-line notice naming them
    ("" when every line is still sold). One get_product per product in the cart."""
    gone: list[str] = []
    titles: list[str] = []
    for product_id in dict.fromkeys(i.product_id for i in state.cart):
        try:
            product = await ctx.shop.get_product(product_id=product_id)
            sold = {v.sku.casefold() for v in product.variants if v.active}
        except NotFound:
            sold = set()
        for item in state.cart:
            if item.product_id == product_id and item.sku.casefold() not in sold:
                gone.append(item.sku)
                titles.append(item.title)
    if not gone:
        return state, ""
    return drop_lines(state, set(gone)), ctx.t("lines_unsold", items=", ".join(titles))


async def pick_line(ctx: FlowContext, state: FlowState, *, remove: bool) -> Outcome:
    state = state.reset_step()
    if not state.cart:
        return Outcome(state, [cart_reply(ctx.lang, state)])
    make = P.cart_remove if remove else P.cart_line_qty
    buttons = [button(f"{i}. {item.title}", make(item.sku)) for i, item in enumerate(state.cart, 1)]
    buttons.append(button(ctx.t("btn_cart"), P.CART))
    key = "pick_line_remove" if remove else "pick_line_qty"
    return Outcome(state, [Reply(text=ctx.t(key), buttons=buttons)])


async def ask_line_quantity(ctx: FlowContext, state: FlowState, sku: str) -> Outcome:
    item = next((i for i in state.cart if i.sku == sku), None)
    if item is None:
        return await show_cart(ctx, state, ctx.t("not_in_cart"))
    state = state.reset_step().model_copy(update={"step": "cart_qty", "edit_sku": sku})
    buttons = [button(str(n), P.cart_set_qty(sku, n)) for n in (1, 2, 3, 4, 5)]
    buttons += [button(ctx.t("btn_remove"), P.cart_remove(sku)), button(ctx.t("btn_cart"), P.CART)]
    return Outcome(state, [Reply(text=ctx.t("ask_new_quantity", item=item.title), buttons=buttons)])


async def set_line_quantity(ctx: FlowContext, state: FlowState, sku: str, n: int) -> Outcome:
    item = next((i for i in state.cart if i.sku == sku), None)
    if item is None:
        return await show_cart(ctx, state, ctx.t("not_in_cart"))
    available: int | None = None
    if n > 0:
        try:
            product = await ctx.shop.get_product(product_id=item.product_id)
        except NotFound:
            product = None
        variant = next((v for v in product.variants if v.sku == sku), None) if product else None
        if variant is None or not variant.active:
            return await show_cart(ctx, state)  # no longer sold: dropped there, and said so
        available = variant.available
    try:
        new = set_quantity(state, sku, n, available)
    except CartError as err:
        keep = state.model_copy(update={"step": "cart_qty", "edit_sku": sku})
        return Outcome(
            keep,
            [Reply(text=ctx.t(err.key, **err.values), buttons=[button(ctx.t("btn_cart"), P.CART)])],
        )
    note = (
        ctx.t("line_removed", item=item.title)
        if n == 0
        else ctx.t("line_updated", item=item.title, quantity=n)
    )
    return await show_cart(ctx, new, note)


async def remove(ctx: FlowContext, state: FlowState, sku: str) -> Outcome:
    item = next((i for i in state.cart if i.sku == sku), None)
    if item is None:
        return await show_cart(ctx, state, ctx.t("not_in_cart"))
    try:
        new = remove_line(state, sku)
    except CartError:
        return await show_cart(ctx, state, ctx.t("not_in_cart"))
    return await show_cart(ctx, new, ctx.t("line_removed", item=item.title))


async def typed_line_quantity(ctx: FlowContext, state: FlowState, text: str) -> Outcome | None:
    n = parse_quantity(text)
    if n is None or state.edit_sku is None:
        if any(ch.isalpha() for ch in text):
            return None
        return Outcome(
            state,
            [
                Reply(
                    text=ctx.t("bad_quantity", max=MAX_LINE_QUANTITY),
                    buttons=[button(ctx.t("btn_cart"), P.CART)],
                )
            ],
        )
    return await set_line_quantity(ctx, state, state.edit_sku, n)

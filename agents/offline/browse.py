"""Browsing: categories, search, a product's page, choosing its variant and the quantity."""

from __future__ import annotations

from collections.abc import Sequence

from agents.offline import payloads as P
from agents.offline import questions
from agents.offline.answers import say
from agents.offline.context import FlowContext, Outcome
from agents.offline.render import (
    button,
    hit_card,
    menu,
    product_card,
    product_text,
)
from agents.offline.state import (
    MAX_LINE_QUANTITY,
    CartError,
    CartItem,
    FlowState,
    add_to_cart,
    quantity_in_cart,
    search_words,
)
from agents.offline.variants import (
    Chosen,
    NoMatch,
    Pick,
    VariantChoice,
    chosen_label,
    next_choice,
)
from agents.types import Button, Reply
from core.labels import label
from core.money import format_vnd
from tools.catalog import ProductHit, ProductOut

PAGE_SIZE = 8
SEARCH_LIMIT = 8


async def show_categories(ctx: FlowContext, state: FlowState) -> Outcome:
    state = state.reset_step()
    cats = (await ctx.shop.list_categories()).categories
    if not cats:
        return Outcome(state, [menu(ctx.lang, state, ctx.t("no_categories"))])
    buttons = [
        button(f"{label(c.name, c.name_en, ctx.lang)} ({c.product_count})", P.category(c.name))
        for c in cats[:20]
    ]
    buttons.append(button(ctx.t("btn_menu"), P.MENU))
    return Outcome(state, [Reply(text=ctx.t("categories"), buttons=buttons)])


async def show_category(ctx: FlowContext, state: FlowState, name: str, page: int) -> Outcome:
    state = state.reset_step()
    page = max(0, min(page, 5))
    want = min(50, (page + 1) * PAGE_SIZE + 1)
    hits = (await ctx.shop.search_products(query="", category=name, limit=want)).results
    shown = hits[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    if not shown:
        return Outcome(state, [menu(ctx.lang, state, ctx.t("category_empty", category=name))])
    buttons = []
    if len(hits) > (page + 1) * PAGE_SIZE:
        buttons.append(button(ctx.t("btn_more"), P.category(name, page + 1)))
    buttons += [
        button(ctx.t("btn_back_categories"), P.CATEGORIES),
        button(ctx.t("btn_menu"), P.MENU),
    ]
    return Outcome(
        state,
        [
            Reply(
                text=ctx.t(
                    "category_products",
                    category=label(shown[0].category or name, shown[0].category_en, ctx.lang),
                ),
                cards=[hit_card(h, ctx.lang) for h in shown],
                buttons=buttons,
            )
        ],
    )


async def prompt_search(ctx: FlowContext, state: FlowState) -> Outcome:
    state = state.reset_step().model_copy(update={"step": "search"})
    return Outcome(
        state, [Reply(text=ctx.t("search_prompt"), buttons=[button(ctx.t("btn_menu"), P.MENU)])]
    )


async def search(ctx: FlowContext, state: FlowState, text: str) -> Outcome:
    """Free text as product words. A common question ("ship mất bao lâu?") is answered
    instead (agents.offline.questions). A sentence that names no product ("giá bao nhiêu vậy
    shop?") asks what to look for; nothing found: say plainly that the shop does not sell it.
    The sentence's other words are not searched: they would only find products by chance
    ("vậy" is "váy")."""
    asked = await questions.answer(ctx, state.reset_step(), text)
    if asked is not None:
        return asked
    query = search_words(text)[:200]
    if not query:
        return await prompt_search(ctx, state)
    state = state.reset_step()
    hits = (await ctx.shop.search_products(query=query, limit=SEARCH_LIMIT)).results
    if not hits:
        return Outcome(
            state, [menu(ctx.lang, state, say(ctx.lang, "not_sold", query=text.strip()[:80]))]
        )
    return Outcome(state, [results_reply(ctx, state, query, hits)])


def results_reply(
    ctx: FlowContext, state: FlowState, query: str, hits: Sequence[ProductHit]
) -> Reply:
    if all(h.match == "partial" for h in hits):
        key = "search_partial"  # only some of the words: the closest products, said so
    elif all(h.match in ("fuzzy", "partial") for h in hits):
        key = "search_fuzzy"
    else:
        key = "search_results"
    heading = ctx.t(key, query=query[:80])
    return Reply(
        text=heading,
        cards=[hit_card(h, ctx.lang) for h in hits],
        buttons=[
            button(ctx.t("btn_search"), P.SEARCH),
            button(ctx.t("btn_categories"), P.CATEGORIES),
            button(ctx.t("btn_menu"), P.MENU),
        ],
    )


def _choices(product: ProductOut, lang: str) -> list[VariantChoice]:
    """The variants to choose from, their option values in the reader's language (the keys
    stay the attribute names the choice walks by)."""
    english = lang == "en"
    return [
        VariantChoice(
            sku=v.sku,
            options={**v.options, **v.options_en} if english else v.options,
            label=(v.label_en or v.label) if english else v.label,
            price=v.sale_price,
            available=v.available,
        )
        for v in product.variants
        if v.active
    ]


async def show_product(ctx: FlowContext, state: FlowState, product_id: int) -> Outcome:
    product = await ctx.shop.get_product(product_id=product_id)
    state = state.reset_step()
    # The card carries the picture; without one the text says it all.
    cards = [product_card(product, ctx.lang)] if product.media else []
    intro = Reply(text=product_text(product, ctx.lang), cards=cards)
    outcome = _variant_step(ctx, state, product, ())
    outcome.replies.insert(0, intro)
    return outcome


async def choose_variant(
    ctx: FlowContext, state: FlowState, product_id: int, chosen: Sequence[int]
) -> Outcome:
    product = await ctx.shop.get_product(product_id=product_id)
    return _variant_step(ctx, state.reset_step(), product, tuple(chosen))


def _variant_step(
    ctx: FlowContext, state: FlowState, product: ProductOut, chosen: tuple[int, ...]
) -> Outcome:
    choices = _choices(product, ctx.lang)
    result = next_choice(product.attributes, choices, chosen)
    if isinstance(result, NoMatch) and chosen:
        result = next_choice(product.attributes, choices, ())
    nav = _nav_buttons(ctx, product)
    if isinstance(result, NoMatch) or (
        isinstance(result, Pick) and not result.in_stock and not result.chosen
    ):
        return Outcome(
            state, [Reply(text=ctx.t("product_sold_out", name=product.name), buttons=nav)]
        )
    if isinstance(result, Pick):
        so_far = chosen_label(product.attributes, choices, result.chosen)
        if not result.in_stock:
            return Outcome(
                state,
                [
                    Reply(
                        text=ctx.t("variant_sold_out", label=so_far),
                        buttons=[button(ctx.t("btn_rechoose"), P.variant(product.id, ())), *nav],
                    )
                ],
            )
        attribute = label(result.attribute, product.attributes_en.get(result.attribute), ctx.lang)
        lines = [ctx.t("choose_option", attribute=attribute)]
        if so_far:
            lines.insert(0, ctx.t("chosen_so_far", label=so_far))
        if result.sold_out:
            lines.append(
                ctx.t("options_sold_out", values=", ".join(o.value for o in result.sold_out))
            )
        buttons = [
            button(o.value, P.variant(product.id, (*result.chosen, o.index)))
            for o in result.in_stock
        ]
        if result.chosen:
            buttons.append(button(ctx.t("btn_rechoose"), P.variant(product.id, ())))
        return Outcome(state, [Reply(text="\n".join(lines), buttons=buttons + nav)])
    return _ask_quantity(ctx, state, product, result)


def _nav_buttons(ctx: FlowContext, product: ProductOut) -> list[Button]:
    out = []
    if product.category:
        out.append(button(ctx.t("btn_continue"), P.category(product.category)))
    out.append(button(ctx.t("btn_menu"), P.MENU))
    return out


def _ask_quantity(
    ctx: FlowContext, state: FlowState, product: ProductOut, chosen: Chosen
) -> Outcome:
    v = chosen.variant
    nav = _nav_buttons(ctx, product)
    rechoose = (
        [button(ctx.t("btn_rechoose"), P.variant(product.id, ()))] if product.attributes else []
    )
    room = min(v.available, MAX_LINE_QUANTITY) - quantity_in_cart(state, v.sku)
    if v.available <= 0:
        return Outcome(
            state,
            [
                Reply(
                    text=ctx.t("variant_sold_out", label=v.label or product.name),
                    buttons=rechoose + nav,
                )
            ],
        )
    if room <= 0:
        return Outcome(
            state,
            [
                Reply(
                    text=ctx.t(
                        "only_left", available=v.available, in_cart=quantity_in_cart(state, v.sku)
                    ),
                    buttons=[
                        button(ctx.t("btn_checkout"), P.CHECKOUT),
                        button(ctx.t("btn_cart"), P.CART),
                        *nav,
                    ],
                )
            ],
        )
    key = "ask_quantity" if v.label else "ask_quantity_plain"
    text = ctx.t(
        key, name=product.name, label=v.label, price=format_vnd(v.price), available=v.available
    )
    buttons = [button(str(n), P.quantity(v.sku, n)) for n in (1, 2, 3) if n <= room]
    state = state.model_copy(update={"step": "qty", "sku": v.sku})
    return Outcome(state, [Reply(text=text, buttons=buttons + rechoose + nav)])


async def add_quantity(ctx: FlowContext, state: FlowState, sku: str, quantity: int) -> Outcome:
    """Adds to the cart after re-reading price and availability (the buttons may be old)."""
    product = await ctx.shop.get_product(sku=sku)
    variant = next((v for v in product.variants if v.sku.casefold() == sku.casefold()), None)
    if variant is None or not variant.active:
        return Outcome(
            state.reset_step(),
            [
                Reply(
                    text=ctx.t("product_sold_out", name=product.name),
                    buttons=_nav_buttons(ctx, product),
                )
            ],
        )
    item = CartItem(
        sku=variant.sku,
        product_id=product.id,
        name=product.name,
        label=variant.label,
        unit_price=variant.sale_price,
        quantity=quantity,
    )
    try:
        state = add_to_cart(state, item, variant.available)
    except CartError as err:
        # Stay on the quantity step so a typed number can follow.
        keep = state.model_copy(update={"step": "qty", "sku": variant.sku})
        room = min(variant.available, MAX_LINE_QUANTITY) - quantity_in_cart(state, variant.sku)
        buttons = [button(str(n), P.quantity(variant.sku, n)) for n in (1, 2, 3) if n <= room]
        if err.key == "cart_full":
            buttons = [button(ctx.t("btn_checkout"), P.CHECKOUT)]
        return Outcome(
            keep,
            [
                Reply(
                    text=ctx.t(err.key, **err.values), buttons=buttons + _nav_buttons(ctx, product)
                )
            ],
        )
    state = state.reset_step()
    return Outcome(
        state,
        [
            Reply(
                text=ctx.t("added_to_cart", quantity=quantity, item=item.title),
                buttons=[
                    button(ctx.t("btn_checkout"), P.CHECKOUT),
                    button(ctx.t("btn_cart_n", n=state.cart_count), P.CART),
                    *_nav_buttons(ctx, product),
                ],
            )
        ],
    )

"""The quantity step: a typed quantity for the chosen variant, in digits or words.

The variant stays chosen whatever is typed: a number is added to the cart ("2", "hai cái",
"two"), zero says how many are in stock, a common question ("ship mất bao lâu?") is
answered with the variant still waiting, and anything else asks again with the quantity
buttons, so "two" never turns into a product search that loses the colour and size.
"""

from __future__ import annotations

from agents.offline import questions
from agents.offline.answers import say
from agents.offline.browse import _ask_quantity, _choices, add_quantity
from agents.offline.context import FlowContext, Outcome
from agents.offline.state import MAX_LINE_QUANTITY, FlowState
from agents.offline.variants import Chosen
from core.quantity import parse_quantity


async def typed(ctx: FlowContext, state: FlowState, text: str) -> Outcome | None:
    """None only when no variant is waiting (a stale step): then the text is read afresh."""
    sku = state.sku
    if sku is None:
        return None
    n = parse_quantity(text)
    if n is not None and n >= 1:
        return await add_quantity(ctx, state, sku, n)
    if n is None:
        asked = await questions.answer(ctx, state, text)  # "phí ship bao nhiêu?" meanwhile
        if asked is not None:
            return asked
    return await ask_again(ctx, state, sku, text, n)


async def ask_again(
    ctx: FlowContext, state: FlowState, sku: str, text: str, n: int | None
) -> Outcome:
    """The quantity question again, for the same variant, with a line saying why."""
    product = await ctx.shop.get_product(sku=sku)
    choice = next(
        (c for c in _choices(product, ctx.lang) if c.sku.casefold() == sku.casefold()), None
    )
    if choice is None:
        return await add_quantity(ctx, state, sku, 1)  # says it is no longer sold
    outcome = _ask_quantity(ctx, state, product, Chosen(choice, ()))
    title = f"{product.name} ({choice.label})" if choice.label else product.name
    if n is None:
        note = say(ctx.lang, "qty_not_understood", text=" ".join(text.split())[:40])
    elif n == 0:
        note = say(ctx.lang, "qty_zero", item=title, available=max(choice.available, 0))
    else:
        note = say(ctx.lang, "qty_negative", max=MAX_LINE_QUANTITY)
    first = outcome.replies[0]
    outcome.replies[0] = first.model_copy(update={"text": f"{note}\n{first.text}"})
    return outcome

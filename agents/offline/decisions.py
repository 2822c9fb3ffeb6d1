"""What the customer decided on a confirmation card, said in their words.

The same handler serves the button flow's cards and the LLM agent's: a card is this flow's own
when its token is the one the checkout keeps (``FlowState.card_token``), and then the checkout
is tidied too (cart emptied after the order, a fresh card after a stale quote).
"""

from __future__ import annotations

from agents.cards import decision_text
from agents.offline import checkout, orders
from agents.offline.context import FlowContext, Outcome
from agents.offline.render import menu_buttons
from agents.offline.state import FlowState
from agents.types import Reply
from core.cards import Decision
from storage.pending import PendingStatus
from tools.order_models import OrderOut
from tools.pending import Decided


async def on_card(
    ctx: FlowContext, state: FlowState, decided: Decided, decision: Decision
) -> Outcome:
    own = decided.tool == "place_order" and state.card_token == decided.token
    status = decided.status
    if status is PendingStatus.DONE:
        return await _done(ctx, state, decided, own=own)
    if status is PendingStatus.FAILED:
        assert decided.error is not None
        if own:
            return await checkout.card_failed(ctx, state, decided.error)
        raise decided.error
    if status is PendingStatus.EXPIRED:
        if own:
            return await checkout.card_expired(ctx, state)
        return _say(ctx, state, decision_text("expired", ctx.lang))
    if status is PendingStatus.SUPERSEDED:
        return _say(ctx, state, decision_text("superseded", ctx.lang))
    # cancelled: the customer said no, or asked to change something
    if decided.tool == "place_order":
        if own:
            if decision is Decision.CHANGE:
                return await checkout.edit(ctx, state)
            return await checkout.cancel(ctx, state)
        key = "change_place_order" if decision is Decision.CHANGE else "declined_place_order"
        return _say(ctx, state, decision_text(key, ctx.lang))
    if decided.tool == "cancel_order":
        order_id = int(decided.args.get("order_id") or 0)
        order = await ctx.shop.get_order(order_id=order_id)
        return await orders.show(
            ctx,
            state,
            order_id,
            decision_text("declined_cancel_order", ctx.lang, order=order.number),
        )
    return _say(ctx, state, decision_text("declined_generic", ctx.lang))


async def _done(ctx: FlowContext, state: FlowState, decided: Decided, *, own: bool) -> Outcome:
    result = decided.result
    if decided.tool == "place_order" and isinstance(result, OrderOut):
        return await checkout.placed(ctx, state, result, own=own)
    if decided.tool == "cancel_order" and isinstance(result, OrderOut):
        return await orders.cancelled(ctx, state, result)
    return _say(ctx, state, decision_text("done_generic", ctx.lang))


def _say(ctx: FlowContext, state: FlowState, text: str) -> Outcome:
    state = state.reset_step()
    return Outcome(state, [Reply(text=text, buttons=menu_buttons(ctx.lang, state))])

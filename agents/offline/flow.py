"""The offline flow's entry point: a pressed button or typed text in, replies and state out.

Buttons are dispatched by their payload; typed text first answers the question the flow is
waiting on (a quantity, a phone number...), then is read as a command word ("giỏ hàng",
"menu", an order number), and otherwise searched as product words. Anything the flow cannot
place ends at the menu, never at an error.
"""

from __future__ import annotations

import logging

from agents.offline import browse, buttons, cart, checkout, decisions, lookup, orders, quantity
from agents.offline.context import FlowContext, Outcome
from agents.offline.messages import Lang, error_text
from agents.offline.render import menu, menu_buttons, welcome
from agents.offline.state import (
    FlowState,
    intent_of,
    order_number_in,
)
from agents.types import Reply
from core.cards import Decision
from core.errors import DomainError
from tools.pending import Decided

log = logging.getLogger("shopbot.agents.offline")


def refusal(ctx: FlowContext, state: FlowState, err: DomainError) -> Outcome:
    """A tool's refusal in the customer's words. The question the flow was waiting on is
    dropped: otherwise every next typed text would be read as the same refused answer."""
    log.info("offline flow refused: %s %s", err.code, err.message)
    state = state.reset_step()
    return Outcome(
        state,
        [
            Reply(
                text=error_text(ctx.lang, err.code, type(err).__name__),
                buttons=menu_buttons(ctx.lang, state),
            )
        ],
    )


class OfflineFlow:
    """Stateless itself: the state comes in and goes out with every turn."""

    async def handle(
        self,
        ctx: FlowContext,
        state: FlowState,
        *,
        text: str | None = None,
        payload: str | None = None,
    ) -> Outcome:
        try:
            if payload:
                return await self.on_payload(ctx, state, payload.strip())
            return await self.on_text(ctx, state, (text or "").strip())
        except DomainError as err:
            return refusal(ctx, state, err)

    # --- buttons ----------------------------------------------------------------------------

    async def on_payload(self, ctx: FlowContext, state: FlowState, payload: str) -> Outcome:
        return await buttons.press(ctx, state, payload)

    # --- typed text -------------------------------------------------------------------------

    async def on_text(self, ctx: FlowContext, state: FlowState, text: str) -> Outcome:
        if not text:
            return Outcome(state, [welcome(ctx.lang, state, ctx.shop_name)])
        answered = await self.answer(ctx, state, text)
        if answered is not None:
            return answered
        number = order_number_in(text)
        if number is not None:
            return await lookup.by_number(ctx, state, text, number)
        return await browse.search(ctx, state, text)

    async def answer(self, ctx: FlowContext, state: FlowState, text: str) -> Outcome | None:
        """A command word ("giỏ hàng", "menu"), or the answer to the question the flow is
        waiting on; None when the text is neither (then it is searched, or the LLM reads it)."""
        try:
            return await self._answer(ctx, state, text)
        except DomainError as err:
            return refusal(ctx, state, err)

    async def _answer(self, ctx: FlowContext, state: FlowState, text: str) -> Outcome | None:
        intent = intent_of(text)
        if intent is not None:
            return await self.on_intent(ctx, state.reset_step(), intent)
        step = state.step
        if step == "search":
            return await browse.search(ctx, state, text)
        if step == "qty":
            return await quantity.typed(ctx, state, text)
        if step == "cart_qty":
            return await cart.typed_line_quantity(ctx, state, text)
        if step == "return_reason":
            return await orders.typed_reason(ctx, state, text)
        if step == "lookup_phone":
            return await lookup.typed_phone(ctx, state, text)
        if step.startswith("co_"):
            return await checkout.typed(ctx, state, text)
        return None

    async def on_intent(self, ctx: FlowContext, state: FlowState, intent: str) -> Outcome:
        if intent == "greeting":
            return Outcome(state, [welcome(ctx.lang, state, ctx.shop_name)])
        if intent == "cart":
            return await cart.show_cart(ctx, state)
        if intent == "orders":
            return await orders.list_recent(ctx, state)
        if intent == "staff":
            return self.handoff(ctx, state)
        if intent == "categories":
            return await browse.show_categories(ctx, state)
        if intent == "checkout":
            return await checkout.start(ctx, state)
        return Outcome(state, [menu(ctx.lang, state)])

    # --- what the customer decided on a confirmation card ------------------------------------

    async def on_card(
        self, ctx: FlowContext, state: FlowState, decided: Decided, decision: Decision
    ) -> Outcome:
        """Says what became of a card, for this flow's cards and the LLM agent's alike (the
        flow knows its own by the token it keeps, and tidies its checkout)."""
        return await decisions.on_card(ctx, state, decided, decision)

    # --- switching language, handing off ----------------------------------------------------

    def switch_language(self, ctx: FlowContext, state: FlowState, lang: Lang) -> Outcome:
        return buttons.switch_language(ctx, state, lang)

    def handoff(self, ctx: FlowContext, state: FlowState) -> Outcome:
        return buttons.handoff(ctx, state)

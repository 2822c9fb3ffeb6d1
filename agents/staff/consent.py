"""Confirmation cards on the staff desk: what the staff agent proposed, shown with Confirm and
Cancel, and the staff member's press on them.

The card is the registry's (tools/pending.py), rendered by code from the pending action's
exact arguments (agents/cards.py); its buttons carry the customer flow's card payloads
(``pa:<token>:<y|n>``, within Telegram's 64 bytes). A press is answered by
``ToolRunner.decide`` as the staff member who pressed it: Confirm runs the stored call once
(a double press gets the first result), Cancel runs nothing, and a card proposed to someone
else is unknown to them. No model is asked anything on the way.
"""

from __future__ import annotations

from pydantic import BaseModel

from agents.cards import card_buttons, card_text, decision_text
from agents.staff.cards import CardButton
from agents.staff.labels import Lang
from core.cards import ConfirmationCard, Decision
from tools.pending import Decided, PendingStatus

# The answers a staff member gives a card: "Change" is the customer's; staff type again.
STAFF_DECISIONS = frozenset({Decision.CONFIRM, Decision.CANCEL})


class ConfirmCard(BaseModel):
    """A proposed action as a surface shows it: the card's text and its two buttons."""

    token: str
    tool: str
    text: str
    buttons: list[CardButton]


def confirm_card(card: ConfirmationCard, lang: Lang, timezone: str) -> ConfirmCard:
    buttons = [
        CardButton(label=b.title, payload=b.payload)
        for b in card_buttons(card, lang)
        if Decision(b.payload.rsplit(":", 1)[1]) in STAFF_DECISIONS
    ]
    return ConfirmCard(
        token=card.token, tool=card.tool, text=card_text(card, lang, timezone), buttons=buttons
    )


def outcome_text(decided: Decided, lang: Lang) -> str:
    """What the staff member is told after pressing a card's button."""
    if decided.status is PendingStatus.DONE:
        return decision_text("done_generic", lang)
    if decided.status is PendingStatus.FAILED and decided.error is not None:
        return decided.error.message
    key = {
        PendingStatus.EXPIRED: "expired",
        PendingStatus.SUPERSEDED: "superseded",
    }.get(decided.status, "declined_generic")
    return decision_text(key, lang)

"""What the agent remembers between a customer's messages: the amounts it may repeat.

The reply check (agents/llm/reply_check.py) lets the model's text state only amounts of money
that tools returned in this conversation or that a card showed. A quote from two turns ago is
still something the customer may ask about ("so 450k including shipping?"), so those amounts
are kept in the conversation's row (``TurnContext.memory`` in, ``AgentTurn.memory`` out; the
conversation service stores it), bounded, newest kept. Nothing else the model produced is
remembered: what runs on a yes is the pending action the card was rendered from, stored by
the runner, not anything in this memory.

Unreadable stored memory (an older format, a hand-edited row) counts as empty, never as an
error in the chat.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

KEY = "amounts"
MAX_AMOUNTS = 200


def recall_amounts(memory: dict[str, Any]) -> list[int]:
    """The amounts stated by tools and cards earlier in this conversation."""
    items = memory.get(KEY)
    if not isinstance(items, list):
        return []
    return [a for a in items if isinstance(a, int) and not isinstance(a, bool)]


def remember_amounts(memory: dict[str, Any], amounts: Iterable[int]) -> dict[str, Any]:
    """The memory to store after a turn: earlier amounts plus this turn's, newest kept."""
    merged = list(dict.fromkeys([*recall_amounts(memory), *sorted(set(amounts))]))
    return {**memory, KEY: merged[-MAX_AMOUNTS:]}

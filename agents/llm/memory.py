"""What the agent remembers between a customer's messages: the quote it last showed them.

The conversation history the channel passes in is text only, but placing an order needs the
quote token from the quote_order result shown in an earlier turn, and the confirmation guard
needs to know which quote the customer was shown before saying yes. That one quote is kept in
the conversation's row (``TurnContext.memory`` in, ``AgentTurn.memory`` out; the conversation
service stores it), so a restart or another worker process carries on the same chat.

A quote shown more than ``QUOTE_MEMORY_SECONDS`` ago is forgotten: a "yes" hours later is not
a confirmation of that summary. A miss is safe either way: the guard refuses place_order and
the model quotes again, showing the customer a fresh summary. Unreadable stored memory (an
older format, a hand-edited row) counts as a miss, never as an error in the chat.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

QUOTE_MEMORY_SECONDS = 6 * 3600
KEY = "quote"


@dataclass(frozen=True)
class ShownQuote:
    token: str
    summary: str  # the quote_order result as the model saw it (compact JSON)


def recall_quote(
    memory: dict[str, Any], *, now: float | None = None, ttl: float = QUOTE_MEMORY_SECONDS
) -> ShownQuote | None:
    """The quote shown to the customer in an earlier turn, if it is recent enough."""
    item = memory.get(KEY)
    if not isinstance(item, dict):
        return None
    token, summary, at = item.get("token"), item.get("summary"), item.get("at")
    if not (isinstance(token, str) and isinstance(summary, str) and isinstance(at, int | float)):
        return None
    if (time.time() if now is None else now) - at > ttl:
        return None
    return ShownQuote(token=token, summary=summary)


def remember_quote(quote: ShownQuote, *, now: float | None = None) -> dict[str, Any]:
    """The memory to store after a turn that showed ``quote``."""
    at = time.time() if now is None else now
    return {KEY: {"token": quote.token, "summary": quote.summary, "at": at}}


def forget_quote() -> dict[str, Any]:
    """The memory to store after the order was placed: nothing left to confirm."""
    return {}

"""What the agent remembers between a customer's messages: the quote it last showed them.

The conversation history the channel passes in is text only, but placing an order needs the
quote token from the quote_order result shown in an earlier turn, and the confirmation guard
needs to know which quote the customer was shown before saying yes. This store keeps that one
quote per conversation.

``InMemoryQuoteMemory`` is bounded (LRU) and forgets after a while; it lives in the process
that owns the responder. A miss (restart, another worker, expiry) is safe: the guard refuses
place_order and the model quotes again, showing the customer a fresh summary.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ShownQuote:
    token: str
    summary: str  # the quote_order result as the model saw it (compact JSON)


class QuoteMemory(Protocol):
    def get(self, conversation_id: int) -> ShownQuote | None: ...
    def put(self, conversation_id: int, quote: ShownQuote) -> None: ...
    def forget(self, conversation_id: int) -> None: ...


class InMemoryQuoteMemory:
    def __init__(
        self,
        *,
        max_conversations: int = 10_000,
        ttl_seconds: float = 6 * 3600,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_conversations = max_conversations
        self.ttl = ttl_seconds
        self._clock = clock
        self._items: OrderedDict[int, tuple[float, ShownQuote]] = OrderedDict()

    def get(self, conversation_id: int) -> ShownQuote | None:
        item = self._items.get(conversation_id)
        if item is None:
            return None
        at, quote = item
        if self._clock() - at > self.ttl:
            del self._items[conversation_id]
            return None
        self._items.move_to_end(conversation_id)
        return quote

    def put(self, conversation_id: int, quote: ShownQuote) -> None:
        self._items[conversation_id] = (self._clock(), quote)
        self._items.move_to_end(conversation_id)
        while len(self._items) > self.max_conversations:
            self._items.popitem(last=False)

    def forget(self, conversation_id: int) -> None:
        self._items.pop(conversation_id, None)

"""Sending no faster than a platform allows: per chat and for all chats together."""

from __future__ import annotations

import asyncio
import time

_PRUNE_EVERY = 1024


class Pacer:
    """``await pacer.wait(chat)`` returns when one more message to ``chat`` is within both
    limits. Each chat's messages go out one at a time (its lane), so the per-chat slot is
    simply the previous one plus the interval; the overall rate is a lock held while the
    next global slot comes."""

    def __init__(self, per_chat_interval: float, per_second: float) -> None:
        self.per_chat_interval = per_chat_interval
        self.global_interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next_chat: dict[str, float] = {}
        self._next_global = 0.0
        self._lock = asyncio.Lock()
        self._count = 0

    async def wait(self, chat: str) -> None:
        now = time.monotonic()
        slot = self._next_chat.get(chat, now)
        if slot > now:
            await asyncio.sleep(slot - now)
        if self.global_interval:
            async with self._lock:
                now = time.monotonic()
                if self._next_global > now:
                    await asyncio.sleep(self._next_global - now)
                self._next_global = max(now, self._next_global) + self.global_interval
        self._next_chat[chat] = time.monotonic() + self.per_chat_interval
        self._prune()

    def try_take(self, chat: str) -> bool:
        """Takes the slot of a message to ``chat`` when both limits allow one now (what
        ``wait`` would return without waiting); False, and nothing taken, otherwise."""
        now = time.monotonic()
        if self._next_chat.get(chat, now) > now:
            return False
        if self.global_interval:
            if self._lock.locked() or self._next_global > now:
                return False  # others are queued for the overall rate, or it is used up
            self._next_global = now + self.global_interval
        self._next_chat[chat] = now + self.per_chat_interval
        self._prune()
        return True

    def hold(self, chat: str, seconds: float) -> None:
        """The platform said wait (429 retry_after): nothing more to this chat until then."""
        self._next_chat[chat] = max(self._next_chat.get(chat, 0.0), time.monotonic() + seconds)

    def _prune(self) -> None:
        self._count += 1
        if self._count % _PRUNE_EVERY:
            return
        now = time.monotonic()
        for chat in [c for c, t in self._next_chat.items() if t < now]:
            del self._next_chat[chat]

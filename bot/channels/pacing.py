"""Sending no faster than a platform allows: per chat and for all chats together."""

from __future__ import annotations

import asyncio
import collections
import time

_PRUNE_EVERY = 1024


class Pacer:
    """``await pacer.wait(chat)`` returns when one more message to ``chat`` is within both
    limits. Each chat's messages go out one at a time (its lane), so the per-chat slot is
    simply the previous one plus the interval.

    The overall limit is a count per window (Telegram's "30 messages per second": at most 30
    sends in any second), not an even spacing: spacing sends 1/30 s apart made a reply wait
    up to 33 ms whenever another chat's reply had just gone, while the platform counts
    messages per second and accepts a burst within the count. The send times of the last
    window are kept; a send waits only when the window is full."""

    def __init__(self, per_chat_interval: float, per_second: float, *, window: float = 1.0) -> None:
        self.per_chat_interval = per_chat_interval
        self.window = window
        # Sends allowed in any ``window`` seconds (0: no overall limit).
        self.per_window = max(1, round(per_second * window)) if per_second > 0 else 0
        self._next_chat: dict[str, float] = {}
        self._recent: collections.deque[float] = collections.deque()
        self._lock = asyncio.Lock()  # waiters for the overall limit go in turn
        self._count = 0

    async def wait(self, chat: str) -> None:
        now = time.monotonic()
        slot = self._next_chat.get(chat, now)
        if slot > now:
            await asyncio.sleep(slot - now)
        if self.per_window:
            async with self._lock:
                # Nobody else takes a slot meanwhile (try_take refuses while this is held),
                # so once the oldest send has left the window there is room.
                pause = self._overall_wait(time.monotonic())
                if pause > 0:
                    await asyncio.sleep(pause)
                    self._recent.popleft()
                self._recent.append(time.monotonic())
        self._next_chat[chat] = time.monotonic() + self.per_chat_interval
        self._prune()

    def try_take(self, chat: str) -> bool:
        """Takes the slot of a message to ``chat`` when both limits allow one now (what
        ``wait`` would return without waiting); False, and nothing taken, otherwise."""
        now = time.monotonic()
        if self._next_chat.get(chat, now) > now:
            return False
        if self.per_window:
            if self._lock.locked() or self._overall_wait(now) > 0:
                return False  # others are queued for the overall limit, or it is used up
            self._recent.append(now)
        self._next_chat[chat] = now + self.per_chat_interval
        self._prune()
        return True

    def hold(self, chat: str, seconds: float) -> None:
        """The platform said wait (429 retry_after): nothing more to this chat until then."""
        self._next_chat[chat] = max(self._next_chat.get(chat, 0.0), time.monotonic() + seconds)

    def _overall_wait(self, now: float) -> float:
        """Seconds until one more send fits in the overall window (0: it fits now)."""
        recent = self._recent
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if len(recent) < self.per_window:
            return 0.0
        return recent[0] + self.window - now

    def _prune(self) -> None:
        self._count += 1
        if self._count % _PRUNE_EVERY:
            return
        now = time.monotonic()
        for chat in [c for c, t in self._next_chat.items() if t < now]:
            del self._next_chat[chat]

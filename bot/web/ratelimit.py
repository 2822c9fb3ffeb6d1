"""A per-session token bucket, bounded in memory.

Modest on purpose: a person tapping buttons quickly stays well inside it; a script hammering
one session does not. Per process, like the chat locks; a shared limiter (Redis) comes with
multi-process deployment.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self,
        *,
        burst: int = 20,
        per_minute: float = 30.0,
        max_keys: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst
        self.rate = per_minute / 60.0  # tokens per second
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at

    def allow(self, key: str) -> bool:
        """Takes a token for ``key``; False when its bucket is empty."""
        now = self.clock()
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed

    def retry_after(self, key: str) -> int:
        """Whole seconds until the next token."""
        tokens, _ = self._buckets.get(key, (float(self.burst), 0.0))
        missing = max(0.0, 1.0 - tokens)
        return max(1, int(missing / self.rate + 0.999)) if self.rate > 0 else 60

"""Bearer API key → staff actor, remembered for a few seconds.

Looking the key up costs a read transaction, and every API call carries the key: with 50
clients that was a second transaction per call. A valid key's actor is kept for
``KEY_CACHE_SECONDS``, so a key revoked or a staff member removed from *another* process (the
CLI, a second server) is refused at most that long after; in this process a committed
``revoke_api_key`` or ``remove_staff`` forgets every remembered key at once. Refusals are never
remembered: a key made a moment ago works on its first call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from core.roles import Actor
from storage.database import Database
from tools.registry import Tool
from tools.staff import actor_for_api_key, hash_key

KEY_CACHE_SECONDS = 5.0

# Tools whose commit may end a key's access (the key, or the staff member behind it). A test
# checks they exist, so a rename cannot silently turn this into a no-op.
ACCESS_TOOLS = frozenset({"revoke_api_key", "remove_staff"})

# The security scheme in the OpenAPI document (the routes read the header with ``bearer_key``).
bearer_scheme = HTTPBearer(
    auto_error=False, description="A staff API key (`shopbot staff add-key`)"
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def bearer_key(authorization: str | None) -> str | None:
    """The credentials of an ``Authorization: Bearer ...`` header, as FastAPI's HTTPBearer
    reads them (scheme case-insensitive); None for a missing header or another scheme."""
    scheme, credentials = get_authorization_scheme_param(authorization)
    if not (scheme and credentials) or scheme.lower() != "bearer":
        return None
    return credentials


class KeyCache:
    def __init__(
        self,
        db: Database,
        *,
        ttl: float = KEY_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.ttl = ttl
        self.clock = clock
        # Keyed by the key's hash: the plain keys are not kept beyond the request.
        self._actors: dict[str, tuple[Actor, float]] = {}

    async def actor(self, key: str | None) -> Actor:
        """The staff actor behind ``key``; ``Unauthenticated`` (401) for a missing, unknown or
        revoked key, or one of an inactive staff member."""
        if not key:
            return await actor_for_api_key(self.db, key)  # raises, in the one refusal shape
        digest = hash_key(key)
        now = self.clock()
        found = self._actors.get(digest)
        if found is not None and found[1] > now:
            return found[0]
        actor = await actor_for_api_key(self.db, key)
        self._actors[digest] = (actor, now + self.ttl)
        return actor

    def forget_all(self) -> None:
        self._actors.clear()

    def tool_committed(self, t: Tool[Any, Any]) -> None:
        """Runner hook: a committed access change is effective at once in this process."""
        if t.name in ACCESS_TOOLS:
            self.forget_all()

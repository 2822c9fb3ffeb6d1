"""The HTTP client every outbound platform client uses: httpx's API over aiohttp's connections.

httpx stays the API our clients are written against (requests, responses, its exceptions), but
its default transport (httpcore on anyio) costs ~2.1 ms of CPU per request against a local
server, aiohttp's ~0.45 ms (docs/benchmarks.md, "Outbound HTTP"). A customer's turn sends one
or two requests to its platform (the typing indicator, the answer) and carriers, e-invoices and
marketplaces will send more, so the transport is most of what a turn costs after the model
call. ``httpx-aiohttp`` (by an httpx maintainer, the transport the OpenAI SDK ships for the same
reason) maps aiohttp's failures to httpx's exceptions, so ``httpx.TransportError`` still means
"unreachable, try later" to the callers.
"""

from __future__ import annotations

import httpx
from httpx_aiohttp import AiohttpTransport

DEFAULT_TIMEOUT = 15.0
MAX_CONNECTIONS = 100  # per client; a platform's own limits are paced above this (send queues)


def outbound_client(
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
    keepalive_expiry: float = 5.0,
    base_url: str = "",
) -> httpx.AsyncClient:
    """A client for one platform's API. Its aiohttp session is made on the first request, so
    this can be called outside an event loop; ``aclose()`` closes it. ``keepalive_expiry``:
    how long an idle connection is kept (below the server's own idle timeout, or a request
    may go out on a connection the server is closing)."""
    limits = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=20,
        keepalive_expiry=keepalive_expiry,
    )
    return httpx.AsyncClient(
        base_url=base_url, timeout=timeout, limits=limits, transport=AiohttpTransport(limits=limits)
    )

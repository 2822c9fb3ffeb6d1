"""What the httpx-based platforms (Messenger, Zalo OA) share: one request with the failures
that call for another try turned into ``RetryLater``."""

from __future__ import annotations

from typing import Any

import httpx

from bot.channels.base import RetryLater


async def post(http: httpx.AsyncClient, platform: str, url: str, **kwargs: Any) -> httpx.Response:
    """The response, unless the platform is unreachable, overloaded (5xx) or throttling
    (429): those raise RetryLater with the server's Retry-After."""
    try:
        resp = await http.post(url, **kwargs)
    except httpx.TransportError as exc:
        raise RetryLater(0.0, f"{platform} unreachable: {type(exc).__name__}") from None
    if resp.status_code == 429 or resp.status_code >= 500:
        raise RetryLater(retry_after(resp), f"{platform} {resp.status_code}")
    return resp


def retry_after(resp: httpx.Response) -> float:
    try:
        return float(resp.headers.get("Retry-After") or 0)
    except ValueError:
        return 0.0

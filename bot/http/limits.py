"""Request size limit: a body over the limit is refused with 413 before it is read whole.

A declared ``Content-Length`` over the limit is refused at once, without reading anything; a
body without one (chunked) is counted as it streams in and refused at the chunk that crosses
the limit, so a large upload never sits in memory.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOO_LARGE = 413


def too_large_message(limit: int) -> str:
    return f"The request body is larger than {limit} bytes."


class BodyLimit:
    """``max_bytes`` for every path but those ``per_path`` names (an image upload carries a few
    megabytes of base64 where every other call needs a few kilobytes)."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, per_path: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = dict(per_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope.get("path", ""), self.max_bytes)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(send, limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # Raised where the app reads the body; FastAPI lets an HTTPException from
                    # the body read through, and the app's handler answers it.
                    raise HTTPException(TOO_LARGE, too_large_message(limit))
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, send: Send, limit: int) -> None:
        body = json.dumps(
            {
                "error": {
                    "code": "payload_too_large",
                    "message": too_large_message(limit),
                    "field": None,
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": TOO_LARGE,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

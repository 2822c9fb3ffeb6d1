"""A fake Zalo OA API (OA messages and the OAuth token endpoint): real HTTP, refusing what
Zalo refuses.

* ``POST /v4/oa/access_token``: the ``secret_key`` header must be the app secret; the refresh
  token is single use (each refresh returns a new one and the old one stops working).
* ``POST /v3.0/oa/message/cs``: the ``access_token`` header must be the current, unexpired
  token (else error -216, as Zalo answers, with HTTP 200); recipient.user_id required; text up
  to 2000 characters; up to 5 buttons and 5 list elements; and the interaction window: the
  user wrote in the last 48 hours (a test says when, ``user_wrote``) and fewer than 8 messages
  went out since.
Errors are Zalo's shape: ``{"error": <negative int>, "message": ...}``.
"""

from __future__ import annotations

import argparse
import secrets
import time
from typing import Any

from aiohttp import web

from tests.fakes.platform import FakePlatform

WINDOW = 48 * 3600
WINDOW_MESSAGES = 8


class FakeZalo(FakePlatform):
    def __init__(
        self, *, app_id: str, app_secret: str, refresh_token: str, expires_in: int = 90000
    ) -> None:
        super().__init__()
        self.app_id = app_id
        self.app_secret = app_secret
        self.refresh_token = refresh_token
        self.expires_in = expires_in
        self.access_token = ""
        self.access_expires = 0.0
        self.refreshes = 0
        self.last_wrote: dict[str, float] = {}
        self.sent_since: dict[str, int] = {}
        self._mid = 0

    def user_wrote(self, user_id: str, at: float | None = None) -> None:
        self.last_wrote[user_id] = time.time() if at is None else at
        self.sent_since[user_id] = 0

    def text_of(self, body: dict[str, Any]) -> str:
        return str((body.get("message") or {}).get("text") or "")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v4/oa/access_token", self._token)
        app.router.add_post("/v3.0/oa/message/cs", self._cs)
        return app

    async def _token(self, request: web.Request) -> web.Response:
        if request.headers.get("secret_key") != self.app_secret:
            return web.json_response({"error": -14002, "error_name": "Invalid secret key"})
        form = await request.post()
        if form.get("app_id") != self.app_id:
            return web.json_response({"error": -14001, "error_name": "Invalid app id"})
        if form.get("grant_type") != "refresh_token" or not form.get("refresh_token"):
            return web.json_response({"error": -14003, "error_name": "Invalid grant"})
        if form.get("refresh_token") != self.refresh_token:
            return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
        self.refreshes += 1
        self.refresh_token = secrets.token_urlsafe(16)
        self.access_token = secrets.token_urlsafe(16)
        self.access_expires = time.time() + self.expires_in
        return web.json_response(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_in": str(self.expires_in),
            }
        )

    async def _cs(self, request: web.Request) -> web.Response:
        token = request.headers.get("access_token")
        if not token or token != self.access_token or time.time() >= self.access_expires:
            return _error(-216, "Access token is invalid")
        body = await request.json()
        user = str((body.get("recipient") or {}).get("user_id") or "")
        if not user:
            return _error(-201, "recipient.user_id is required")
        wrote = self.last_wrote.get(user)
        if wrote is None or time.time() - wrote > WINDOW:
            return _error(-213, "User has not interacted with the OA in the allowed time")
        if self.sent_since.get(user, 0) >= WINDOW_MESSAGES:
            return _error(-230, "Out of reply quota for this interaction")
        problem = _check(body.get("message") or {})
        if problem:
            return _error(-201, problem)
        if self.failures:
            return web.json_response(
                {"error": -32, "message": "server busy"}, status=self.failures.pop(0)
            )
        self.sent_since[user] = self.sent_since.get(user, 0) + 1
        self._mid += 1
        self.record(user, "cs", body)
        return web.json_response(
            {
                "error": 0,
                "message": "Success",
                "data": {"message_id": f"z{self._mid}", "user_id": user},
            }
        )


def _check(message: dict[str, Any]) -> str | None:
    text = message.get("text")
    attachment = message.get("attachment")
    if text is None and attachment is None:
        return "message needs text or an attachment"
    if text is not None and not 1 <= len(str(text)) <= 2000:
        return "text must be 1-2000 characters"
    payload = (attachment or {}).get("payload") or {}
    buttons = payload.get("buttons") or []
    if len(buttons) > 5:
        return "at most 5 buttons"
    for b in buttons:
        if not b.get("title") or b.get("type") not in (
            "oa.query.hide",
            "oa.query.show",
            "oa.open.url",
        ):
            return "a button needs a title and a known type"
        if b["type"].startswith("oa.query") and not 1 <= len(str(b.get("payload") or "")) <= 1000:
            return "a query button needs a payload of 1-1000 characters"
    elements = payload.get("elements") or []
    if payload.get("template_type") == "list":
        if not 1 <= len(elements) <= 5:
            return "a list has 1-5 elements"
        if not elements[0].get("subtitle"):
            return "the first element needs a subtitle"
        for e in elements:
            if not 1 <= len(e.get("title") or "") <= 100:
                return "element titles are 1-100 characters"
    return None


def _error(code: int, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message})


if __name__ == "__main__":
    from tests.fakes.platform import serve_main

    cli = argparse.ArgumentParser(description="The fake Zalo OA API in a process of its own.")
    cli.add_argument("--app-id", required=True)
    cli.add_argument("--app-secret", required=True)
    cli.add_argument("--refresh-token", required=True)
    serve_main(
        lambda a: FakeZalo(app_id=a.app_id, app_secret=a.app_secret, refresh_token=a.refresh_token),
        cli,
    )

"""A fake Messenger Send API (Graph API): real HTTP, refusing what Meta refuses.

It checks the Page access token (error 190), the body (recipient, a message or a sender
action, messaging_type, the tag outside the window), field limits (text 2000, up to 13 quick
replies with titles of 20 characters and payloads of 1000, generic templates of up to 10
elements with 80-character titles and up to 3 buttons), and the 24-hour window: a test tells
the fake when each user last wrote (``user_wrote``), as Meta knows it. Errors come in the
Graph envelope ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from aiohttp import web

from tests.fakes.platform import FakePlatform

VERSION = "v25.0"
TAGS = frozenset(
    {"CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE", "HUMAN_AGENT"}
)
DAY = 24 * 3600


class FakeGraph(FakePlatform):
    def __init__(self, page_token: str = "page-token-test", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.page_token = page_token
        self.last_wrote: dict[str, float] = {}  # psid -> epoch seconds
        self.actions: list[tuple[str, str]] = []
        self._mid = 0

    @property
    def api_base(self) -> str:
        return f"{self.url}/{VERSION}"

    def user_wrote(self, psid: str, at: float | None = None) -> None:
        self.last_wrote[psid] = time.time() if at is None else at

    def text_of(self, body: dict[str, Any]) -> str:
        return str((body.get("message") or {}).get("text") or "")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(f"/{VERSION}/me/messages", self._messages)
        return app

    async def _messages(self, request: web.Request) -> web.Response:
        if request.query.get("access_token") != self.page_token:
            return _error(400, "Invalid OAuth access token.", 190, kind="OAuthException")
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "Invalid JSON", 100)
        psid = str((body.get("recipient") or {}).get("id") or "")
        if not psid:
            return _error(400, "(#100) The parameter recipient is required", 100)
        if psid not in self.last_wrote:
            return _error(400, "(#100) No matching user found", 100, subcode=2018001)
        if "sender_action" in body:
            self.actions.append((psid, str(body["sender_action"])))
            return web.json_response({"recipient_id": psid})
        problem = self._check(body)
        if problem:
            return _error(400, problem, 100)
        outside = time.time() - self.last_wrote[psid] > DAY
        if outside and body.get("messaging_type") != "MESSAGE_TAG":
            return _error(
                400, "(#10) This message is sent outside of allowed window.", 10, subcode=2018278
            )
        if self.failures:
            status = self.failures.pop(0)
            return _error(status, "An unexpected error has occurred.", 2, kind="OAuthException")
        wait = self.too_fast(psid)
        if wait:
            return _error(400, "(#613) Calls to this api have exceeded the rate limit.", 613)
        self._mid += 1
        self.record(psid, "message", body)
        return web.json_response({"recipient_id": psid, "message_id": f"m_{self._mid}"})

    def _check(self, body: dict[str, Any]) -> str | None:
        kind = body.get("messaging_type")
        if kind not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return "(#100) messaging_type is required"
        if kind == "MESSAGE_TAG" and body.get("tag") not in TAGS:
            return "(#100) Tag is required for MESSAGE_TAG"
        msg = body.get("message")
        if not isinstance(msg, dict):
            return "(#100) The parameter message is required"
        if "text" in msg:
            if not str(msg["text"]).strip() or len(str(msg["text"])) > 2000:
                return "(#100) param message[text] must be non-empty UTF-8 encoded text"
        elif "attachment" not in msg:
            return "(#100) Must send either message text or an attachment"
        quick = msg.get("quick_replies") or []
        if len(quick) > 13:
            return "(#100) param message[quick_replies] has too many elements"
        for q in quick:
            if q.get("content_type") == "text" and not (1 <= len(q.get("title") or "") <= 20):
                return "(#100) Quick reply title must be 1-20 characters"
            if not 1 <= len(str(q.get("payload") or "")) <= 1000:
                return "(#100) Quick reply payload must be 1-1000 characters"
        payload = (msg.get("attachment") or {}).get("payload") or {}
        if payload.get("template_type") == "generic":
            elements = payload.get("elements") or []
            if not 1 <= len(elements) <= 10:
                return "(#100) Generic template needs 1-10 elements"
            for e in elements:
                if not 1 <= len(e.get("title") or "") <= 80 or len(e.get("subtitle") or "") > 80:
                    return "(#100) Element title must be 1-80 characters"
                buttons = e.get("buttons") or []
                if len(buttons) > 3:
                    return "(#100) An element has at most 3 buttons"
                for b in buttons:
                    if not 1 <= len(str(b.get("payload") or "")) <= 1000:
                        return "(#100) Postback payload must be 1-1000 characters"
        return None


def _error(
    status: int, message: str, code: int, *, kind: str = "OAuthException", subcode: int = 0
) -> web.Response:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "Afake"}
    if subcode:
        error["error_subcode"] = subcode
    return web.json_response({"error": error}, status=status)


if __name__ == "__main__":
    from tests.fakes.platform import serve_main

    cli = argparse.ArgumentParser(
        description="The fake Messenger Send API in a process of its own."
    )
    cli.add_argument("--page-token", default="page-token-test")
    serve_main(lambda a: FakeGraph(a.page_token), cli)

"""A fake Messenger Send API (Graph API): real HTTP, refusing what Meta refuses.

It checks the Page access token (error 190), the body (recipient, a message or a sender
action, messaging_type, the tag outside the window), field limits (text 2000, up to 13 quick
replies with titles of 20 characters and payloads of 1000, generic templates of up to 10
elements with 80-character titles and up to 3 buttons), attachments (by ``url``, by
``attachment_id``, or uploaded: a multipart form with ``recipient`` and ``message`` as JSON
fields and the file as ``filedata`` of the attachment's type, at most 25 MB; an upload is
recorded with ``filedata`` as its size, content type and whether it is a PNG), and the
24-hour window: a test tells
the fake when each user last wrote (``user_wrote``), as Meta knows it. Errors come in the
Graph envelope ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``.
"""

from __future__ import annotations

import argparse
import json
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
        upload: dict[str, Any] | None = None
        if request.content_type == "multipart/form-data":
            form = await request.post()
            try:
                body = {
                    k: json.loads(v) if k in ("recipient", "message") else v
                    for k, v in form.items()
                    if isinstance(v, str)
                }
            except ValueError:
                return _error(400, "(#100) recipient and message must be JSON", 100)
            file = form.get("filedata")
            if isinstance(file, web.FileField):
                data = file.file.read()
                upload = {
                    "size": len(data),
                    "content_type": file.content_type,
                    "png": data.startswith(b"\x89PNG"),
                }
        else:
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
        problem = self._check(body) or _check_attachment(body, upload)
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
        self.record(psid, "message", body if upload is None else {**body, "filedata": upload})
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


def _check_attachment(body: dict[str, Any], upload: dict[str, Any] | None) -> str | None:
    """An image, audio, video or file attachment comes from a URL, a saved attachment_id or
    the upload in the same request, of its own type; a template comes with nothing else."""
    attachment = (body.get("message") or {}).get("attachment")
    if not isinstance(attachment, dict):
        return "(#100) filedata without an attachment" if upload is not None else None
    kind = attachment.get("type")
    payload = attachment.get("payload") or {}
    if kind == "template":
        return "(#100) A template takes no filedata" if upload is not None else None
    if kind not in ("image", "audio", "video", "file"):
        return "(#100) param message[attachment][type] must be one of image, audio, video, file"
    sources = [payload.get("url"), payload.get("attachment_id"), upload]
    if sum(s is not None for s in sources) != 1:
        return "(#100) An attachment needs one of payload.url, payload.attachment_id or filedata"
    if upload is not None:
        if kind in ("image", "audio", "video") and not str(upload["content_type"]).startswith(
            f"{kind}/"
        ):
            return f"(#100) filedata must be of type {kind}"
        if upload["size"] > 25 * 1024 * 1024:
            return "(#100) filedata is larger than 25 MB"
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

"""A fake Telegram Bot API server: real HTTP, refusing what the real one refuses.

aiogram talks to it through ``TelegramAPIServer.from_base(fake.url)``. It checks the token in
the path (401), required fields, text (4096) and caption (1024) lengths, callback_data (1-64
bytes), and answers 429 with ``retry_after`` when one chat gets messages faster than its
limit. ``editMessageText`` / ``editMessageReplyMarkup`` change a message it sent (400 for a
message it never sent, and 400 "message is not modified" when nothing would change, as the
real one does); ``messages`` holds each message's current text and keyboard, ``answers``
each answered button press. ``getUpdates`` serves the updates a test queued (long polling),
``setWebhook`` records the URL and secret token. ``reply_markup`` is one of an inline keyboard,
a reply keyboard (``KeyboardButton`` rows: a text each, at most one ``request_*`` field, and
``request_contact`` true only in private chats), ``remove_keyboard: true`` or ``force_reply``;
edits take inline keyboards only. ``keyboards`` holds the reply keyboard each chat shows now
(until a message removes it). The envelope is the Bot API's:
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description", "parameters"}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import time
from typing import Any

from aiohttp import web

from tests.fakes.platform import FakePlatform

SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
SEND_METHODS = frozenset({"sendMessage", "sendPhoto"})
MARKUP_KINDS = frozenset({"inline_keyboard", "keyboard", "remove_keyboard", "force_reply"})
# KeyboardButton's optional fields, of which a button may use at most one
REQUESTS = frozenset(
    {"request_contact", "request_location", "request_poll", "request_users", "request_chat"}
    | {"web_app"}
)


class FakeTelegram(FakePlatform):
    def __init__(self, token: str = "123456:TEST-token", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.update_id = 1000
        self.webhook: dict[str, Any] = {}
        self.answered: list[str] = []
        self.answers: dict[str, dict[str, Any]] = {}  # callback query id -> the answer
        self.actions: list[tuple[str, str]] = []
        # A slow Bot API for chat actions: each is answered this long after it arrives, and
        # recorded (in ``actions`` and ``actions_done_at``) when it is answered.
        self.action_seconds = 0.0
        self.actions_done_at: list[float] = []
        # (chat, message id) -> the message as it is now: text and reply_markup
        self.messages: dict[tuple[str, int], dict[str, Any]] = {}
        self.edits: list[tuple[str, int]] = []
        self.keyboards: dict[str, dict[str, Any]] = {}  # chat -> the reply keyboard shown
        self._new_update = asyncio.Event()
        self._message_id = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        return app

    # --- what tests use ------------------------------------------------------------------

    def next_update_id(self) -> int:
        self.update_id += 1
        return self.update_id

    def queue_update(self, update: dict[str, Any]) -> None:
        """For long polling: the next getUpdates returns it."""
        self.updates.append(update)
        self._new_update.set()

    # --- the API -------------------------------------------------------------------------

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        params = await _params(request)
        method = request.match_info["method"]
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        if method in SEND_METHODS:
            if self.failures:
                status = self.failures.pop(0)
                return _error(status, "Internal Server Error" if status >= 500 else "Error")
            chat = str(params.get("chat_id", ""))
            wait = self.too_fast(chat) if chat else 0.0
            if wait:
                retry = max(1, math.ceil(wait))
                return _error(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        result: Any = await handler(params)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    async def _m_getMe(self, _p: dict[str, Any]) -> Any:
        return {"id": 123456, "is_bot": True, "first_name": "Shop", "username": "shop_test_bot"}

    async def _m_setWebhook(self, p: dict[str, Any]) -> Any:
        if not p.get("url"):
            return _error(400, "Bad Request: bad webhook: URL is empty")
        secret = p.get("secret_token")
        if secret is not None and not SECRET.match(str(secret)):
            return _error(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": p["url"], "secret_token": secret}
        return True

    async def _m_deleteWebhook(self, _p: dict[str, Any]) -> Any:
        self.webhook = {}
        return True

    async def _m_getUpdates(self, p: dict[str, Any]) -> Any:
        if self.webhook:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(p.get("offset") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            self._new_update.clear()
            timeout = min(float(p.get("timeout") or 0), 5.0)
            if timeout:
                try:
                    await asyncio.wait_for(self._new_update.wait(), timeout)
                except TimeoutError:
                    return []
        return list(self.updates)

    async def _m_sendChatAction(self, p: dict[str, Any]) -> Any:
        if not p.get("chat_id") or not p.get("action"):
            return _error(400, "Bad Request: chat_id and action are required")
        if self.action_seconds:
            await asyncio.sleep(self.action_seconds)
        self.actions.append((str(p["chat_id"]), str(p["action"])))
        self.actions_done_at.append(time.monotonic())
        return True

    async def _m_answerCallbackQuery(self, p: dict[str, Any]) -> Any:
        if not p.get("callback_query_id"):
            return _error(400, "Bad Request: query is required")
        if len(str(p.get("text") or "")) > 200:
            return _error(400, "Bad Request: text is too long")
        self.answered.append(str(p["callback_query_id"]))
        # form fields arrive as text: keep show_alert as the boolean it stands for
        alert = str(p.get("show_alert", "false")).lower() in ("true", "1")
        self.answers[str(p["callback_query_id"])] = {**p, "show_alert": alert}
        return True

    async def _m_sendMessage(self, p: dict[str, Any]) -> Any:
        text = str(p.get("text") or "")
        if not p.get("chat_id"):
            return _error(400, "Bad Request: chat_id is empty")
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _error(400, "Bad Request: message is too long")
        return self._sent("sendMessage", p) or self._message(p, text=text)

    async def _m_sendPhoto(self, p: dict[str, Any]) -> Any:
        if not p.get("chat_id"):
            return _error(400, "Bad Request: chat_id is empty")
        photo = p.get("photo")
        if isinstance(photo, str) and photo.startswith("attach://"):
            uploaded = p.pop(photo.removeprefix("attach://"), None)
            if not isinstance(uploaded, bytes) or not uploaded.startswith(b"\x89PNG"):
                return _error(400, "Bad Request: wrong file identifier/HTTP URL specified")
            p["photo"] = uploaded
        if not p.get("photo"):
            return _error(400, "Bad Request: there is no photo in the request")
        if len(str(p.get("caption") or "")) > 1024:
            return _error(400, "Bad Request: message caption is too long")
        return self._sent("sendPhoto", p) or self._message(p, caption=p.get("caption"))

    async def _m_editMessageText(self, p: dict[str, Any]) -> Any:
        text = str(p.get("text") or "")
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _error(400, "Bad Request: message is too long")
        return self._edit(p, {"text": text, "reply_markup": p.get("reply_markup")})

    async def _m_editMessageReplyMarkup(self, p: dict[str, Any]) -> Any:
        return self._edit(p, {"reply_markup": p.get("reply_markup")})

    def _edit(self, p: dict[str, Any], change: dict[str, Any]) -> Any:
        if not p.get("chat_id") or not p.get("message_id"):
            return _error(400, "Bad Request: message identifier is not specified")
        key = (str(p["chat_id"]), int(p["message_id"]))
        current = self.messages.get(key)
        if current is None:
            return _error(400, "Bad Request: message to edit not found")
        markup = change.get("reply_markup")
        if markup is not None and "inline_keyboard" not in markup:
            return _error(400, "Bad Request: inline keyboard expected")
        bad = self._bad_markup(markup)
        if bad is not None:
            return bad
        if all(current.get(k) == v for k, v in change.items()):
            return _error(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        current.update(change)
        self.edits.append(key)
        return {
            "message_id": key[1],
            "date": int(time.time()),
            "chat": {"id": int(key[0]), "type": "private"},
            "text": current.get("text"),
        }

    @staticmethod
    def _bad_markup(markup: Any, *, private: bool = True) -> web.Response | None:
        if markup is None:
            return None
        if not isinstance(markup, dict) or len(MARKUP_KINDS & markup.keys()) != 1:
            return _error(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "remove_keyboard" in markup and markup["remove_keyboard"] is not True:
            return _error(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "keyboard" in markup:
            return _bad_reply_keyboard(markup["keyboard"], private=private)
        for row in markup.get("inline_keyboard", []):
            for b in row:
                data = b.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    return _error(400, "Bad Request: BUTTON_DATA_INVALID")
                if not b.get("text"):
                    return _error(400, "Bad Request: text buttons are unallowed")
        return None

    def _sent(self, method: str, p: dict[str, Any]) -> web.Response | None:
        markup = p.get("reply_markup")
        chat = str(p["chat_id"])
        bad = self._bad_markup(markup, private=not chat.startswith("-"))
        if bad is not None:
            return bad
        if markup and "keyboard" in markup:
            self.keyboards[chat] = markup
        elif markup and "remove_keyboard" in markup:
            self.keyboards.pop(chat, None)
        body = {k: v for k, v in p.items() if k != "photo" or isinstance(v, str)}
        if "photo" in p and not isinstance(p["photo"], str):
            body["photo"] = "<upload>"
        self.record(str(p["chat_id"]), method, body)
        return None

    def _message(self, p: dict[str, Any], **fields: Any) -> dict[str, Any]:
        self._message_id += 1
        self.messages[(str(p["chat_id"]), self._message_id)] = {
            "text": fields.get("text"),
            "reply_markup": p.get("reply_markup"),
        }
        return {
            "message_id": self._message_id,
            "date": int(time.time()),
            "chat": {"id": int(p["chat_id"]), "type": "private"},
            **{k: v for k, v in fields.items() if v is not None},
        }


def _bad_reply_keyboard(rows: Any, *, private: bool) -> web.Response | None:
    """ReplyKeyboardMarkup.keyboard: rows of KeyboardButton objects (or plain strings)."""
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
        return _error(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in rows:
        for b in row:
            if isinstance(b, str):
                b = {"text": b}
            if not isinstance(b, dict) or not str(b.get("text") or "").strip():
                return _error(400, "Bad Request: text buttons are unallowed")
            if len(REQUESTS & b.keys()) > 1:
                return _error(400, "Bad Request: can't parse keyboard button")
            if "request_contact" in b:
                if b["request_contact"] is not True:
                    return _error(400, "Bad Request: can't parse keyboard button")
                if not private:
                    return _error(
                        400, "Bad Request: phone number can be requested in private chats only"
                    )
    return None


async def _params(request: web.Request) -> dict[str, Any]:
    """JSON, urlencoded or multipart (aiogram sends multipart, complex fields as JSON)."""
    if request.content_type == "application/json":
        return dict(await request.json())
    out: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                out[key] = value.file.read()
                continue
            text = str(value)
            if key in ("reply_markup", "allowed_updates") and text:
                out[key] = json.loads(text)
            else:
                out[key] = text
    return out


def _error(status: int, description: str, *, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


if __name__ == "__main__":
    from tests.fakes.platform import serve_main

    cli = argparse.ArgumentParser(description="The fake Telegram Bot API in a process of its own.")
    cli.add_argument("--token", default="123456:TEST-token")
    cli.add_argument("--per-chat-interval", type=float, default=0.0)
    serve_main(lambda a: FakeTelegram(a.token, per_chat_interval=a.per_chat_interval), cli)

"""Zalo Official Account (OA API v3 over httpx).

Deliveries carry ``X-ZEvent-Signature: mac=SHA256(app_id + raw body + timestamp + OA secret
key)`` (plain SHA-256 of the concatenation, app_id and timestamp read from the body). Replies
go to ``/v3.0/oa/message/cs`` with the OA access token in an ``access_token`` header
(bot/channels/zalo_tokens.py keeps it fresh). Buttons are ``oa.query.hide`` buttons: a press
comes back as the customer's text, so every payload is sent as a short ``~token`` that the
channel recognises. Product cards are a list template (up to 5 elements).

The OA may write to a customer for 48 hours after their last message, up to 8 messages;
beyond that only paid, template-based ZNS messages are allowed, so an order update outside
the window is recorded as skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from agents.types import Attachment, Button, Incoming, Reply
from bot.channels.base import (
    Body,
    Channel,
    ChannelError,
    Encoder,
    Inbound,
    Limits,
    Window,
    split_text,
)
from bot.channels.http import post
from bot.channels.payloads import MARK
from bot.channels.qr import qr_image_url
from bot.channels.zalo_tokens import ZaloTokens

log = logging.getLogger("shopbot.channels.zalo")

TEXT_LIMIT = 2000
BUTTONS = 5
ELEMENTS = 5
TITLE = 100
SIGNATURE_HEADER = "X-ZEvent-Signature"
WINDOW = timedelta(hours=48)
WINDOW_MESSAGES = 8
TOKEN_EXPIRED = -216
MORE = "⋯"
# Zalo publishes no per-second figure for OA messages; kept modest.
LIMITS = Limits(per_chat_interval=0.2, per_second=50.0, payload_bytes=1000)
EVENTS = frozenset({"user_send_text", "user_send_image", "user_send_location", "user_send_link"})


def zalo_signature(app_id: str, raw: bytes, timestamp: str, oa_secret_key: str) -> str:
    digest = hashlib.sha256(
        app_id.encode() + raw + timestamp.encode() + oa_secret_key.encode()
    ).hexdigest()
    return f"mac={digest}"


class ZaloChannel(Channel):
    name = "zalo"
    webhook_path = "/webhooks/zalo"
    payloads_as_tokens = True

    def __init__(
        self,
        *,
        api_base: str,
        app_id: str,
        oa_secret_key: str,
        tokens: ZaloTokens,
        public_url: str | None = None,
        limits: Limits = LIMITS,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.app_id = app_id
        self.oa_secret_key = oa_secret_key
        self.tokens = tokens
        self.public_url = public_url
        self.limits = limits
        self.http = http or tokens.http

    async def close(self) -> None:
        await self.http.aclose()

    # --- in ----------------------------------------------------------------------------

    def verify(self, headers: Any, raw: bytes) -> bool:
        given = headers.get(SIGNATURE_HEADER) or ""
        try:
            body = json.loads(raw)
        except ValueError:
            return False
        if not isinstance(body, dict) or str(body.get("app_id") or "") != self.app_id:
            return False
        expected = zalo_signature(
            self.app_id, raw, str(body.get("timestamp") or ""), self.oa_secret_key
        )
        return hmac.compare_digest(given.lower().encode(), expected.encode())

    async def parse(self, update: dict[str, Any]) -> list[Inbound]:
        event = str(update.get("event_name") or "")
        if event not in EVENTS:
            return []  # follows, receipts, the OA's own messages
        sender = str((update.get("sender") or {}).get("id") or "")
        message = update.get("message") or {}
        msg_id = str(message.get("msg_id") or "")
        if not sender or not msg_id:
            return []
        text = message.get("text")
        attachments: list[Attachment] = []
        for att in message.get("attachments") or []:
            payload = att.get("payload") or {}
            if att.get("type") == "image":
                attachments.append(Attachment(kind="photo", ref=payload.get("url")))
            elif att.get("type") == "location":
                coords = payload.get("coordinates") or {}
                attachments.append(
                    Attachment(
                        kind="location",
                        latitude=_float(coords.get("latitude")),
                        longitude=_float(coords.get("longitude")),
                    )
                )
        pressed = isinstance(text, str) and text.startswith(MARK) and " " not in text.strip()
        return [
            Inbound(
                Incoming(
                    channel="zalo",
                    chat_id=sender,
                    user_id=sender,
                    text=None if pressed or not text else str(text)[:4000],
                    payload=str(text).strip()[:200] if pressed else None,
                    message_id=msg_id[:128],
                    attachments=attachments,
                )
            )
        ]

    # --- out ---------------------------------------------------------------------------

    async def render(self, chat_id: str, replies: list[Reply], encoder: Encoder) -> list[Body]:
        out: list[Body] = []
        for reply in replies:
            pieces = split_text(reply.text, TEXT_LIMIT) or ([MORE] if reply.buttons else [])
            groups = [reply.buttons[i : i + BUTTONS] for i in range(0, len(reply.buttons), BUTTONS)]
            for i, piece in enumerate(pieces):
                message: dict[str, Any] = {"text": piece}
                if groups and i == len(pieces) - 1 and not reply.cards:
                    message["attachment"] = await _buttons(groups.pop(0), encoder)
                out.append(_send(chat_id, message))
            if reply.cards:
                out.append(_send(chat_id, await self._list(reply, encoder)))
            if reply.qr and self.public_url:
                url = qr_image_url(self.public_url, reply.qr)
                out.append(
                    _send(
                        chat_id,
                        {
                            "attachment": {
                                "type": "template",
                                "payload": {
                                    "template_type": "media",
                                    "elements": [{"media_type": "image", "url": url}],
                                },
                            }
                        },
                    )
                )
            for group in groups:
                out.append(
                    _send(chat_id, {"text": MORE, "attachment": await _buttons(group, encoder)})
                )
        return out

    async def _list(self, reply: Reply, encoder: Encoder) -> Body:
        elements = []
        for card in reply.cards[:ELEMENTS]:
            element: dict[str, Any] = {
                "title": card.title[:TITLE],
                "subtitle": " · ".join(x for x in (card.price_text, card.subtitle) if x)[:500],
            }
            if card.image_url:
                element["image_url"] = card.image_url
            if card.buttons:
                element["default_action"] = {
                    "type": "oa.query.hide",
                    "payload": await encoder.encode(card.buttons[0].payload),
                }
            elements.append(element)
        if elements and not elements[0]["subtitle"]:
            elements[0]["subtitle"] = elements[0]["title"]  # the first element needs one
        return {
            "attachment": {
                "type": "template",
                "payload": {"template_type": "list", "elements": elements},
            }
        }

    def replies_allowed(self, window: Window) -> bool:
        """Within the OA's interaction window (48 hours, 8 messages); a reply of several
        messages may run past the count, which the platform then refuses as any other send."""
        last = window.last_inbound_at
        return (
            last is not None
            and datetime.now(UTC) - last <= WINDOW
            and window.sent_since_inbound < WINDOW_MESSAGES
        )

    async def notification(self, chat_id: str, text: str, window: Window) -> Body | None:
        if window.last_inbound_at is None:
            return None
        if datetime.now(UTC) - window.last_inbound_at > WINDOW:
            return None
        if window.sent_since_inbound >= WINDOW_MESSAGES:
            return None
        return _send(chat_id, {"text": text[:TEXT_LIMIT]})

    async def deliver(self, chat_id: str, body: Body) -> str | None:
        data = await self._post(body, await self.tokens.access_token())
        if data.get("error") == TOKEN_EXPIRED:  # expired early or revoked: refresh once
            data = await self._post(body, await self.tokens.access_token(force=True))
        error = int(data.get("error") or 0)
        if error:
            raise ChannelError(f"zalo refused ({error}): {str(data.get('message', ''))[:200]}")
        found = (data.get("data") or {}).get("message_id")
        return str(found) if found else None

    async def _post(self, body: Body, token: str) -> dict[str, Any]:
        resp = await post(
            self.http,
            "zalo",
            f"{self.api_base}/v3.0/oa/message/cs",
            headers={"access_token": token},
            json=body,
        )
        try:
            data = resp.json()
        except ValueError:
            raise ChannelError(f"zalo answered {resp.status_code} without JSON") from None
        return data if isinstance(data, dict) else {}


async def _buttons(buttons: list[Button], encoder: Encoder) -> Body:
    return {
        "type": "template",
        "payload": {
            "buttons": [
                {
                    "title": b.title[:TITLE],
                    "type": "oa.query.hide",
                    "payload": await encoder.encode(b.payload),
                }
                for b in buttons
            ]
        },
    }


def _send(chat_id: str, message: Body) -> Body:
    return {"recipient": {"user_id": chat_id}, "message": message}


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None

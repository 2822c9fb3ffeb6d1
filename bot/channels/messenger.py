"""Facebook Messenger (Messenger Platform, Send API over httpx).

Deliveries are signed: ``X-Hub-Signature-256: sha256=HMAC-SHA256(app secret, raw body)``,
checked on the raw bytes (Meta escapes non-ASCII, so a re-serialised body would not match).
Buttons are quick replies (up to 13, titles shown to 20 characters) under a text, or postback
buttons (up to 3) on the cards of a generic template. Replies go out as ``RESPONSE`` inside
the 24-hour window after the customer's last message; an order update outside it goes as a
``POST_PURCHASE_UPDATE`` tagged message, and nothing is sent to someone who never wrote.
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
    RetryLater,
    Window,
    split_text,
)
from bot.channels.http import post, retry_after
from bot.channels.qr import QR_KEY, qr_png_bytes
from integrations.http import outbound_client

log = logging.getLogger("shopbot.channels.messenger")

TEXT_LIMIT = 2000
QUICK_REPLIES = 13
QUICK_TITLE = 20
CARD_TEXT = 80
CARD_BUTTONS = 3
CARDS = 10
WINDOW = timedelta(hours=24)
UPDATE_TAG = "POST_PURCHASE_UPDATE"
SIGNATURE_HEADER = "X-Hub-Signature-256"
# Graph error codes that mean "slow down" (application, user and page level throttling).
THROTTLED = frozenset({4, 17, 32, 613})
MORE = "⋯"
# 300 calls/s per Page for text; one thread is kept slower (Meta throttles busy threads).
LIMITS = Limits(per_chat_interval=0.2, per_second=250.0, payload_bytes=1000)


def short_title(title: str, limit: int = QUICK_TITLE) -> str:
    return title if len(title) <= limit else title[: limit - 1] + "…"


def messenger_signature(app_secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()


class MessengerChannel(Channel):
    name = "messenger"
    webhook_path = "/webhooks/messenger"

    def __init__(
        self,
        *,
        api_base: str,
        page_token: str,
        app_secret: str,
        verify_token: str,
        limits: Limits = LIMITS,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.page_token = page_token
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.limits = limits
        self.http = http or outbound_client()

    async def close(self) -> None:
        await self.http.aclose()

    # --- in ----------------------------------------------------------------------------

    def verify(self, headers: Any, raw: bytes) -> bool:
        given = headers.get(SIGNATURE_HEADER) or ""
        expected = messenger_signature(self.app_secret, raw)
        return hmac.compare_digest(given.lower().encode(), expected.encode())

    def subscription_challenge(self, query: dict[str, str]) -> str | None:
        """The GET Meta sends when the webhook is registered."""
        token = query.get("hub.verify_token") or ""
        if query.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode(), self.verify_token.encode()
        ):
            return query.get("hub.challenge") or ""
        return None

    async def parse(self, update: dict[str, Any]) -> list[Inbound]:
        if update.get("object") != "page":
            return []
        out: list[Inbound] = []
        for entry in update.get("entry") or []:
            for event in entry.get("messaging") or []:
                found = _event(event)
                if found is not None:
                    out.append(found)
        return out

    # --- out ---------------------------------------------------------------------------

    async def render(self, chat_id: str, replies: list[Reply], encoder: Encoder) -> list[Body]:
        out: list[Body] = []
        for reply in replies:
            pieces = split_text(reply.text, TEXT_LIMIT)
            quick = await self._quick_replies(reply.buttons, encoder)
            trailing = bool(quick) and bool(reply.cards or reply.qr or not pieces)
            for i, piece in enumerate(pieces):
                message: dict[str, Any] = {"text": piece}
                if quick and not trailing and i == len(pieces) - 1:
                    message["quick_replies"] = quick
                out.append(_send(chat_id, message))
            if reply.cards:
                out.append(_send(chat_id, await self._generic(reply, encoder)))
            if reply.qr:
                # Uploaded with the message (the Send API's ``filedata``), drawn at delivery:
                # no public URL needed, and the payment details are not in a URL Meta fetches.
                image = {"attachment": {"type": "image", "payload": {"is_reusable": False}}}
                out.append({**_send(chat_id, image), QR_KEY: reply.qr})
            if trailing:
                out.append(_send(chat_id, {"text": MORE, "quick_replies": quick}))
        return out

    async def _quick_replies(self, buttons: list[Button], encoder: Encoder) -> list[Body]:
        return [
            {
                "content_type": "text",
                "title": short_title(b.title),
                "payload": await encoder.encode(b.payload),
            }
            for b in buttons[:QUICK_REPLIES]
        ]

    async def _generic(self, reply: Reply, encoder: Encoder) -> Body:
        elements = []
        for card in reply.cards[:CARDS]:
            element: dict[str, Any] = {
                "title": card.title[:CARD_TEXT],
                "subtitle": " · ".join(x for x in (card.price_text, card.subtitle) if x)[
                    :CARD_TEXT
                ],
            }
            if card.image_url:
                element["image_url"] = card.image_url
            buttons = [
                {
                    "type": "postback",
                    "title": short_title(b.title),
                    "payload": await encoder.encode(b.payload),
                }
                for b in card.buttons[:CARD_BUTTONS]
            ]
            if buttons:
                element["buttons"] = buttons
            elements.append(element)
        return {
            "attachment": {
                "type": "template",
                "payload": {"template_type": "generic", "elements": elements},
            }
        }

    def replies_allowed(self, window: Window) -> bool:
        """Standard messaging (templates, quick replies) only within 24 hours of the
        customer's last message; after that only a tagged text update."""
        last = window.last_inbound_at
        return last is not None and datetime.now(UTC) - last < WINDOW

    async def notification(self, chat_id: str, text: str, window: Window) -> Body | None:
        if window.last_inbound_at is None:
            return None  # never wrote to us: Messenger allows nothing
        body = _send(chat_id, {"text": text[:TEXT_LIMIT]})
        if datetime.now(UTC) - window.last_inbound_at < WINDOW:
            body["messaging_type"] = "UPDATE"
        else:
            body["messaging_type"] = "MESSAGE_TAG"
            body["tag"] = UPDATE_TAG
        return body

    async def typing(self, chat_id: str) -> None:
        await self._post(json={"recipient": {"id": chat_id}, "sender_action": "typing_on"})

    async def deliver(self, chat_id: str, body: Body) -> str | None:
        if QR_KEY in body:
            data = await self._post_upload(body)
        else:
            data = await self._post(json=body)
        found = data.get("message_id")
        return str(found) if found else None

    async def _post_upload(self, body: Body) -> dict[str, Any]:
        """A message with its image as ``filedata``: the other fields as form fields, the
        objects among them as JSON, as the Send API takes an upload."""
        fields = {
            k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
            for k, v in body.items()
            if k != QR_KEY
        }
        png = qr_png_bytes(str(body[QR_KEY]))
        return await self._post(data=fields, files={"filedata": ("vietqr.png", png, "image/png")})

    async def _post(self, **request: Any) -> dict[str, Any]:
        """One Send API request (``json=`` a body, or ``data=``/``files=`` an upload)."""
        resp = await post(
            self.http,
            "messenger",
            f"{self.api_base}/me/messages",
            params={"access_token": self.page_token},
            **request,
        )
        try:
            data = resp.json()
        except ValueError:
            data = {}
        if resp.status_code == 200 and isinstance(data, dict) and "error" not in data:
            return data
        error = data.get("error", {}) if isinstance(data, dict) else {}
        if error.get("code") in THROTTLED:
            raise RetryLater(retry_after(resp), f"messenger throttled (code {error.get('code')})")
        raise ChannelError(
            f"messenger refused ({resp.status_code}, code {error.get('code')}): "
            f"{str(error.get('message', ''))[:200]}"
        )


def _send(chat_id: str, message: Body) -> Body:
    return {"recipient": {"id": chat_id}, "messaging_type": "RESPONSE", "message": message}


def _event(event: dict[str, Any]) -> Inbound | None:
    sender = str((event.get("sender") or {}).get("id") or "")
    if not sender:
        return None
    stamp = str(event.get("timestamp") or "")
    message = event.get("message")
    if isinstance(message, dict):
        if message.get("is_echo"):
            return None  # a copy of what the Page sent
        attachments: list[Attachment] = []
        for att in message.get("attachments") or []:
            payload = att.get("payload") or {}
            if att.get("type") == "image":
                attachments.append(Attachment(kind="photo", ref=payload.get("url")))
            elif att.get("type") == "location":
                coords = payload.get("coordinates") or {}
                attachments.append(
                    Attachment(
                        kind="location", latitude=coords.get("lat"), longitude=coords.get("long")
                    )
                )
        quick = (message.get("quick_reply") or {}).get("payload")
        text = message.get("text")
        if text is None and quick is None and not attachments:
            return None
        return Inbound(
            Incoming(
                channel="messenger",
                chat_id=sender,
                user_id=sender,
                text=(text or "")[:4000] or None,
                payload=str(quick)[:200] if quick else None,
                message_id=str(message.get("mid") or f"m:{sender}:{stamp}")[:128],
                attachments=attachments,
            )
        )
    postback = event.get("postback")
    if isinstance(postback, dict):
        ref = (postback.get("referral") or {}).get("ref")
        payload = postback.get("payload")
        return Inbound(
            Incoming(
                channel="messenger",
                chat_id=sender,
                user_id=sender,
                text=f"/start {ref}" if ref else postback.get("title"),
                payload=None if ref else (str(payload)[:200] if payload else None),
                message_id=str(postback.get("mid") or f"pb:{sender}:{stamp}")[:128],
            )
        )
    return None  # delivery, read, reaction...

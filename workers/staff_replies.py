"""Staff answers to customers on the chat platforms: the outbox's ``chat.staff_reply`` events
(tools/handoffs.py; payload in docs/staff-desk.md) sent to the customer's chat.

The web chat shows staff answers from its own history; every other channel needs them sent.
Each answer is recorded under its chat message's id (``staff-reply:<id>:<n>``) before it is
sent, so reading an event twice says it once. It goes as the channel renders any reply: product
cards as the platform's cards (photos on Telegram, a generic template on Messenger, a list on
Zalo) with their buttons, a payment QR as an image. Where the platform's window allows only a
notification (Messenger after 24 hours, Zalo after 48 hours or 8 messages), the text with a
line per card goes that way instead.
"""

from __future__ import annotations

import logging
from typing import Any

from agents.types import ProductCard, Reply
from storage.outbox import Event
from workers.notifications import ChatConsumer

log = logging.getLogger("shopbot.workers")

CONSUMER = "customer-staff-replies"
TOPICS = frozenset({"chat.staff_reply"})


def reply_text(payload: dict[str, Any]) -> str:
    """The answer as one text: what staff wrote, then each product card as a line."""
    parts = [str(payload.get("text") or "").strip()]
    for card in payload.get("cards") or []:
        title = str(card.get("title") or "").strip()
        price = str(card.get("price_text") or "").strip()
        if title:
            parts.append(f"• {title}" + (f" — {price}" if price else ""))
    return "\n".join(p for p in parts if p)


def reply_of(payload: dict[str, Any]) -> Reply:
    """The answer as a reply the channels render: the payload's cards are the chat's
    ProductCard shape already (tools.handoffs.StaffCardIn)."""
    return Reply(
        text=str(payload.get("text") or "").strip(),
        cards=[ProductCard.model_validate(card) for card in payload.get("cards") or []],
        qr=payload.get("qr"),
    )


class StaffReplyForwarder(ChatConsumer):
    label = "staff replies"
    consumer = CONSUMER
    topics = TOPICS

    async def handle(self, event: Event) -> str:
        payload = event.payload
        channel, chat_id = str(payload.get("channel") or ""), str(payload.get("chat_id") or "")
        text = reply_text(payload)
        if channel in ("", "web") or not chat_id or not text:
            return "ignored"  # the web chat shows it from its history
        outcome = await self.notifier.tell(
            channel,
            chat_id,
            reply_of(payload),
            f"staff-reply:{payload.get('message_id')}",
            plain=text,
        )
        log.info("staff reply on %s: %s", channel, outcome)
        return outcome

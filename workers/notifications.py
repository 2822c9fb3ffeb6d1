"""Order notifications: tells the customer, on the chat the order came from and in its
language, when the order is confirmed, waits for stock, ships, is delivered, cancelled or
refunded.

It follows the outbox (storage/outbox.py) from its own cursor: only committed changes are
there, so nothing is said about a change that was rolled back. Delivery is at least once
(the cursor moves after the batch), and each message is recorded under the event's id
(``order-event:<id>``) before it is sent, so reading an event twice says it once.
"""

from __future__ import annotations

import logging
from typing import ClassVar, Protocol

from agents.types import Reply
from storage.database import Database
from storage.notifications import order_recipient
from storage.outbox import Event, OutboxReader
from workers.consumer import OutboxConsumer
from workers.messages import notification_kind, notification_text

log = logging.getLogger("shopbot.workers")

CONSUMER = "customer-notifications"
TOPICS = frozenset({"order.status_changed", "order.refund"})
IDLE_SECONDS = 0.5


class Notifier(Protocol):
    async def notify(self, channel: str, chat_id: str, text: str, key: str) -> str:
        """Records and queues ``text`` for the chat once per ``key``; says what became of it."""
        ...

    async def tell(self, channel: str, chat_id: str, reply: Reply, key: str, *, plain: str) -> str:
        """Like ``notify`` for a whole reply (cards, buttons, a QR image); ``plain`` where the
        platform allows only a notification now."""
        ...


class ChatConsumer(OutboxConsumer):
    """An outbox consumer that tells customers something on their chats (``Notifier``): its
    own cursor (``consumer``) over its ``topics``."""

    consumer: ClassVar[str]
    topics: ClassVar[frozenset[str]]

    def __init__(
        self, db: Database, notifier: Notifier, *, idle_seconds: float = IDLE_SECONDS
    ) -> None:
        self.db = db
        self.notifier = notifier
        self.idle_seconds = idle_seconds
        self.reader = OutboxReader(db, self.consumer, topics=self.topics)


class OrderNotifier(ChatConsumer):
    label = "order notifications"
    consumer = CONSUMER
    topics = TOPICS

    async def handle(self, event: Event) -> str:
        kind = notification_kind(event.topic, event.payload)
        if kind is None:
            return "ignored"
        order_id = int(event.payload.get("order_id") or 0)
        recipient = await order_recipient(self.db, order_id)
        if recipient is None:
            return "no chat"
        text = notification_text(kind, recipient.language, recipient.number, event.payload)
        outcome = await self.notifier.notify(
            recipient.channel, recipient.chat_id, text, key=f"order-event:{event.id}"
        )
        log.info("order %s %s: %s on %s", recipient.number, kind, outcome, recipient.channel)
        return outcome

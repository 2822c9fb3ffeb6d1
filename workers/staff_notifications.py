"""Staff notifications on Telegram: order cards kept current, new handoffs announced.

It follows the outbox from its own cursor (``staff-telegram``), so it sees exactly the changes
that committed, from any surface (API, staff page, Telegram, the customer's chat). For each
event about an order, every staff chat gets the order's card, rendered for that chat's viewer
(their role decides the buttons): the first time as a new message, after that as an edit of
the same message (``bot/staff/telegram_bot.py`` finds it in the send log when the edit's turn
comes), so the chat shows the order as it is, not a pile. A new handoff is announced once
with a "Take" button.

At least once: the cursor moves after the batch, and each notice is recorded under a key made
of the event id and the chat before it is sent, so reading an event twice sends nothing new.
Staff chats are the staff group when ``SHOPBOT_TELEGRAM_STAFF_CHAT_ID`` is set (its cards are
drawn for an owner; each press is still checked against the presser's role), otherwise the
private chat of every active staff member with a linked Telegram account.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Protocol

from agents.staff.cards import CardButton
from agents.staff.desk import StaffDesk
from agents.staff.labels import word
from agents.staff.payloads import Act, Press
from core.errors import DomainError
from core.roles import Actor, Role
from storage.database import Database
from storage.outbox import Event, OutboxReader
from storage.staff_cards import card_prefix, linked_telegram_staff
from tools.staff import member_actor
from workers.consumer import OutboxConsumer

log = logging.getLogger("shopbot.workers")

CONSUMER = "staff-telegram"
IDLE_SECONDS = 0.5
HANDOFF_TOPIC = "handoff.requested"
# A new consumer starts at the oldest event kept: turning the bot on in a shop with a history
# must not post a card for every order ever made. Older events than this are passed over.
STALE_AFTER = timedelta(hours=24)


class Poster(Protocol):
    async def post(
        self,
        chat_id: str,
        key: str,
        text: str,
        buttons: list[CardButton],
        *,
        card_of: int | None = None,
    ) -> str:
        """Records a message for the chat once per ``key`` and queues it; ``card_of``: the
        order whose card it is (it replaces the card's message in that chat)."""
        ...


class StaffNotifier(OutboxConsumer):
    label = "staff notifications"

    def __init__(
        self,
        db: Database,
        desk: StaffDesk,
        poster: Poster,
        *,
        group_chat_id: int | None = None,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self.db = db
        self.desk = desk
        self.poster = poster
        self.group_chat_id = group_chat_id
        self.idle_seconds = idle_seconds
        self.reader = OutboxReader(db, CONSUMER)

    async def chats(self) -> list[tuple[str, Actor]]:
        """Where staff notices go, each with the viewer its cards are drawn for."""
        if self.group_chat_id is not None:
            return [(str(self.group_chat_id), Actor(role=Role.OWNER, name="staff group"))]
        out = []
        for s in await linked_telegram_staff(self.db):
            actor = member_actor(s.staff_id, s.name, s.role)
            if actor is not None:
                out.append((s.telegram_user_id, actor))
        return out

    async def handle(self, event: Event) -> int:
        """Posts what ``event`` calls for to every staff chat; how many notices it queued."""
        if event.created_at < datetime.now(UTC) - STALE_AFTER:
            return 0
        if event.key.startswith("order:"):
            order_id = int(event.key.split(":", 1)[1])
            return await self._cards(order_id, event)
        if event.topic == HANDOFF_TOPIC:
            return await self._handoff(event)
        return 0

    async def _cards(self, order_id: int, event: Event) -> int:
        posted = 0
        for chat_id, actor in await self.chats():
            try:
                card = await self.desk.card(actor, order_id)
            except DomainError:  # this viewer may not see orders (or it is gone)
                continue
            key = f"{card_prefix(order_id, chat_id)}e{event.id}"
            await self.poster.post(chat_id, key, card.text, card.buttons, card_of=order_id)
            posted += 1
        return posted

    async def _handoff(self, event: Event) -> int:
        p = event.payload
        handoff_id = int(p.get("handoff_id") or 0)
        posted = 0
        for chat_id, actor in await self.chats():
            allows = self.desk.allows(actor)
            take = Press(Act.TAKE, handoff_id)
            buttons = (
                [CardButton(label=word(self.desk.lang, "take"), payload=take.encode())]
                if allows(take.tool)
                else []
            )
            text = (
                f"🙋 #{handoff_id} · {p.get('channel') or '-'} · {p.get('reason') or '-'}\n"
                f"«{p.get('last_message') or ''}»\n/reply {handoff_id} …"
            )
            await self.poster.post(chat_id, f"handoff:{handoff_id}:{chat_id}", text, buttons)
            posted += 1
        return posted

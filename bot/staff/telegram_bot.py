"""The Telegram staff bot at work: ``StaffTelegram`` (the transport-free logic) run on the
channels' Telegram machinery.

``StaffTelegramChannel`` is the customer channel's aiogram client with its own token, webhook
path (``/webhooks/telegram/staff``) and secret; it also edits messages and answers button
presses, and takes Telegram's "message is not modified" as done (the card already shows it).
``StaffBotRuntime`` is a ``ChannelRuntime``: updates are stored under their update id (a
retried delivery is handled once), each chat's updates run one after the other, every Bot
API call is recorded in the send log before it is made and sent paced, with 429 and 5xx
retried. The outbox consumer (workers/staff_notifications.py) posts through ``post``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from agents.staff.cards import CardButton
from agents.staff.desk import StaffDesk
from agents.types import Incoming, Reply
from bot.channels.base import Body, ChannelError, Encoder, Inbound, RetryLater
from bot.channels.runtime import ChannelRuntime
from bot.channels.telegram import TelegramChannel, make_bot
from bot.container import Container
from bot.staff.telegram import MAX_TEXT, StaffTelegram, keyboard
from storage.channels import InboundItem, InboxRow, SendRow, record_sends, store_inbound
from storage.database import Database
from storage.staff_cards import card_message_id

NOT_MODIFIED = "message is not modified"
GONE = "message to edit not found"
CARD = "card_of"  # a body field: the order whose card this is (the message found when sent)


class StaffTelegramChannel(TelegramChannel):
    name = "telegram_staff"
    webhook_path = "/webhooks/telegram/staff"

    async def parse(self, update: dict[str, Any]) -> list[Inbound]:
        return []  # the staff runtime stores raw updates (StaffBotRuntime.accept)

    async def render(self, chat_id: str, replies: list[Reply], encoder: Encoder) -> list[Body]:
        return []  # the staff bot answers with Bot API calls (StaffTelegram), not Replies

    async def deliver(self, chat_id: str, body: Body) -> str | None:
        try:
            return await super().deliver(chat_id, body)
        except ChannelError as exc:
            if NOT_MODIFIED in str(exc):  # the message shows this already: done
                message_id = body["params"].get("message_id")
                return str(message_id) if message_id is not None else None
            if GONE in str(exc) and CARD in body:  # someone deleted the card: show it anew
                params = {k: v for k, v in body["params"].items() if k != "message_id"}
                return await super().deliver(chat_id, {"method": "sendMessage", "params": params})
            raise


async def _no_turns(_incoming: Incoming) -> list[Reply]:  # pragma: no cover - never called
    return []


def chat_of(update: dict[str, Any]) -> str | None:
    """The chat an update belongs to (its lane), or None for kinds the bot ignores."""
    message = update.get("message")
    if isinstance(message, dict):
        return str(message["chat"]["id"])
    callback = update.get("callback_query")
    if isinstance(callback, dict):
        source = callback.get("message")
        if isinstance(source, dict):
            return str(source["chat"]["id"])
        return str(callback["from"]["id"])
    return None


class StaffBotRuntime(ChannelRuntime):
    def __init__(
        self,
        channel: StaffTelegramChannel,
        db: Database,
        bot: StaffTelegram,
        **kwargs: Any,
    ) -> None:
        super().__init__(channel, db, _no_turns, **kwargs)
        self.bot = bot

    async def accept(self, update: dict[str, Any]) -> int:
        chat = chat_of(update)
        if chat is None or "update_id" not in update:
            return 0
        item = InboundItem(f"u{update['update_id']}", chat, {"update": update})
        fresh = await store_inbound(self.db, self.name, [item])
        if self.handles_turns:
            for row in fresh:
                self._queue(row)
        return len(fresh)

    async def _handle(self, row: InboxRow) -> None:
        # A failure here propagates to the lane (logged there) and leaves the update not
        # done: the next start takes it up again, as for customer events.
        async with self.slots:
            calls = await self.bot.handle(dict(row.body["update"]))
            rows = await record_sends(
                self.db,
                self.name,
                row.chat_id,
                [(f"in:{row.id}:{i}", c.model_dump()) for i, c in enumerate(calls)],
                answered=row.id,
            )
        for send in rows:
            await self._send(send)

    async def post(
        self,
        chat_id: str,
        key: str,
        text: str,
        buttons: list[CardButton],
        *,
        card_of: int | None = None,
    ) -> str:
        """Records a message once per ``key`` and queues it on the chat's lane; a card
        (``card_of``) is sent or edited in place when its turn comes (``_attempt``)."""
        params: dict[str, Any] = {"chat_id": int(chat_id), "text": text[:MAX_TEXT]}
        if buttons:
            params["reply_markup"] = keyboard(buttons)
        body: Body = {"method": "sendMessage", "params": params}
        if card_of is not None:
            body[CARD] = card_of
        [row] = await record_sends(self.db, self.name, chat_id, [(key, body)])
        if row.state != "pending":
            return row.state
        self.lanes.submit(chat_id, self._send_job(row))
        return "queued"

    async def _send(self, row: SendRow) -> None:
        """Answering a pressed button is not a message (Telegram's per-chat limit is about
        messages) and the button spins until it is answered: the first try goes unpaced."""
        if row.body.get("method") == "answerCallbackQuery":
            async with self.slots:
                if await self._attempt(row) is None:
                    return
        await super()._send(row)

    async def _attempt(self, row: SendRow) -> RetryLater | None:
        """A card body becomes, when its turn comes, an edit of the message that shows the
        order in this chat, or a new message when none does yet."""
        if CARD in row.body:
            row = dataclasses.replace(row, body=await self._resolve_card(row))
        return await super()._attempt(row)

    async def _resolve_card(self, row: SendRow) -> Body:
        params = {k: v for k, v in row.body["params"].items() if k != "message_id"}
        shown = await card_message_id(self.db, self.name, int(row.body[CARD]), row.chat_id)
        card = {CARD: row.body[CARD]}
        if shown is None:
            return {"method": "sendMessage", "params": params, **card}
        return {"method": "editMessageText", "params": {**params, "message_id": shown}, **card}


def staff_runtime(container: Container, **kwargs: Any) -> StaffBotRuntime | None:
    """The staff bot the settings turn on (``SHOPBOT_TELEGRAM_STAFF_TOKEN``), or None."""
    settings = container.settings
    if settings.telegram_staff_token is None:
        return None
    secret = settings.telegram_staff_webhook_secret
    channel = StaffTelegramChannel(
        make_bot(settings.telegram_staff_token.get_secret_value(), settings.telegram_api_base),
        webhook_secret=secret.get_secret_value() if secret else None,
    )
    from bot.staff.router import default_staff_agent  # the router builds the page's bot too

    desk = StaffDesk(container.runner, language=settings.default_language, surface="telegram_staff")
    bot = StaffTelegram(
        desk,
        container.db,
        default_staff_agent(container),  # free text to the staff agent when an LLM is set
        group_chat_id=settings.telegram_staff_chat_id,
    )
    return StaffBotRuntime(channel, container.db, bot, **kwargs)

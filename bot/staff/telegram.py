"""The Telegram staff bot's logic, thin and transport-free: a Bot API update in, the Bot API
calls to make out. The channels' Telegram layer (polling or webhook, the HTTP session, retries)
delivers updates here and performs the returned calls, so this module needs no bot framework.

Only linked staff accounts are served (``actor_for_telegram``); anyone else gets one polite
refusal and nothing else. ``/start SECRET`` redeems a one-time invite (``shopbot staff invite``).
Commands go to the shared parser; cards are sent as text with an inline keyboard whose
callback data are the cards' typed payloads; a pressed button edits its own message in place.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel

from agents.cards import parse_card_payload
from agents.staff.assistant import StaffAgent, answer_text
from agents.staff.cards import CardButton, OrderCard
from agents.staff.consent import ConfirmCard
from agents.staff.desk import DeskReply, StaffDesk
from agents.staff.payloads import Act, decode
from core.errors import DomainError
from core.roles import Actor
from storage.database import Database
from tools.staff_access import actor_for_telegram

log = logging.getLogger("shopbot.staff.telegram")

SURFACE = "telegram_staff"
NOT_STAFF = (
    "Xin lỗi, đây là kênh dành cho nhân viên của shop. / Sorry, this chat is for the shop's staff."
)
MAX_TEXT = 4096
ALERT_TEXT = 200


def is_card_press(callback: dict[str, Any]) -> bool:
    return parse_card_payload(str(callback.get("data") or "")) is not None


class BotCall(BaseModel):
    """One Bot API method call, e.g. ``sendMessage`` with its parameters."""

    method: str
    params: dict[str, Any]


def keyboard(buttons: list[CardButton]) -> dict[str, Any]:
    """An inline keyboard, two buttons a row."""
    rows: list[list[dict[str, str]]] = []
    for b in buttons:
        label = f"{b.label} ({b.note})" if b.note else b.label
        if not rows or len(rows[-1]) == 2:
            rows.append([])
        rows[-1].append({"text": label, "callback_data": b.payload})
    return {"inline_keyboard": rows}


def card_message(chat_id: int, card: OrderCard | ConfirmCard) -> BotCall:
    return BotCall(
        method="sendMessage",
        params={
            "chat_id": chat_id,
            "text": card.text[:MAX_TEXT],
            "reply_markup": keyboard(card.buttons),
        },
    )


def edit_message(source: dict[str, Any], text: str, buttons: list[CardButton]) -> BotCall:
    """The pressed message, edited in place (an empty keyboard removes the buttons)."""
    return BotCall(
        method="editMessageText",
        params={
            "chat_id": source["chat"]["id"],
            "message_id": source["message_id"],
            "text": text[:MAX_TEXT],
            "reply_markup": keyboard(buttons),
        },
    )


class StaffTelegram:
    def __init__(
        self,
        desk: StaffDesk,
        db: Database,
        agent: StaffAgent | None = None,
        *,
        group_chat_id: int | None = None,
    ) -> None:
        self.desk = desk
        self.db = db
        self.agent = agent  # free text goes to it when set (an LLM is configured)
        # The staff group (SHOPBOT_TELEGRAM_STAFF_CHAT_ID): the one chat besides private ones
        # where the bot works; in any other group it only says it is not for them.
        self.group_chat_id = group_chat_id

    def _chat_allowed(self, chat: dict[str, Any]) -> bool:
        if chat.get("type", "private") == "private":
            return True
        return self.group_chat_id is not None and int(chat["id"]) == self.group_chat_id

    async def handle(self, update: dict[str, Any]) -> list[BotCall]:
        message = update.get("message")
        callback = update.get("callback_query")
        if isinstance(message, dict):
            return await self._message(update, message)
        if isinstance(callback, dict):
            return await self._callback(callback)
        return []

    async def _message(self, update: dict[str, Any], message: dict[str, Any]) -> list[BotCall]:
        chat_id = int(message["chat"]["id"])
        user_id = int(message.get("from", {}).get("id", 0))
        text = str(message.get("text") or "").strip()
        if not self._chat_allowed(message["chat"]):
            return [self._say(chat_id, NOT_STAFF)] if text.startswith("/") else []
        if text.startswith("/start ") and user_id:
            return [self._say(chat_id, await self._redeem(text.split(maxsplit=1)[1], user_id))]
        actor = await actor_for_telegram(self.db, user_id) if user_id else None
        if actor is None:
            return [self._say(chat_id, NOT_STAFF)]
        if not text or text == "/start":
            text = "/help"
        reply = await answer_text(
            self.desk, self.agent, actor, text, key=f"tg:{update.get('update_id')}"
        )
        return self._reply(chat_id, reply)

    async def _callback(self, callback: dict[str, Any]) -> list[BotCall]:
        user_id = int(callback.get("from", {}).get("id", 0))
        actor = await actor_for_telegram(self.db, user_id) if user_id else None
        answer: dict[str, Any] = {"callback_query_id": callback["id"]}
        if actor is None:
            return [BotCall(method="answerCallbackQuery", params={**answer, "text": NOT_STAFF})]
        source = callback.get("message") or {}
        if source and not self._chat_allowed(source["chat"]):
            return [BotCall(method="answerCallbackQuery", params={**answer, "text": NOT_STAFF})]
        reply = await self.desk.press(actor, str(callback.get("data") or ""))
        calls = [
            BotCall(
                method="answerCallbackQuery",
                params={**answer, "text": reply.text[:ALERT_TEXT], "show_alert": not reply.ok},
            )
        ]
        if reply.ok and reply.handoffs and not reply.cards and source:
            calls += self._taken(str(callback.get("data") or ""), reply, source)
        if source and reply.cards:
            calls.append(edit_message(source, reply.cards[0].text, reply.cards[0].buttons))
        elif source and is_card_press(callback):
            # A confirmation card answered: its message says what became of it, no buttons.
            calls.append(edit_message(source, f"{source.get('text', '')}\n\n{reply.text}", []))
        return calls

    @staticmethod
    def _taken(data: str, reply: DeskReply, source: dict[str, Any]) -> list[BotCall]:
        """A handoff announcement whose "Take" was pressed: its buttons become what the taker
        may do now (hand back), so no one else presses Take on it."""
        press = decode(data)
        if press.act is not Act.TAKE:
            return []
        mine = [h for h in reply.handoffs if h.id == press.ref]
        buttons = mine[0].buttons if mine else []
        return [
            BotCall(
                method="editMessageReplyMarkup",
                params={
                    "chat_id": source["chat"]["id"],
                    "message_id": source["message_id"],
                    "reply_markup": keyboard(buttons),
                },
            )
        ]

    async def _redeem(self, secret: str, user_id: int) -> str:
        try:
            who = await self.desk.runner.call(
                "redeem_telegram_invite",
                {"invite_secret": secret, "telegram_user_id": user_id},
                Actor.system(),
                surface=SURFACE,
            )
        except DomainError:
            return NOT_STAFF
        return f"Xin chào {getattr(who, 'name', '')}! /help"

    @staticmethod
    def _say(chat_id: int, text: str) -> BotCall:
        return BotCall(method="sendMessage", params={"chat_id": chat_id, "text": text[:MAX_TEXT]})

    def _reply(self, chat_id: int, reply: DeskReply) -> list[BotCall]:
        calls = []
        shown = [c.text for c in reply.cards[:1]] + [c.text for c in reply.confirmations[:1]]
        if reply.text and reply.text not in shown:
            calls.append(self._say(chat_id, reply.text))
        shown_cards: list[OrderCard | ConfirmCard] = [*reply.cards, *reply.confirmations]
        calls += [card_message(chat_id, c) for c in shown_cards]
        return calls

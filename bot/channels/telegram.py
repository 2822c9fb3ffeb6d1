"""Telegram (Bot API through aiogram 3): updates in, inline keyboards and photos out.

A reply that asks for a phone (``Reply.share_phone``) also brings up a reply keyboard whose one
button sends the customer's own number (``request_contact``); the shared contact reads as that
number typed (so the question is answered), the platform's word that it is the sender's own
travels as ``Attachment.verified`` (only that links accounts: bot/channels/prepare.py). The
keyboard goes with the first answer that no longer asks for the phone (``settle_keyboard``), or
with the line repeating a shared number.

aiogram gives the typed methods and updates and its own aiohttp session; the session's
``TelegramAPIServer`` is the seam that points it at another Bot API host (a local Bot API
server, or the fake one in tests). Only ``Bot`` is used, not aiogram's dispatcher: every
platform goes through the same runtime (bot/channels/runtime.py).
"""

from __future__ import annotations

import asyncio
import copy
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteWebhook,
    EditMessageReplyMarkup,
    EditMessageText,
    GetUpdates,
    Response,
    SendChatAction,
    SendMessage,
    SendPhoto,
    SetWebhook,
    TelegramMethod,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from agents.types import Attachment, Button, Incoming, Reply
from bot.channels.base import (
    Body,
    Channel,
    ChannelError,
    ChannelName,
    Encoder,
    Inbound,
    Limits,
    RetryLater,
    split_text,
)
from bot.channels.qr import QR_KEY, qr_png_bytes
from core.errors import DomainError
from core.phone import display_phone, normalise_phone

log = logging.getLogger("shopbot.channels.telegram")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
POLL_SECONDS = 25
POLL_PAUSE = 2.0
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_BYTES = 64
PER_ROW = 2
MORE = "⋯"  # the text of a message that only carries buttons (Telegram wants some text)
SHARED = "☎️ {phone}"  # says the shared number back as the share keyboard goes away
# FloodLimit in the Bot FAQ: about one message a second per chat, 30 a second in all.
LIMITS = Limits(per_chat_interval=1.0, per_second=30.0, payload_bytes=CALLBACK_DATA_BYTES)
_METHODS: dict[str, type[TelegramMethod[Any]]] = {
    "sendMessage": SendMessage,
    "sendPhoto": SendPhoto,
    # the staff bot's cards, edited in place (bot/staff/telegram_bot.py)
    "editMessageText": EditMessageText,
    "editMessageReplyMarkup": EditMessageReplyMarkup,
    "answerCallbackQuery": AnswerCallbackQuery,
}


def make_bot(token: str, api_base: str | None) -> Bot:
    """A Bot on the official API, or on ``api_base`` (``http://host:port``) when given."""
    if api_base:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
        return Bot(token, session=session)
    return Bot(token)


class TelegramChannel(Channel):
    name: ChannelName = "telegram"
    webhook_path = "/webhooks/telegram/customer"

    def __init__(
        self, bot: Bot, *, webhook_secret: str | None = None, limits: Limits = LIMITS
    ) -> None:
        self.bot = bot
        self.webhook_secret = webhook_secret
        self.limits = limits
        # aiogram reads each answer as Response[<the method's result type>], a pydantic
        # generic that pydantic caches only weakly: unless something holds it, a garbage
        # collection drops it and the next call builds it again (~10 ms of CPU a message).
        called: list[type[TelegramMethod[Any]]] = [
            *_METHODS.values(),
            SendChatAction,
            SetWebhook,
            DeleteWebhook,
            GetUpdates,
        ]
        answer: Any = Response
        self._answer_types = [answer[m.__returning__] for m in called]

    def verify(self, headers: Mapping[str, str], raw: bytes) -> bool:
        """Telegram signs nothing; it echoes the secret token given to setWebhook."""
        given = headers.get(SECRET_HEADER)
        return (
            self.webhook_secret is not None
            and given is not None
            and hmac.compare_digest(given.encode(), self.webhook_secret.encode())
        )

    async def set_webhook(self, url: str) -> None:
        await self.bot.set_webhook(
            url, secret_token=self.webhook_secret, allowed_updates=["message", "callback_query"]
        )

    async def poll(self, accept: Callable[[dict[str, Any]], Awaitable[int]]) -> None:
        """Long polling (no public URL): each batch is stored before the offset moves past
        it, so a crash loses nothing and a restart repeats nothing."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        offset: int | None = None
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset,
                    timeout=POLL_SECONDS,
                    allowed_updates=["message", "callback_query"],
                )
            except (TelegramServerError, TelegramNetworkError, TelegramRetryAfter) as exc:
                log.warning("telegram polling: %s; trying again", type(exc).__name__)
                await asyncio.sleep(POLL_PAUSE)
                continue
            for update in updates:
                await accept(update.model_dump(mode="json", exclude_none=True, by_alias=True))
                offset = update.update_id + 1

    async def close(self) -> None:
        await self.bot.session.close()

    # --- in ----------------------------------------------------------------------------

    async def parse(self, update: dict[str, Any]) -> list[Inbound]:
        parsed = Update.model_validate(update, context={"bot": self.bot})
        message_id = f"u{parsed.update_id}"
        if parsed.callback_query is not None:
            cq = parsed.callback_query
            chat = cq.message.chat.id if cq.message is not None else cq.from_user.id
            return [
                Inbound(
                    Incoming(
                        channel="telegram",
                        chat_id=str(chat),
                        user_id=str(cq.from_user.id),
                        payload=(cq.data or "")[:200] or None,
                        message_id=message_id,
                        display_name=cq.from_user.full_name,
                    ),
                    {"callback_query_id": cq.id},
                )
            ]
        msg = parsed.message
        if msg is None or msg.from_user is None or msg.chat.type != "private":
            return []  # edits, channel posts, groups: not customer messages
        attachments: list[Attachment] = []
        if msg.photo:
            attachments.append(Attachment(kind="photo", ref=msg.photo[-1].file_id))
        if msg.location is not None:
            attachments.append(
                Attachment(
                    kind="location",
                    latitude=msg.location.latitude,
                    longitude=msg.location.longitude,
                )
            )
        extra: dict[str, Any] = {}
        text = msg.text or msg.caption
        if msg.contact is not None:
            # Only the customer's own number counts as theirs (a shared card of a friend
            # carries another user_id).
            own = msg.contact.user_id == msg.from_user.id
            phone = msg.contact.phone_number
            attachments.append(Attachment(kind="contact", phone=phone, verified=own))
            # The number answers a question as if typed; the keyboard goes on receipt.
            text = text or phone
            extra["contact"] = {"chat_id": msg.chat.id, "phone": phone}
        if text is None and not attachments:
            return []  # stickers, voice, polls: nothing the shop reads yet
        return [
            Inbound(
                Incoming(
                    channel="telegram",
                    chat_id=str(msg.chat.id),
                    user_id=str(msg.from_user.id),
                    text=(text or "")[:4000] or None,
                    message_id=message_id,
                    display_name=msg.from_user.full_name,
                    attachments=attachments,
                ),
                extra,
            )
        ]

    async def on_receipt(self, extra: dict[str, Any]) -> list[Body]:
        query = extra.get("callback_query_id")
        if query:  # stops the spinner on the pressed button (not a message: no pacing)
            await self._call(AnswerCallbackQuery(callback_query_id=str(query)))
        contact = extra.get("contact")
        if not contact:
            return []
        # the share-phone keyboard has done its job: it goes, with the number said back
        text = SHARED.format(phone=_shown_phone(str(contact["phone"])))
        return [_message(str(contact["chat_id"]), text, REMOVE_KEYBOARD)]

    reply_keyboards = True

    def settle_keyboard(self, bodies: list[Body], shown: bool) -> tuple[list[Body], bool]:
        """A share-phone keyboard stays up until a message removes it; whatever answered the
        question (a shared contact, a typed number, or the customer moving on) the first
        answer that does not ask again takes it away. A message carries one markup, so an
        inline keyboard on that message moves to a "⋯" message right after it."""
        kinds = [_keyboard_kind(b) for b in bodies]
        if shown and bodies and not any(k in ("reply", "remove") for k in kinds):
            first = copy.deepcopy(bodies[0])
            params = first["params"]
            inline = params.get("reply_markup")
            params["reply_markup"] = REMOVE_KEYBOARD
            moved = [_message(str(params["chat_id"]), MORE, inline)] if inline else []
            bodies = [first, *moved, *bodies[1:]]
            kinds = ["remove"]
        up = shown
        for kind in kinds:
            up = True if kind == "reply" else False if kind == "remove" else up
        return bodies, up

    async def typing(self, chat_id: str) -> None:
        await self._call(SendChatAction(chat_id=int(chat_id), action="typing"))

    # --- out ---------------------------------------------------------------------------

    async def render(self, chat_id: str, replies: list[Reply], encoder: Encoder) -> list[Body]:
        out: list[Body] = []
        for reply in replies:
            keyboard = await self._keyboard(reply.buttons, encoder)
            pieces = split_text(reply.text, TEXT_LIMIT)
            # One markup per message: a share-phone keyboard takes the text's place and the
            # inline buttons follow on their own message.
            if keyboard and (reply.cards or reply.qr or not pieces or reply.share_phone):
                trailing = keyboard
                keyboard = None
            else:
                trailing = None
            if reply.share_phone:
                keyboard = share_phone_keyboard(reply.share_phone)
                pieces = pieces or [MORE]
            for i, piece in enumerate(pieces):
                last = i == len(pieces) - 1
                out.append(_message(chat_id, piece, keyboard if last else None))
            for card in reply.cards:
                caption = "\n".join(x for x in (card.title, card.subtitle, card.price_text) if x)
                markup = await self._keyboard(card.buttons, encoder)
                if card.image_url:
                    params: dict[str, Any] = {
                        "chat_id": int(chat_id),
                        "photo": card.image_url,
                        "caption": caption[:CAPTION_LIMIT],
                    }
                    if markup:
                        params["reply_markup"] = markup
                    out.append({"method": "sendPhoto", "params": params})
                else:
                    out.append(_message(chat_id, caption[:TEXT_LIMIT], markup))
            if reply.qr:
                out.append(
                    {
                        "method": "sendPhoto",
                        "params": {"chat_id": int(chat_id)},
                        QR_KEY: reply.qr,
                    }
                )
            if trailing:
                out.append(_message(chat_id, MORE, trailing))
        return out

    async def _keyboard(self, buttons: list[Button], encoder: Encoder) -> dict[str, Any] | None:
        if not buttons:
            return None
        rows: list[list[dict[str, str]]] = []
        for b in buttons:
            data = await encoder.encode(b.payload)
            if len(data.encode()) > CALLBACK_DATA_BYTES:  # pragma: no cover - the codec's job
                raise ValueError("callback_data over 64 bytes")
            item = {"text": b.title, "callback_data": data}
            if (
                rows
                and len(rows[-1]) < PER_ROW
                and len(b.title) <= 16
                and len(rows[-1][0]["text"]) <= 16
            ):
                rows[-1].append(item)
            else:
                rows.append([item])
        return {"inline_keyboard": rows}

    async def deliver(self, chat_id: str, body: Body) -> str | None:
        method = _build(body)
        result = await self._call(method)
        message_id = getattr(result, "message_id", None)
        return str(message_id) if message_id is not None else None

    async def _call(self, method: TelegramMethod[Any]) -> Any:
        try:
            return await self.bot(method)
        except TelegramRetryAfter as exc:
            raise RetryLater(float(exc.retry_after), "429 too many requests") from None
        except (TelegramServerError, TelegramNetworkError) as exc:
            raise RetryLater(0.0, f"telegram unavailable: {type(exc).__name__}") from None
        except TelegramAPIError as exc:
            raise ChannelError(f"telegram refused {type(method).__name__}: {exc.message}") from None


REMOVE_KEYBOARD: dict[str, Any] = {"remove_keyboard": True}


def _keyboard_kind(body: Body) -> str | None:
    """What a message does to the reply keyboard: brings one up, removes it, or neither."""
    markup = body.get("params", {}).get("reply_markup") or {}
    if "keyboard" in markup:
        return "reply"
    return "remove" if markup.get("remove_keyboard") else None


def _message(chat_id: str, text: str, markup: dict[str, Any] | None) -> Body:
    params: dict[str, Any] = {"chat_id": int(chat_id), "text": text}
    if markup:
        params["reply_markup"] = markup
    return {"method": "sendMessage", "params": params}


def share_phone_keyboard(label: str) -> dict[str, Any]:
    """A reply keyboard of one button that sends the customer's own number (Telegram asks
    them to confirm); hidden once pressed, and removed when the contact arrives."""
    return {
        "keyboard": [[{"text": label, "request_contact": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }


def _markup(
    markup: dict[str, Any],
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove:
    """A recorded body's ``reply_markup`` as aiogram's type (bodies are stored as JSON)."""
    if "keyboard" in markup:
        return ReplyKeyboardMarkup.model_validate(markup)
    if "remove_keyboard" in markup:
        return ReplyKeyboardRemove.model_validate(markup)
    return InlineKeyboardMarkup.model_validate(markup)


def _shown_phone(raw: str) -> str:
    try:
        return display_phone(normalise_phone(raw))
    except DomainError:
        return raw


def _build(body: Body) -> TelegramMethod[Any]:
    params = dict(body["params"])
    if "reply_markup" in params:
        params["reply_markup"] = _markup(params["reply_markup"])
    if body.get(QR_KEY):
        params["photo"] = BufferedInputFile(qr_png_bytes(str(body[QR_KEY])), filename="vietqr.png")
    return _METHODS[body["method"]](**params)

"""The web chat as a channel: the page's JSON request in, the page's JSON replies out.

The platforms and the web chat take the same path: ``parse`` makes the one ``Incoming``, the
conversation service answers it, ``render`` shows the ``Reply`` list in the channel's own
widgets (for the page: the JSON its script draws as bubbles, buttons, product cards and a QR
code). What differs is the shape of the exchange. A platform posts a webhook that is answered
at once and its replies go out later through the send queue (bot/channels/runtime.py); the web
page asks and waits, so the HTTP response *is* the delivery: ``render`` makes one body, the
router returns it, and nothing is queued, paced or recorded as a send (the conversation
service stores the replies with the message, and a retried ``message_id`` gets them again).
Whatever is said later without a request (staff answering a handed-off chat) reaches the page
by its history poll (``history``), so ``deliver`` and ``notification`` have nothing to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from agents.conversation import Transcript
from agents.types import Incoming, Reply
from bot.channels.base import (
    Body,
    Channel,
    ChannelError,
    ChannelName,
    Encoder,
    Inbound,
    Limits,
    Window,
)
from core.clean_text import first_control

SESSION_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
MESSAGE_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,128}$"
PAYLOAD_LENGTH = 200
# The page sends what it was given back as it is; the rate limits are the router's (per
# session and per address), not a send pace.
LIMITS = Limits(per_chat_interval=0.0, per_second=0.0, payload_bytes=PAYLOAD_LENGTH)


class ChatIn(BaseModel):
    session_id: str = Field(pattern=SESSION_PATTERN, description="Random id kept by the page")
    text: str | None = Field(default=None, max_length=4000)
    payload: str | None = Field(
        default=None, max_length=PAYLOAD_LENGTH, description="A pressed button"
    )
    message_id: str | None = Field(
        default=None, pattern=MESSAGE_ID_PATTERN, description="Same id on retry: handled once"
    )
    language: Literal["vi", "en"] | None = None

    @field_validator("text", "payload")
    @classmethod
    def _no_control_characters(cls, value: str | None, info: ValidationInfo) -> str | None:
        # NUL cannot be stored (PostgreSQL) and other controls hide in what staff read.
        found = first_control(value or "", multiline=info.field_name == "text")
        if found is not None:
            raise ValueError(f"control character U+{ord(found):04X} is not allowed")
        return value

    @model_validator(mode="after")
    def _something(self) -> ChatIn:
        if not (self.text or "").strip() and not self.payload:
            raise ValueError("give text or payload")
        return self


class ChatOut(BaseModel):
    replies: list[Reply]
    mode: str = Field(default="bot", description="human: staff answer, poll /api/chat/history")


class HistoryMessage(BaseModel):
    id: int
    role: str
    text: str
    buttons: list[dict[str, Any]] = []
    cards: list[dict[str, Any]] = []
    qr: str | None = None


class HistoryOut(BaseModel):
    mode: str
    language: str
    messages: list[HistoryMessage]


class WebChannel(Channel):
    name: ChannelName = "web"
    limits = LIMITS
    webhook_path = "/api/chat/messages"

    def verify(self, headers: Mapping[str, str], raw: bytes) -> bool:
        """Nobody signs a page's request: the session id it carries is the customer's
        identity on this channel (like a session cookie), and the rate limits bound it."""
        return True

    def incoming(self, request: ChatIn) -> Incoming:
        """The page's (validated) request as the conversation service reads it."""
        return Incoming(
            channel="web",
            chat_id=request.session_id,
            text=request.text,
            payload=request.payload,
            message_id=request.message_id,
            language=request.language,
        )

    async def parse(self, update: dict[str, Any]) -> list[Inbound]:
        """One request is one message. The router validates the request itself (so a bad one
        is FastAPI's 422) and calls ``incoming``; this is the same for a raw body."""
        return [Inbound(self.incoming(ChatIn.model_validate(update)))]

    async def render(self, chat_id: str, replies: list[Reply], encoder: Encoder) -> list[Body]:
        """One body, the ``replies`` of the response (``ChatOut``). Buttons keep their
        payloads as they are (the page sends them back verbatim, up to ``PAYLOAD_LENGTH``),
        so ``encoder`` is unused."""
        # The page has no share-my-number button (it needs a platform that knows the number).
        shown = [r.model_dump(mode="json", exclude={"share_phone"}) for r in replies]
        return [{"replies": shown}]

    def history(self, found: Transcript) -> HistoryOut:
        """What ``GET /api/chat/history`` answers: a page restored after a reload, and staff
        answers while the chat is handed off (the web chat's "delivery" of unprompted
        messages)."""
        return HistoryOut(
            mode=found.mode,
            language=found.language,
            messages=[
                HistoryMessage(
                    id=m.id, role=m.role, text=m.text, buttons=m.buttons, cards=m.cards, qr=m.qr
                )
                for m in found.messages
            ],
        )

    async def deliver(self, chat_id: str, body: Body) -> str | None:
        raise ChannelError("the web chat is answered in the HTTP response; nothing is sent")

    async def notification(self, chat_id: str, text: str, window: Window) -> Body | None:
        """None: a page cannot be written to; what staff say shows on its history poll."""
        return None

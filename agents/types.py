"""What flows between channels, the conversation service and the responders (LLM or offline).

Channels (web chat now; Telegram, Messenger, Zalo later) turn platform events into
``Incoming`` and render ``Reply`` in their own widgets: buttons become inline keyboards or quick
replies, cards become carousels or photo messages.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from core.cards import ConfirmationCard
from core.channels import ChatChannel
from core.roles import Actor


class Button(BaseModel):
    title: str = Field(max_length=40)
    payload: str = Field(max_length=200, description="Opaque to the customer, parsed by the flow")


class ProductCard(BaseModel):
    product_id: int
    title: str
    subtitle: str = ""
    price_text: str = ""
    image_url: str | None = None
    buttons: list[Button] = []


class Reply(BaseModel):
    text: str = ""
    buttons: list[Button] = []
    cards: list[ProductCard] = []
    # A payment QR payload (VietQR) for the channel to show as a scannable code.
    qr: str | None = Field(default=None, max_length=512)
    # A card rendered by code for an action waiting for this person's yes (core/cards.py);
    # ``text`` and ``buttons`` carry the same card as plain text for channels without cards.
    card: ConfirmationCard | None = None
    # The reply asks for a phone: the label (in the customer's language) of a button that
    # sends the customer's own number, on a platform that has one (Telegram's request_contact).
    # Not stored with the message, and not part of the web chat's JSON.
    share_phone: str | None = Field(default=None, max_length=40)


class Attachment(BaseModel):
    """Something a customer shared besides text: a photo, a place, a phone number."""

    kind: Literal["photo", "location", "contact", "file"]
    ref: str | None = Field(default=None, max_length=1000, description="Platform file id or URL")
    latitude: float | None = None
    longitude: float | None = None
    phone: str | None = Field(default=None, max_length=40)
    # The platform vouches that the phone is the sender's own (Telegram's contact button).
    verified: bool = False


class Incoming(BaseModel):
    channel: ChatChannel
    chat_id: str = Field(min_length=1, max_length=128)
    text: str | None = Field(default=None, max_length=4000)
    payload: str | None = Field(default=None, max_length=200, description="A pressed button")
    message_id: str | None = Field(default=None, max_length=128, description="For de-duplication")
    display_name: str = ""
    language: Literal["vi", "en"] | None = None
    # The sender's platform account when it differs from the chat (groups); informational.
    user_id: str | None = Field(default=None, max_length=128)
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)


class TurnContext(BaseModel):
    """Everything a responder may use for one turn. The customer's identity is fixed here by
    the channel; responders pass ``actor`` to the tool runner and never take ids from text."""

    model_config = {"arbitrary_types_allowed": True}

    conversation_id: int
    customer_id: int
    actor: Actor
    channel: ChatChannel = "web"
    language: Literal["vi", "en"]
    history: list[tuple[str, str]] = []  # (role, text), oldest first, bounded window
    summary: str = ""
    # What the responder asked to keep after the conversation's previous turn (AgentTurn.memory).
    memory: dict[str, Any] = {}


class AgentTurn(BaseModel):
    replies: list[Reply]
    handoff: bool = False  # the customer asked for a person: stop answering, tell staff
    # What to keep for the next turn, stored with the conversation (None: keep what was there).
    # The service stores it and hands it back; only the responder reads it.
    memory: dict[str, Any] | None = None


class AgentUnavailable(Exception):
    """The LLM is not configured, down, too slow or misbehaving: use the offline flow."""


class Responder(Protocol):
    async def respond(self, ctx: TurnContext, text: str) -> AgentTurn: ...

"""The channel interface: what a chat platform (Telegram, Messenger, Zalo OA, the web chat)
must provide.

A channel only translates. ``parse`` turns one platform delivery into ``Inbound`` items (the
one ``Incoming`` the conversation service reads, plus what the platform needs to answer);
``render`` turns the service's ``Reply`` list into platform requests (plain JSON, so a send
can be recorded before it happens and repeated after a restart); ``deliver`` makes one such
request. Queues, de-duplication, pacing and retries are the same for every platform and live
in ``bot.channels.runtime``. The web chat answers in the HTTP response instead of a send
queue (bot/channels/web.py).
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from agents.types import Incoming, Reply

ChannelName = Literal["web", "telegram", "messenger", "zalo", "telegram_staff"]
Body = dict[str, Any]


class ChannelError(Exception):
    """A platform refused a request for good (bad token, unknown chat, a field too long)."""


class RetryLater(Exception):
    """The platform asked us to slow down (429) or failed on its side (5xx): try again."""

    def __init__(self, retry_after: float, reason: str = "") -> None:
        super().__init__(reason or f"retry after {retry_after}s")
        self.retry_after = retry_after


@dataclasses.dataclass(frozen=True)
class Inbound:
    """One customer event of a delivery, with the platform id it is de-duplicated by."""

    incoming: Incoming
    # Platform things to do on receipt (e.g. Telegram's callback query id to answer).
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def message_id(self) -> str:
        assert self.incoming.message_id is not None
        return self.incoming.message_id


@dataclasses.dataclass(frozen=True)
class Limits:
    """How fast the platform lets us send (messages per second)."""

    per_chat_interval: float  # seconds between two messages to one chat
    per_second: float  # all chats together
    payload_bytes: int  # the longest button payload the platform takes
    max_attempts: int = 6


@dataclasses.dataclass(frozen=True)
class Window:
    """Where a chat stands in the platform's messaging window when we want to write."""

    last_inbound_at: datetime | None
    sent_since_inbound: int
    last_message_id: str | None


class Encoder(abc.ABC):
    """Turns a button payload into what fits the platform (``bot.channels.payloads``)."""

    @abc.abstractmethod
    async def encode(self, payload: str) -> str: ...


class Channel(abc.ABC):
    name: ChannelName
    limits: Limits
    webhook_path: str  # where the platform POSTs its deliveries
    # Every payload becomes a ``~token`` (a platform that sends a press back as typed text).
    payloads_as_tokens: bool = False

    @abc.abstractmethod
    def verify(self, headers: Mapping[str, str], raw: bytes) -> bool:
        """Whether a webhook delivery really comes from the platform (signature, secret)."""

    async def start(self) -> None:
        """Opens clients; called once before the first delivery."""
        # nothing by default
        return

    async def close(self) -> None:
        """Closes clients."""
        # nothing by default
        return

    @abc.abstractmethod
    async def parse(self, update: dict[str, Any]) -> list[Inbound]:
        """The customer events of one delivery (receipts, echoes and the like are dropped)."""

    @abc.abstractmethod
    async def render(self, chat_id: str, replies: list[Reply], encoder: Encoder) -> list[Body]:
        """Platform requests that show ``replies`` in this chat, in order."""

    @abc.abstractmethod
    async def deliver(self, chat_id: str, body: Body) -> str | None:
        """Sends one request; the platform's message id. Raises RetryLater or ChannelError."""

    async def notification(self, chat_id: str, text: str, window: Window) -> Body | None:
        """A request that tells this chat ``text`` unprompted (an order changed), or None when
        the platform does not allow writing to it now."""
        bodies = await self.render(chat_id, [Reply(text=text)], PLAIN)
        return bodies[0] if bodies else None

    def replies_allowed(self, window: Window) -> bool:
        """Whether a full reply (cards, buttons, photos) may be sent to this chat now, outside
        a turn (a staff answer); when not, only what ``notification`` allows goes."""
        return True

    async def on_receipt(self, inbound_extra: dict[str, Any]) -> list[Body]:
        """Does what the platform expects as soon as an event is taken (e.g. answering a
        button) and returns the messages that acknowledge it, to go out (recorded and paced
        like every message) ahead of the answer."""
        return []

    # A platform whose reply keyboards stay up until a message takes them away (Telegram's
    # share-phone button): the runtime keeps whether one is up per chat and lets the channel
    # settle it on each answer.
    reply_keyboards = False

    def settle_keyboard(self, bodies: list[Body], shown: bool) -> tuple[list[Body], bool]:
        """``bodies`` adjusted so a reply keyboard no reply asks for any more goes away, and
        whether one is up after them."""
        return bodies, False

    async def typing(self, chat_id: str) -> None:
        """Shows that an answer is being written, where the platform can."""
        # nothing by default
        return


class _Plain(Encoder):
    async def encode(self, payload: str) -> str:
        return payload


PLAIN = _Plain()  # payloads as they are (a notification's, the web chat's)


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at a paragraph, line or word end where
    there is one in the second half of the piece."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = rest.rfind(sep, limit // 2, limit)
            if cut > 0:
                break
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces

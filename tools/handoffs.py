"""The handoff inbox: chats waiting for a person, taken by one staff member, answered, handed back.

A handoff row is opened by ``request_handoff`` and closed by ``hand_back_conversation``
(tools/conversations.py). Taking one is a conditional UPDATE (``taken_by IS NULL``): of two
staff pressing "take" together, exactly one wins and the other is told who has it.

Staff replies are chat messages with role "staff". The web chat shows them from its history;
for every other channel an outbox event ``chat.staff_reply`` carries the reply to the channel's
send worker (payload in docs/staff-desk.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, field_validator

from core.errors import Conflict, InvalidInput, NotFound
from core.vietqr import is_payload
from storage import handoffs as store
from storage.models import ChatMessage, Conversation, Handoff
from tools.context import ToolContext
from tools.registry import SALES, tool
from tools.staff_access import SYSTEM_ONLY

LAST_MESSAGES = 5
# Channels whose page reads replies from the conversation's history; the rest need sending.
READS_HISTORY = frozenset({"web"})


class ListHandoffsIn(BaseModel):
    include_taken: bool = Field(default=True, description="Also those a colleague has taken")
    limit: int = Field(default=50, ge=1, le=200)


class InboxMessage(BaseModel):
    role: str
    text: str
    at: datetime


class HandoffOut(BaseModel):
    id: int
    conversation_id: int
    channel: str
    customer_id: int | None
    customer_name: str
    language: str
    reason: str
    requested_at: datetime
    waiting_seconds: int
    taken_by: int | None
    taken_by_name: str | None
    last_messages: list[InboxMessage]


class ListHandoffsOut(BaseModel):
    handoffs: list[HandoffOut]


async def _handoff_out(ctx: ToolContext, h: Handoff) -> HandoffOut:
    entry = await store.inbox_entry(ctx.tx, h, LAST_MESSAGES)
    conv = entry.conversation
    return HandoffOut(
        id=h.id,
        conversation_id=conv.id,
        channel=conv.channel,
        customer_id=conv.customer_id,
        customer_name=entry.customer_name or f"#{conv.customer_id}",
        language=conv.language,
        reason=h.reason,
        requested_at=h.requested_at,
        waiting_seconds=max(0, int((ctx.now - h.requested_at).total_seconds())),
        taken_by=h.taken_by,
        taken_by_name=entry.taker_name,
        last_messages=[
            InboxMessage(role=m.role, text=m.text, at=m.created_at) for m in entry.last_messages
        ],
    )


@tool(
    name="list_handoffs",
    description="""The handoff inbox: chats waiting for a person, oldest first, with the
    customer, channel, reason, waiting time, who took it and the last messages.""",
    roles=SALES,
    write=False,
)
async def list_handoffs(ctx: ToolContext, inp: ListHandoffsIn) -> ListHandoffsOut:
    found = await store.open_handoffs(ctx.tx, include_taken=inp.include_taken, limit=inp.limit)
    return ListHandoffsOut(handoffs=[await _handoff_out(ctx, h) for h in found])


class HandoffRef(BaseModel):
    handoff_id: int = Field(gt=0)


async def _open_handoff(ctx: ToolContext, handoff_id: int) -> Handoff:
    h = await store.handoff(ctx.tx, handoff_id)
    if h is None:
        raise NotFound("That handoff was not found.", field="handoff_id", code="unknown_handoff")
    if h.ended_at is not None:
        raise Conflict(
            "That chat was already handed back to the assistant.",
            field="handoff_id",
            code="handoff_ended",
        )
    return h


async def _taken_elsewhere(ctx: ToolContext, h: Handoff) -> Conflict:
    taker = await store.staff_name(ctx.tx, h.taken_by)
    return Conflict(
        f"{taker or 'Someone'} is already answering this chat.",
        field="handoff_id",
        code="handoff_taken",
        details={"taken_by": h.taken_by},
    )


@tool(
    name="take_handoff",
    description="""Take a waiting chat: you answer this customer from now on. Refused when a
    colleague took it first.""",
    roles=SALES,
)
async def take_handoff(ctx: ToolContext, inp: HandoffRef) -> HandoffOut:
    h = await _open_handoff(ctx, inp.handoff_id)
    if ctx.actor.staff_id is None:
        raise InvalidInput("Only a staff member can take a chat.", field="handoff_id")
    if h.taken_by == ctx.actor.staff_id:
        return await _handoff_out(ctx, h)
    if not await store.take(ctx.tx, h, ctx.actor.staff_id):
        raise await _taken_elsewhere(ctx, h)
    ctx.emit(
        "handoff.taken",
        f"conversation:{h.conversation_id}",
        {"handoff_id": h.id, "conversation_id": h.conversation_id, "by": ctx.actor.label},
    )
    return await _handoff_out(ctx, h)


class StaffCardIn(BaseModel):
    """A product card in a staff reply (the chat's ProductCard shape)."""

    product_id: int = Field(gt=0)
    title: str = Field(max_length=300)
    subtitle: str = Field(default="", max_length=300)
    price_text: str = Field(default="", max_length=100)
    image_url: str | None = Field(default=None, max_length=1000)
    buttons: list[dict[str, str]] = Field(default=[], max_length=3)


class ReplyIn(HandoffRef):
    text: str = Field(default="", max_length=4000)
    cards: list[StaffCardIn] = Field(default=[], max_length=10)
    qr: str | None = Field(default=None, max_length=512, description="A VietQR payload")

    @field_validator("qr")
    @classmethod
    def _qr(cls, value: str | None) -> str | None:
        if value is not None and not is_payload(value):
            raise ValueError("not a VietQR payload")
        return value


class StaffReplyOut(BaseModel):
    message_id: int
    conversation_id: int
    channel: str
    delivered_by: str = Field(description="history: the page shows it; outbox: sent by a worker")


async def post_to_customer(
    ctx: ToolContext,
    conv: Conversation,
    *,
    role: str,
    text: str,
    payload: dict[str, Any],
    kind: str,
) -> StaffReplyOut:
    """A message written into the customer's chat, and the outbox event that delivers it on
    channels that do not read the history."""
    msg = await store.add_message(
        ctx.tx,
        conv,
        ChatMessage(
            conversation_id=conv.id, role=role, text=text, payload=payload, created_at=ctx.now
        ),
    )
    by_history = conv.channel in READS_HISTORY
    if not by_history:
        ctx.emit(
            "chat.staff_reply",
            f"conversation:{conv.id}",
            {
                "message_id": msg.id,
                "conversation_id": conv.id,
                "channel": conv.channel,
                "chat_id": conv.chat_id,
                "language": conv.language,
                "kind": kind,
                "text": text,
                "cards": payload.get("cards", []),
                "qr": payload.get("qr"),
                "by": ctx.actor.label,
            },
        )
    return StaffReplyOut(
        message_id=msg.id,
        conversation_id=conv.id,
        channel=conv.channel,
        delivered_by="history" if by_history else "outbox",
    )


@tool(
    name="reply_to_customer",
    description="""Answer the customer of a chat you have taken: text, product cards and a
    payment QR code. The customer sees it on their channel.""",
    roles=SALES,
)
async def reply_to_customer(ctx: ToolContext, inp: ReplyIn) -> StaffReplyOut:
    if not inp.text.strip() and not inp.cards and not inp.qr:
        raise InvalidInput("Write something to send.", field="text")
    h = await _open_handoff(ctx, inp.handoff_id)
    if h.taken_by is None:
        raise Conflict("Take this chat first.", field="handoff_id", code="take_first")
    if ctx.actor.staff_id is not None and h.taken_by != ctx.actor.staff_id:
        raise await _taken_elsewhere(ctx, h)
    conv = await store.conversation_of(ctx.tx, h)
    payload: dict[str, Any] = {}
    if inp.cards:
        payload["cards"] = [c.model_dump() for c in inp.cards]
    if inp.qr:
        payload["qr"] = inp.qr
    return await post_to_customer(
        ctx, conv, role="staff", text=inp.text.strip(), payload=payload, kind="staff_reply"
    )


class RemindIn(BaseModel):
    after_minutes: int = Field(ge=1, le=7 * 24 * 60)
    message_vi: str = Field(min_length=1, max_length=1000)
    message_en: str = Field(min_length=1, max_length=1000)


class RemindOut(BaseModel):
    reminded_handoff_ids: list[int]


@tool(
    name="remind_waiting_customers",
    description="""Tell each customer who has waited for a person longer than after_minutes,
    with no staff answer yet, that they are not forgotten: once per handoff.""",
    roles=SYSTEM_ONLY,
)
async def remind_waiting_customers(ctx: ToolContext, inp: RemindIn) -> RemindOut:
    cutoff = ctx.now - timedelta(minutes=inp.after_minutes)
    done: list[int] = []
    for handoff_id in await store.waiting_unanswered(ctx.tx, cutoff, limit=200):
        conv = await store.mark_reminded(ctx.tx, handoff_id)
        if conv is None:
            continue
        text = inp.message_en if conv.language == "en" else inp.message_vi
        # Role "staff": the web chat shows staff messages while a chat is handed off.
        await post_to_customer(ctx, conv, role="staff", text=text, payload={}, kind="reminder")
        done.append(handoff_id)
    return RemindOut(reminded_handoff_ids=done)

"""The handoff inbox's queries: open handoffs, what the inbox shows of each, taking one,
reminding customers who wait, and the chat messages staff write.

Taking and reminding are conditional UPDATEs, so two staff (or two workers) racing on one
handoff end with one winner; the callers only learn whether they won.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, select, update

from storage.database import Tx
from storage.models import ChatMessage, Conversation, Customer, Handoff, StaffMember


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """What the inbox shows of a handoff besides the row itself."""

    conversation: Conversation
    customer_name: str  # "" when the customer has none (or there is no customer)
    taker_name: str | None
    last_messages: list[ChatMessage]  # oldest first


async def handoff(tx: Tx, handoff_id: int) -> Handoff | None:
    return await tx.session.get(Handoff, handoff_id)


async def conversation_of(tx: Tx, h: Handoff) -> Conversation:
    conv = await tx.session.get(Conversation, h.conversation_id)
    assert conv is not None  # a foreign key
    return conv


async def staff_name(tx: Tx, staff_id: int | None) -> str | None:
    """The name of whoever took a handoff, None when nobody has."""
    taker = await tx.session.get(StaffMember, staff_id) if staff_id else None
    return taker.name if taker else None


async def open_handoffs(tx: Tx, *, include_taken: bool, limit: int) -> list[Handoff]:
    """Handoffs not handed back yet, longest waiting first."""
    q = select(Handoff).where(Handoff.ended_at.is_(None))
    if not include_taken:
        q = q.where(Handoff.taken_by.is_(None))
    q = q.order_by(Handoff.requested_at, Handoff.id).limit(limit)
    return list((await tx.session.execute(q)).scalars())


async def inbox_entry(tx: Tx, h: Handoff, last: int) -> InboxEntry:
    """The handoff's conversation, customer and taker names, and its ``last`` messages."""
    conv = await conversation_of(tx, h)
    customer = await tx.session.get(Customer, conv.customer_id) if conv.customer_id else None
    rows = (
        await tx.session.execute(
            select(ChatMessage)
            .where(ChatMessage.conversation_id == conv.id)
            .order_by(ChatMessage.id.desc())
            .limit(last)
        )
    ).scalars()
    return InboxEntry(
        conversation=conv,
        customer_name=customer.name if customer else "",
        taker_name=await staff_name(tx, h.taken_by),
        last_messages=list(reversed(list(rows))),
    )


async def take(tx: Tx, h: Handoff, staff_id: int) -> bool:
    """Gives the open, untaken handoff to this staff member; False when someone was first.
    Either way ``h`` is re-read, so the caller sees who holds it now."""
    won = await tx.session.execute(
        update(Handoff)
        .where(Handoff.id == h.id, Handoff.taken_by.is_(None), Handoff.ended_at.is_(None))
        .values(taken_by=staff_id, taken_at=tx.now)
        .execution_options(synchronize_session=False)
    )
    await tx.session.refresh(h)
    return bool(won.rowcount)  # type: ignore[attr-defined]


async def waiting_unanswered(tx: Tx, since: datetime, limit: int) -> list[int]:
    """Open handoffs requested at or before ``since``, not reminded yet, with no staff message
    since they were requested (oldest first)."""
    answered = exists().where(
        and_(
            ChatMessage.conversation_id == Handoff.conversation_id,
            ChatMessage.role == "staff",
            ChatMessage.created_at >= Handoff.requested_at,
        )
    )
    rows = await tx.session.execute(
        select(Handoff.id)
        .where(
            Handoff.ended_at.is_(None),
            Handoff.reminded_at.is_(None),
            Handoff.requested_at <= since,
            ~answered,
        )
        .order_by(Handoff.id)
        .limit(limit)
    )
    return list(rows.scalars())


async def mark_reminded(tx: Tx, handoff_id: int) -> Conversation | None:
    """Marks the handoff reminded and returns its conversation; None when it already was
    (a worker running twice, or two workers, remind each customer once)."""
    marked = await tx.session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.reminded_at.is_(None))
        .values(reminded_at=tx.now)
        .execution_options(synchronize_session=False)
    )
    if not marked.rowcount:  # type: ignore[attr-defined]
        return None
    conv_id = await tx.session.scalar(
        select(Handoff.conversation_id).where(Handoff.id == handoff_id)
    )
    return await tx.session.get(Conversation, conv_id)


async def add_message(tx: Tx, conv: Conversation, message: ChatMessage) -> ChatMessage:
    """Writes a message into the conversation and marks it active now; flushed for its id."""
    tx.session.add(message)
    conv.updated_at = message.created_at
    await tx.session.flush()
    return message

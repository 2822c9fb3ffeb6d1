"""Conversations as the handoff tools see them: found (and locked) for a mode change, their
last customer message, and handoffs opened and ended. The chat turn's own reads and writes are
storage.chat's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from storage.database import Tx
from storage.models import ChatMessage, Conversation, Handoff


async def latest_of_customer(tx: Tx, customer_id: int) -> Conversation | None:
    """The customer's most recently active conversation."""
    found: Conversation | None = await tx.session.scalar(
        select(Conversation)
        .where(Conversation.customer_id == customer_id)
        .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
        .limit(1)
    )
    return found


async def lock_conversation(tx: Tx, conversation_id: int) -> Conversation | None:
    """The conversation, its row locked: two mode changes of one chat queue up."""
    return await tx.session.get(Conversation, conversation_id, with_for_update=True)


async def last_customer_message(tx: Tx, conversation_id: int) -> str | None:
    found: str | None = await tx.session.scalar(
        select(ChatMessage.text)
        .where(ChatMessage.conversation_id == conversation_id, ChatMessage.role == "customer")
        .order_by(ChatMessage.id.desc())
        .limit(1)
    )
    return found


async def open_handoff(tx: Tx, conversation_id: int, reason: str, at: datetime) -> Handoff:
    """A new handoff of the conversation to staff; its id is known on return."""
    handoff = Handoff(conversation_id=conversation_id, reason=reason, requested_at=at)
    tx.session.add(handoff)
    await tx.session.flush()
    return handoff


async def end_handoffs(tx: Tx, conversation_id: int, at: datetime) -> None:
    """Every handoff of the conversation still open ends at ``at``."""
    await tx.session.execute(
        update(Handoff)
        .where(Handoff.conversation_id == conversation_id, Handoff.ended_at.is_(None))
        .values(ended_at=at)
    )


__all__ = [
    "end_handoffs",
    "last_customer_message",
    "latest_of_customer",
    "lock_conversation",
    "open_handoff",
]

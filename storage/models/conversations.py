"""Chat conversations per channel and chat, their messages, and who is answering (bot or staff)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigId, Json, UTCDateTime, utcnow


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("channel", "chat_id"),
        Index("ix_conversations_customer_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))  # web, telegram, messenger, zalo
    chat_id: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    language: Mapped[str] = mapped_column(String(5), default="vi")
    # "bot": the agent or the offline flow answers; "human": handed off, the bot stays silent.
    mode: Mapped[str] = mapped_column(String(10), default="bot")
    # The offline flow's state (step, cart, checkout answers), kept between messages.
    flow_state: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # What the LLM agent keeps between messages (the quote it last showed), opaque to the rest:
    # in the row, not in a process, so a restart or another worker continues the same chat.
    agent_memory: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # A running summary of turns older than the agent's window.
    summary: Mapped[str] = mapped_column(Text, default="")
    summarized_upto_id: Mapped[int] = mapped_column(BigId, default=0)
    # Set when the customer was told once that the assistant is in menu mode.
    fallback_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    # The confirmation card the latest reply ended with (pending_actions.token): a typed yes or
    # no in the next message answers that card and no other.
    card_token: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (
        # Platforms retry deliveries: the same inbound message is handled once.
        UniqueConstraint("conversation_id", "external_id"),
        Index("ix_chat_messages_conversation_id_id", "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(12))  # customer, assistant, staff, system
    text: Mapped[str] = mapped_column(Text, default="")
    # Buttons and cards shown with an assistant message, or the button a customer pressed.
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    external_id: Mapped[str | None] = mapped_column(String(128))
    # For the shop's replies: the customer message they answer (a retried delivery of that
    # message gets these replies again).
    reply_to_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

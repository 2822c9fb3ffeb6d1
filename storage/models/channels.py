"""What the chat channels (Telegram, Messenger, Zalo OA) keep so that nothing is done twice.

* ``channel_inbox``: every platform update, stored under (channel, platform message id) before
  the webhook answers: a retried delivery finds its row and is not handled again, and an
  update whose processing a crash interrupted is picked up at the next start.
* ``channel_sends``: every outgoing message, recorded under an idempotency key before it is
  sent and marked after: a restart sends what was never tried and never re-sends what may
  have gone out.
* ``channel_payloads``: button payloads too long for a platform (Telegram's 64 bytes), kept
  here under a short token.
* ``channel_chats``: when each chat last wrote in, for the platforms' messaging windows, and
  which worker answers it for now (a lease), so several workers share the inbox and each
  chat's events are still handled one after the other.
* ``channel_secrets``: tokens a channel rotates itself (Zalo OA), encrypted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigId, Json, UTCDateTime, utcnow


class ChannelInbox(Base):
    __tablename__ = "channel_inbox"
    __table_args__ = (
        UniqueConstraint("channel", "message_id"),
        Index("ix_channel_inbox_pending", "done", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str] = mapped_column(String(128))
    chat_id: Mapped[str] = mapped_column(String(128))
    # The parsed Incoming plus what the channel needs to answer (e.g. a callback query id).
    body: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    done: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChannelSend(Base):
    __tablename__ = "channel_sends"
    __table_args__ = (
        UniqueConstraint("channel", "idempotency_key"),
        Index("ix_channel_sends_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(128))
    idempotency_key: Mapped[str] = mapped_column(String(160))
    # The platform request (method and parameters), so a restart sends exactly this.
    body: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # pending -> sending -> sent | failed; skipped (outside the platform's window);
    # uncertain (a crash while sending: it may have gone out, so it is never sent again).
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    platform_message_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChannelPayload(Base):
    __tablename__ = "channel_payloads"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChannelChat(Base):
    __tablename__ = "channel_chats"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(128))
    last_inbound_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Messages sent since the customer last wrote (Zalo counts replies per window).
    sent_since_inbound: Mapped[int] = mapped_column(Integer, default=0)
    # The platform's id of the customer's last message (Zalo replies quote it).
    last_message_id: Mapped[str | None] = mapped_column(String(128))
    # The `shopbot worker` answering this chat until lease_until (renewed while it is busy
    # with it): another worker takes the chat's events only once the lease has run out.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A reply keyboard (Telegram's share-phone button) is up in this chat: the next answer
    # that does not ask for the phone again takes it away.
    reply_keyboard: Mapped[bool] = mapped_column(default=False)


class ChannelSecret(Base):
    __tablename__ = "channel_secrets"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Actions waiting for a person's yes: what an agent asked to run, and the card it showed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigId, Json, UTCDateTime, utcnow


class PendingAction(Base):
    """One proposed tool call, frozen: the exact arguments that run if (and only if) the same
    person confirms the card rendered from them. ``status`` moves once: pending -> done,
    cancelled, superseded, expired or failed."""

    __tablename__ = "pending_actions"
    __table_args__ = (
        Index("ix_pending_actions_conversation_id_status", "conversation_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token: Mapped[str] = mapped_column(String(24), unique=True)  # in button payloads
    tool: Mapped[str] = mapped_column(String(60))
    args: Mapped[dict[str, Any]] = mapped_column(Json)
    card: Mapped[dict[str, Any]] = mapped_column(Json)
    actor: Mapped[str] = mapped_column(String(60))  # Actor.label of who must confirm
    conversation_id: Mapped[int | None] = mapped_column(BigInteger)
    surface: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(12), default="pending")
    result: Mapped[dict[str, Any] | None] = mapped_column(Json)
    error_code: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

"""Staff and API keys, the audit log, and the outbox of domain events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigId, Json, UTCDateTime, utcnow


class StaffMember(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(Base):
    """Only a SHA-256 of the key is stored: keys are 256-bit random, so no slow hash is needed."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in listings to tell keys apart
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    # No secondary index: the log is append-only and written on every call; id order is time
    # order, and the rare search by tool scans a bounded id range.

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(20))
    tool: Mapped[str] = mapped_column(String(60))
    surface: Mapped[str] = mapped_column(String(20), default="")
    args: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    outcome: Mapped[str] = mapped_column(String(40))  # "ok" or the error code
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)


class OutboxEvent(Base):
    """Written in the same transaction as the change it reports, so consumers see exactly what
    committed. Consumers read with storage/outbox.py, in (txid, id) order."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_txid_id", "txid", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The writing transaction's id on PostgreSQL (0 on SQLite, whose writers run one at a
    # time): ids are taken at insert but transactions commit in another order, so a reader
    # that went by id alone could pass an event committed late with a smaller id.
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    topic: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(60))  # e.g. "order:12", "variant:7"
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxCursor(Base):
    """How far one consumer (staff notifications, a marketplace's stock push...) has read."""

    __tablename__ = "outbox_cursors"

    consumer: Mapped[str] = mapped_column(String(60), primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcessedMessage(Base):
    """Inbound messages and webhooks seen, by (source, external id): platforms retry."""

    __tablename__ = "processed_messages"
    __table_args__ = (
        Index("uq_processed_messages_source_external_id", "source", "external_id", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ToolResult(Base):
    """The answer of a write-tool call made with an idempotency key (tools/idempotency.py): a
    retry of the same request gets it back instead of doing the work twice."""

    __tablename__ = "tool_results"
    __table_args__ = (Index("uq_tool_results_tool_key", "tool", "key", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tool: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(60))  # only the same caller may replay it
    request_hash: Mapped[str] = mapped_column(String(64))  # the same key for another request
    result: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

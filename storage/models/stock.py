"""Stock per variant and warehouse, its append-only ledger, and time-boxed holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigId, Json, UTCDateTime, utcnow


class StockLevel(Base):
    """available = on_hand - reserved; the CHECKs make overselling impossible at the database."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint("variant_id", "warehouse_id"),
        CheckConstraint("on_hand >= 0", name="on_hand_nonneg"),
        CheckConstraint("reserved >= 0", name="reserved_nonneg"),
        CheckConstraint("reserved <= on_hand", name="reserved_le_on_hand"),
        Index("ix_stock_levels_warehouse_id", "warehouse_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    # The latest expiry of any hold ever put on this row (None: never held). Written with the
    # hold, under the row's lock: a row whose holds_until has passed has no live hold, so
    # lock_levels need not count holds for it (docs/stock.md, Locking).
    holds_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class StockMove(Base):
    """One row per change of on_hand or reserved; sums per (variant, warehouse) equal the level."""

    __tablename__ = "stock_moves"
    __table_args__ = (
        CheckConstraint(
            "reason IN ('initial', 'receipt', 'reservation', 'release', 'shipment', "
            "'return_restock', 'damaged', 'stocktake', 'transfer_out', 'transfer_in', "
            "'adjustment')",
            name="reason",
        ),
        Index("ix_stock_moves_variant_warehouse", "variant_id", "warehouse_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    delta_on_hand: Mapped[int] = mapped_column(Integer, default=0)
    delta_reserved: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(20))
    ref_type: Mapped[str | None] = mapped_column(String(30))
    ref_id: Mapped[int | None] = mapped_column(BigId)
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(60), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Quote(Base):
    """A priced basket shown to a customer; its holds keep the stock until it expires or is used."""

    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open, used
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockHold(Base):
    """A soft, time-boxed claim on stock. Counts against availability only while not expired."""

    __tablename__ = "stock_holds"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_pos"),
        Index(
            "ix_stock_holds_variant_warehouse_expires", "variant_id", "warehouse_id", "expires_at"
        ),
        Index("ix_stock_holds_quote_id", "quote_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StockWriteOff(Base):
    """Goods written off as damaged (value kept for reports), with where they came from."""

    __tablename__ = "stock_write_offs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_cost: Mapped[int] = mapped_column(Integer, default=0)
    ref_type: Mapped[str | None] = mapped_column(String(30))
    ref_id: Mapped[int | None] = mapped_column(BigId)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

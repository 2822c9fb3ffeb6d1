"""Stocktakes and returns: the warehouse's counting and the goods that come back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigId, UTCDateTime, utcnow


class Stocktake(Base):
    __tablename__ = "stocktakes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    status: Mapped[str] = mapped_column(String(12), default="open")  # open, applied, cancelled
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StocktakeLine(Base):
    __tablename__ = "stocktake_lines"
    __table_args__ = (
        UniqueConstraint("stocktake_id", "variant_id"),
        CheckConstraint("counted >= 0", name="counted_nonneg"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    # on_hand when the count was recorded: the variance is counted - expected, so goods that
    # move after the count are not counted twice when the stocktake is applied later.
    expected: Mapped[int] = mapped_column(Integer)
    counted: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReturnRequest(Base):
    __tablename__ = "returns"
    __table_args__ = (
        CheckConstraint("refund_amount >= 0", name="refund_nonneg"),
        Index("ix_returns_order_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    status: Mapped[str] = mapped_column(
        String(12), default="requested"
    )  # requested, received, refund_only, cancelled
    reason: Mapped[str] = mapped_column(Text, default="")
    # Why a refund-only return brought no goods back (lost_in_transit, buyer_keeps_item...).
    no_goods_reason: Mapped[str | None] = mapped_column(String(30))
    refund_amount: Mapped[int] = mapped_column(Integer, default=0)
    refund_status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, refunded
    refund_method: Mapped[str | None] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def number(self) -> str:
        return f"RT{self.id:05d}"


class ReturnLine(Base):
    __tablename__ = "return_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_pos"),
        CheckConstraint("good + damaged <= quantity", name="received_le_quantity"),
        Index("ix_return_lines_return_id", "return_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    good: Mapped[int] = mapped_column(Integer, default=0)
    damaged: Mapped[int] = mapped_column(Integer, default=0)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))

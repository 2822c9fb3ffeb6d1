"""Orders, their lines (prices and VAT snapshotted) and their event history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.channels import SALES_CHANNELS
from storage.base import Base, BigId, UTCDateTime, utcnow

CHANNELS = SALES_CHANNELS


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        CheckConstraint("discount >= 0", name="discount_nonneg"),
        CheckConstraint("shipping_fee >= 0", name="shipping_fee_nonneg"),
        CheckConstraint("cod_amount >= 0", name="cod_nonneg"),
        CheckConstraint("shipping_payer IN ('buyer', 'seller')", name="shipping_payer"),
        Index("ix_orders_customer_id", "customer_id"),
        Index("ix_orders_status", "status"),
        Index("ix_orders_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str | None] = mapped_column(String(128))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(20), default="new")
    buyer_name: Mapped[str] = mapped_column(String(200), default="")
    # The buyer's name folded (no accents, lower case): staff type "hanh" for "Hạnh".
    buyer_search: Mapped[str] = mapped_column(String(200), default="")
    buyer_phone: Mapped[str | None] = mapped_column(String(20))
    address_line: Mapped[str] = mapped_column(Text, default="")
    ward: Mapped[str] = mapped_column(String(120), default="")
    district: Mapped[str] = mapped_column(String(120), default="")
    province: Mapped[str] = mapped_column(String(120), default="")
    subtotal: Mapped[int] = mapped_column(Integer, default=0)
    discount: Mapped[int] = mapped_column(Integer, default=0)
    vat_total: Mapped[int] = mapped_column(Integer, default=0)
    # The parcel's shipping fee, whoever pays it (shipping_payer); the buyer's total includes
    # it unless the seller pays.
    shipping_fee: Mapped[int] = mapped_column(Integer, default=0)
    # True: the fee is the shop's rule (flat fee, free above a threshold), applied again when
    # the lines or the discount change; False: staff set it.
    shipping_auto: Mapped[bool] = mapped_column(Boolean, default=True)
    shipping_payer: Mapped[str] = mapped_column(String(6), default="buyer")
    total: Mapped[int] = mapped_column(Integer, default=0)
    cod_amount: Mapped[int] = mapped_column(Integer, default=0)
    payment_method: Mapped[str] = mapped_column(String(20), default="cod")
    payment_status: Mapped[str] = mapped_column(String(20), default="unpaid")
    paid_amount: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def number(self) -> str:
        return order_number(self.id)


def order_number(order_id: int) -> str:
    """What people read and say: DH000123."""
    return f"DH{order_id:06d}"


def parse_order_number(text: str) -> int | None:
    t = text.strip().upper()
    if t.startswith("DH"):
        t = t[2:]
    t = t.lstrip("#")
    return int(t) if t.isdigit() else None


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_pos"),
        CheckConstraint("reserved >= 0 AND reserved <= quantity", name="reserved_range"),
        Index("ix_order_lines_order_id", "order_id"),
        Index("ix_order_lines_variant_id", "variant_id"),
        # Lines waiting for stock (never allocated a warehouse), per variant in placement
        # order: what newly available stock is offered to (tools/waiting.py).
        Index(
            "ix_order_lines_unallocated",
            "variant_id",
            "order_id",
            postgresql_where=text("warehouse_id IS NULL"),
            sqlite_where=text("warehouse_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(400))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Integer)
    vat_rate: Mapped[int] = mapped_column(Integer)
    unit_cost: Mapped[int] = mapped_column(Integer, default=0)
    discount: Mapped[int] = mapped_column(Integer, default=0)
    vat_amount: Mapped[int] = mapped_column(Integer, default=0)
    line_total: Mapped[int] = mapped_column(Integer, default=0)  # gross, after discount
    # Where the stock is held: one warehouse per line; reserved is 0 until it is allocated.
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    reserved: Mapped[int] = mapped_column(Integer, default=0)


class OrderEvent(Base):
    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order_id", "order_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # created, status, edited, payment
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(60))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

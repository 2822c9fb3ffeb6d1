"""Warehouses, products and their variants."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import Base, BigId, Json, UTCDateTime, utcnow


class Warehouse(Base):
    __tablename__ = "warehouses"
    __table_args__ = (CheckConstraint("kind IN ('main', 'sub', 'branch')", name="kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text, default="")
    manager: Mapped[str] = mapped_column(String(200), default="")  # person in charge
    phone: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10), default="main")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(120), default="", index=True)
    brand: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    specs: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    media: Mapped[list[str]] = mapped_column(Json, default=list)
    # Names of the variant attributes, at most 3, e.g. ["Màu", "Size"].
    attributes: Mapped[list[str]] = mapped_column(Json, default=list)
    # Optional English for the category, attribute names and values (core/labels.py).
    labels_en: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # Folded (no diacritics, lower case) name, brand, category, code and variant text.
    search_text: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", order_by="Variant.id", lazy="raise"
    )


class Variant(Base):
    __tablename__ = "variants"
    __table_args__ = (
        CheckConstraint("cost_price >= 0", name="cost_price_nonneg"),
        CheckConstraint("sale_price >= 0", name="sale_price_nonneg"),
        CheckConstraint("vat_rate IN (0, 5, 8, 10)", name="vat_rate"),
        Index("ix_variants_product_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    barcode: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Attribute name -> value, in the product's attribute order.
    options: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    cost_price: Mapped[int] = mapped_column(Integer, default=0)
    sale_price: Mapped[int] = mapped_column(Integer)
    vat_rate: Mapped[int] = mapped_column(Integer, default=10)
    reorder_point: Mapped[int] = mapped_column(Integer, default=5)
    weight_grams: Mapped[int] = mapped_column(Integer, default=300)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship(back_populates="variants", lazy="raise")

"""Customers, merged across channels: phones, addresses and channel identities point at one row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigId, UTCDateTime, utcnow


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(200))
    company_name: Mapped[str | None] = mapped_column(String(300))
    tax_code: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5), default="vi")
    note: Mapped[str] = mapped_column(Text, default="")
    # Folded (no diacritics, lower case) name, company and email: "nguyen" finds "Nguyễn".
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Set when this customer was merged into another; lookups follow it.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerPhone(Base):
    __tablename__ = "customer_phones"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    phone: Mapped[str] = mapped_column(String(20), unique=True)  # E.164


class CustomerPhoneClaim(Base):
    """A phone a customer gave (at checkout) that another customer already has.

    Anyone can type a number, so it proves nothing: the phone is kept on the customer who gave
    it, unconfirmed, and the two records are linked for staff to merge (docs/customers.md)."""

    __tablename__ = "customer_phone_claims"
    __table_args__ = (
        UniqueConstraint("customer_id", "phone"),
        Index("ix_customer_phone_claims_phone", "phone"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerAddress(Base):
    __tablename__ = "customer_addresses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(20))
    line: Mapped[str] = mapped_column(Text)  # house number and street
    ward: Mapped[str] = mapped_column(String(120), default="")
    district: Mapped[str] = mapped_column(String(120), default="")
    province: Mapped[str] = mapped_column(String(120), default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class CustomerIdentity(Base):
    """A customer's id on one channel (telegram user id, messenger PSID, web session...)."""

    __tablename__ = "customer_identities"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_customer_identities_customer_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

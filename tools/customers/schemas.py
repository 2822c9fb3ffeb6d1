"""What the customer tools take and give."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from core.channels import SALES_CHANNELS
from tools.order_models import Channel

CHANNELS: frozenset[str] = frozenset(SALES_CHANNELS)
Email = Annotated[str, Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
PhoneText = Annotated[str, Field(min_length=1, max_length=30)]


# ------------------------------------------------------------------------------------- inputs


class AddressIn(BaseModel):
    line: str = Field(min_length=1, max_length=300, description="House number and street")
    ward: str = Field(default="", max_length=120)
    district: str = Field(default="", max_length=120)
    province: str = Field(default="", max_length=120, description="Province or city")
    recipient: str = Field(default="", max_length=200, description="Who receives the parcel")
    phone: str | None = Field(default=None, max_length=30, description="Recipient's phone")
    is_default: bool = False


class IdentityIn(BaseModel):
    channel: Channel
    external_id: str = Field(
        min_length=1, max_length=128, description="The customer's id on that channel"
    )
    display_name: str = Field(default="", max_length=200)


class CreateCustomerIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    phones: list[PhoneText] = Field(
        default_factory=list, max_length=5, description="Any format: 0912 345 678, +84 912 345 678"
    )
    phone: str | None = Field(
        default=None, max_length=30, description="Shorthand for a single phone (added to phones)"
    )
    email: Email | None = None
    company_name: str | None = Field(default=None, max_length=300)
    tax_code: str | None = Field(
        default=None,
        max_length=30,
        description="MST: 10 digits, or 10 digits-3 digits for a branch",
    )
    language: Literal["vi", "en"] = "vi"
    note: str = Field(default="", max_length=2000, description="Staff note, never shown to them")
    addresses: list[AddressIn] = Field(default_factory=list, max_length=10)
    address: AddressIn | None = Field(
        default=None, description="Shorthand for a single address (added)"
    )
    identities: list[IdentityIn] = Field(
        default_factory=list, max_length=10, description="Channel accounts (Zalo, Messenger...)"
    )


class GetCustomerIn(BaseModel):
    customer_id: int | None = Field(default=None, gt=0)
    phone: str | None = Field(default=None, max_length=30, description="Any format")


class FindCustomersIn(BaseModel):
    query: str = Field(
        default="",
        max_length=200,
        description="A phone (any format, or its last digits), part of the name (accents "
        "optional), an email or a tax code",
    )
    channel: Channel | None = Field(default=None, description="With external_id: by identity")
    external_id: str | None = Field(default=None, max_length=128)
    limit: int = Field(default=10, ge=1, le=50)


class UpdateCustomerIn(BaseModel):
    customer_id: int | None = Field(default=None, gt=0, description="Staff: the customer to change")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=200, description="'' removes it")
    company_name: str | None = Field(default=None, max_length=300, description="'' removes it")
    tax_code: str | None = Field(default=None, max_length=30, description="'' removes it")
    language: Literal["vi", "en"] | None = None
    note: str | None = Field(default=None, max_length=2000)
    add_phones: list[PhoneText] = Field(default_factory=list, max_length=5)
    remove_phones: list[PhoneText] = Field(default_factory=list, max_length=5)
    add_addresses: list[AddressIn] = Field(default_factory=list, max_length=10)
    remove_address_ids: list[int] = Field(default_factory=list, max_length=10)
    default_address_id: int | None = Field(default=None, gt=0)
    add_identities: list[IdentityIn] = Field(default_factory=list, max_length=10)


class MergeCustomersIn(BaseModel):
    source_id: int = Field(gt=0, description="The duplicate: emptied and pointed to the target")
    target_id: int = Field(gt=0, description="The customer that stays")


# ------------------------------------------------------------------------------------ outputs


class AddressOut(BaseModel):
    id: int
    recipient: str
    phone: str | None
    line: str
    ward: str
    district: str
    province: str
    is_default: bool


class IdentityOut(BaseModel):
    channel: str
    external_id: str
    display_name: str


class CustomerOut(BaseModel):
    id: int
    name: str
    phones: list[str] = Field(description="E.164, e.g. +84912345678")
    email: str | None
    company_name: str | None
    tax_code: str | None
    language: str
    addresses: list[AddressOut]
    identities: list[IdentityOut]
    order_count: int
    created_at: datetime
    note: str | None = Field(default=None, description="Staff only")
    unconfirmed_phones: list[str] = Field(
        default_factory=list,
        description="Phones this customer gave that another customer already has (E.164)",
    )
    linked_customer_ids: list[int] | None = Field(
        default=None,
        description="Staff only: customers sharing a phone with this one, confirmed on one "
        "side and unconfirmed on the other; probably the same person (merge_customers)",
    )


class CustomerSummary(BaseModel):
    id: int
    name: str
    phones: list[str]
    email: str | None
    company_name: str | None
    channels: list[str]
    order_count: int
    unconfirmed_phones: list[str] = Field(default_factory=list)
    linked_customer_ids: list[int] = Field(default_factory=list)


class FindCustomersOut(BaseModel):
    customers: list[CustomerSummary]


class MergeCustomersOut(BaseModel):
    customer: CustomerOut
    moved: dict[str, int] = Field(description="Rows moved from the source, by kind")

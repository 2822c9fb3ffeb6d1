"""Input and output models shared by the order tools (and by returns, agents and channels)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.channels import SalesChannel
from core.money import MAX_AMOUNT

Channel = SalesChannel
PaymentMethod = Literal["cod", "bank_transfer", "card", "e_wallet", "marketplace", "cash"]
ShippingPayer = Literal["buyer", "seller"]


class AddressIn(BaseModel):
    line: str = Field(min_length=1, max_length=300, description="House number and street")
    ward: str = Field(default="", max_length=120)
    district: str = Field(default="", max_length=120)
    province: str = Field(default="", max_length=120, description="Province or city")


class LineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=10_000)


class PricedLineIn(LineIn):
    unit_price: int | None = Field(
        default=None,
        ge=0,
        le=MAX_AMOUNT,
        description="Override the catalogue price (marketplace orders, deals)",
    )


class LineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # built from OrderLine rows too

    id: int | None = None
    variant_id: int
    sku: str
    name: str
    quantity: int
    unit_price: int
    vat_rate: int
    discount: int
    vat_amount: int
    line_total: int
    warehouse_id: int | None
    reserved: int


class PurchaseSuggestion(BaseModel):
    variant_id: int
    sku: str
    missing: int = Field(description="Units to buy so this order can be served")


class OrderEventOut(BaseModel):
    kind: str
    from_status: str | None
    to_status: str | None
    actor: str
    note: str
    created_at: datetime


class OrderOut(BaseModel):
    id: int
    number: str
    status: str
    channel: str
    external_id: str | None
    customer_id: int | None
    buyer_name: str
    buyer_phone: str | None
    address: AddressIn | None
    lines: list[LineOut]
    subtotal: int
    discount: int
    vat_total: int
    shipping_fee: int = Field(description="The parcel's fee; in total unless the seller pays it")
    shipping_payer: str
    total: int
    cod_amount: int = Field(description="What the carrier collects on delivery")
    payment_method: str
    payment_status: str
    paid_amount: int = Field(default=0, description="Money received so far, less refunds")
    amount_due: int = Field(default=0, description="Still to pay (0 once paid or cancelled)")
    refund_due: int = Field(
        default=0,
        description="Paid beyond what the order now costs (all of it when cancelled): give it "
        "back with refund_payment",
    )
    note: str
    created_at: datetime
    purchase_suggestions: list[PurchaseSuggestion] = []
    events: list[OrderEventOut] | None = None

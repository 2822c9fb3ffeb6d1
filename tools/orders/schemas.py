"""What the order tools take and give: their pydantic inputs and outputs (OrderOut and the
line models are shared with other tools, in tools/order_models.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.errors import InvalidInput
from core.money import MAX_AMOUNT
from core.order_status import OrderStatus
from storage.models import parse_order_number
from tools.idempotency import Idempotent
from tools.order_models import (
    AddressIn,
    Channel,
    LineIn,
    PaymentMethod,
    PricedLineIn,
    ShippingPayer,
)

# The largest id a database row can have (64-bit integer keys).
MAX_ID = 2**63 - 1


# ---------------------------------------------------------------------------------------------
# Quote and place (the customer's path)


class QuoteIn(BaseModel):
    lines: list[LineIn] = Field(min_length=1, max_length=50)
    payment_method: PaymentMethod = "cod"
    address: AddressIn | None = Field(default=None, description="Delivery address, if known")
    buyer_name: str | None = Field(default=None, min_length=1, max_length=200)
    buyer_phone: str | None = Field(default=None, min_length=6, max_length=20)
    note: str = Field(default="", max_length=1000, description="The customer's note")


class QuoteBuyer(BaseModel):
    """Who the quoted order is for. A quote with a buyer is what a customer confirms: placing
    it uses exactly these details, whatever the caller adds later."""

    name: str
    phone: str
    address: AddressIn


class QuoteLineOut(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: int
    vat_rate: int
    vat_amount: int
    line_total: int
    available: bool


class ShortLine(BaseModel):
    sku: str
    requested: int
    available: int


class QuoteOut(BaseModel):
    quote_token: str
    expires_at: datetime
    lines: list[QuoteLineOut]
    subtotal: int
    discount: int
    vat_total: int
    shipping_fee: int
    total: int
    cod_amount: int
    prices_include_vat: bool
    all_available: bool
    short: list[ShortLine]
    payment_method: PaymentMethod = "cod"
    buyer: QuoteBuyer | None = None
    note: str = ""


class PlaceOrderIn(BaseModel):
    quote_token: str | None = Field(default=None, description="Token from quote_order (preferred)")
    lines: list[LineIn] | None = Field(
        default=None, max_length=50, description="Only when there is no quote"
    )
    buyer_name: str | None = Field(
        default=None, min_length=1, max_length=200, description="Not needed with a quote_token"
    )
    buyer_phone: str | None = Field(default=None, min_length=6, max_length=20)
    address: AddressIn | None = None
    payment_method: PaymentMethod | None = None
    note: str | None = Field(default=None, max_length=1000)
    channel: Channel = "web"
    idempotency_key: str | None = Field(
        default=None,
        max_length=100,
        description="Same key, same order: a retried call returns the order already placed",
    )

    @model_validator(mode="after")
    def _quote_or_lines(self) -> PlaceOrderIn:
        if not self.quote_token and not self.lines:
            raise ValueError("give quote_token or lines")
        return self

    def given_buyer(self) -> dict[str, Any]:
        """The buyer details this call names (None: not given)."""
        return {
            "buyer_name": self.buyer_name,
            "buyer_phone": self.buyer_phone,
            "address": self.address,
        }


# ---------------------------------------------------------------------------------------------
# Staff: create, read, list, edit


class CreateOrderIn(BaseModel):
    channel: Channel = "manual"
    external_id: str | None = Field(
        default=None, max_length=128, description="The marketplace's order id; unique per channel"
    )
    customer_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    buyer_name: str = Field(default="", max_length=200)
    buyer_phone: str | None = None
    address: AddressIn | None = None
    lines: list[PricedLineIn] = Field(min_length=1, max_length=200)
    discount: int = Field(default=0, ge=0)
    shipping_fee: int | None = Field(
        default=None, ge=0, le=MAX_AMOUNT, description="Omit for the shop's flat rate"
    )
    shipping_payer: ShippingPayer = "buyer"
    payment_method: PaymentMethod = "cod"
    note: str = Field(default="", max_length=1000)
    backorder: bool = Field(default=True, description="Accept lines without stock (awaiting_stock)")


class OrderRef(BaseModel):
    order_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="Numeric id")
    number: str | None = Field(default=None, description="Order number such as DH000123")

    @model_validator(mode="after")
    def _one(self) -> OrderRef:
        if self.order_id is None and not self.number:
            raise ValueError("give order_id or number")
        return self

    def resolve(self) -> int:
        if self.order_id is not None:
            return self.order_id
        parsed = parse_order_number(self.number or "")
        if parsed is None or parsed > MAX_ID:
            raise InvalidInput(f"'{self.number}' is not an order number.", field="number")
        return parsed


class ListOrdersIn(BaseModel):
    status: OrderStatus | None = None
    channel: Channel | None = None
    customer_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="Staff only")
    search: str | None = Field(
        default=None,
        description="An order number (DH000012, dh12, #12, or up to 6 digits: 12), a phone "
        "(7 or more digits as typed: 0912 345 678, +84912345678, 84912345678; part of one "
        "matches its start or its last digits) or part of the buyer's name (accents optional)",
    )
    date_from: datetime | None = None
    date_to: datetime | None = None
    limit: int = Field(default=20, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=MAX_ID)


class OrderSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    status: str
    channel: str
    buyer_name: str
    total: int
    created_at: datetime


class ListOrdersOut(BaseModel):
    orders: list[OrderSummary]
    total_count: int


class UpdateOrderIn(OrderRef):
    lines: list[PricedLineIn] | None = Field(
        default=None, description="The complete new list of lines (add, remove, change quantities)"
    )
    buyer_name: str | None = Field(default=None, max_length=200)
    buyer_phone: str | None = None
    address: AddressIn | None = None
    discount: int | None = Field(default=None, ge=0)
    shipping_fee: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    shipping_payer: ShippingPayer | None = None
    payment_method: PaymentMethod | None = None
    note: str | None = Field(default=None, max_length=1000)


# ---------------------------------------------------------------------------------------------
# Status changes and payments


class ConfirmOrderIn(OrderRef):
    note: str = ""


class CancelOrderIn(OrderRef):
    reason: str = Field(default="", max_length=500)


class SetStatusIn(OrderRef):
    status: OrderStatus
    note: str = Field(default="", max_length=500)


class RecordPaymentIn(OrderRef, Idempotent):
    amount: int = Field(gt=0, description="Đồng received")
    method: PaymentMethod = "bank_transfer"
    reference: str = Field(default="", max_length=200, description="Bank transfer reference")

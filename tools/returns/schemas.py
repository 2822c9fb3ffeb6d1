"""The return tools' inputs and outputs (what the registry shows callers and the LLM)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from pydantic import BaseModel, Field

from core.return_status import ReturnStatus as ReturnStatusEnum
from core.returns import NO_GOODS_REASONS

RefundMethod = Literal["cash", "bank_transfer", "marketplace", "cod_offset"]
ReturnStatus = Literal["requested", "received", "refund_only", "cancelled"]
assert get_args(ReturnStatus) == tuple(ReturnStatusEnum)  # the output spells the enum
NoGoodsReason = Literal["lost_in_transit", "buyer_keeps_item", "marketplace_ruling", "other"]
assert get_args(NoGoodsReason) == NO_GOODS_REASONS
NO_GOODS_MARK = "Nothing came back"  # the line receive_return adds to a refund-only reason
MAX_ID = 2**63 - 1  # ids are 64-bit keys: a larger number names nothing


# --------------------------------------------------------------------------- output


class ReturnLineOut(BaseModel):
    id: int
    order_line_id: int
    variant_id: int
    sku: str
    name: str
    quantity: int = Field(description="Units the buyer asked to return")
    good: int = Field(description="Received back in sellable condition")
    damaged: int = Field(description="Received back damaged (written off)")
    warehouse_code: str | None = Field(description="Where the goods came back to")
    refund_value: int = Field(
        description="This line's paid amount for the units returned (received units once "
        "received, else the requested units), prorated on the units returned so far: the "
        "returns of a line add up to its line total exactly"
    )


class ReturnOut(BaseModel):
    id: int
    number: str
    order_id: int
    order_number: str
    status: ReturnStatus = Field(
        description="requested (open), received (goods came back), refund_only (nothing came "
        "back, the buyer is refunded anyway), cancelled"
    )
    reason: str
    nothing_came_back: bool = Field(
        description="True for a refund-only return: no goods came back and none were restocked"
    )
    no_goods_reason: NoGoodsReason | None = Field(
        description="Why nothing came back (refund-only returns): lost_in_transit, "
        "buyer_keeps_item, marketplace_ruling or other (see reason)"
    )
    lines: list[ReturnLineOut]
    refund_value: int = Field(description="Default refund: sum of the lines' refund_value")
    refund_status: Literal["pending", "refunded"]
    refund_amount: int
    refund_method: str | None
    order_status: str
    order_payment_status: str
    created_by: str
    created_at: datetime
    received_at: datetime | None = Field(
        description="When receive_return recorded the goods (or, refund only, that none came back)"
    )
    refunded_at: datetime | None


# --------------------------------------------------------------------------- inputs


class ReturnLineIn(BaseModel):
    order_line_id: int | None = Field(
        default=None, gt=0, le=MAX_ID, description="The order line's id"
    )
    sku: str | None = Field(
        default=None, min_length=1, max_length=64, description="Instead of order_line_id"
    )
    quantity: int = Field(gt=0, le=100_000)


class CreateReturnIn(BaseModel):
    order_id: int | None = Field(default=None, gt=0, le=MAX_ID, description="Numeric order id")
    order_number: str | None = Field(
        default=None, max_length=20, description="Order number such as DH000123"
    )
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000, description="Why the goods come back")


class ReceiveReturnLineIn(BaseModel):
    return_line_id: int = Field(gt=0, le=MAX_ID)
    good: int = Field(default=0, ge=0, le=100_000, description="Units fit to sell again")
    damaged: int = Field(default=0, ge=0, le=100_000, description="Units to write off")


class ReceiveReturnIn(BaseModel):
    return_id: int = Field(gt=0, le=MAX_ID)
    lines: list[ReceiveReturnLineIn] = Field(
        default_factory=list,
        max_length=200,
        description="Per return line, the units that arrived; needed unless nothing_came_back",
    )
    warehouse_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="Where the goods came back to; default each line's order warehouse",
    )
    nothing_came_back: bool = Field(
        default=False,
        description="true only to record that none of the return's goods will come back while "
        "the buyer is still refunded (refund only, chỉ hoàn tiền); needs no_goods_reason, takes "
        "no warehouse_code and no lines with goods",
    )
    no_goods_reason: NoGoodsReason | None = Field(
        default=None,
        description="With nothing_came_back: lost_in_transit (the parcel was lost on its way "
        "back), buyer_keeps_item (not worth sending back; the buyer keeps it), "
        "marketplace_ruling (the marketplace refunded the buyer without a return), or other "
        "(say why in note)",
    )
    note: str = Field(default="", max_length=2000)


class RefundReturnIn(BaseModel):
    return_id: int = Field(gt=0, le=MAX_ID)
    method: RefundMethod = Field(
        description="cash, bank_transfer, marketplace (refunded by the platform) or cod_offset "
        "(deducted from a COD remittance)"
    )
    amount: int | None = Field(
        default=None,
        gt=0,
        le=2_000_000_000,
        description="Đồng; default the paid value of the returned units (those that came back, "
        "or all the requested units of a refund-only return)",
    )
    note: str = Field(default="", max_length=1000)


class ReturnIdIn(BaseModel):
    return_id: int = Field(gt=0, le=MAX_ID, description="The return's id (RT00012 -> 12)")


class ListReturnsIn(BaseModel):
    order_id: int | None = Field(default=None, gt=0, le=MAX_ID)
    status: ReturnStatus | None = None
    refund_status: Literal["pending", "refunded"] | None = None
    limit: int = Field(default=20, ge=1, le=200)


class ListReturnsOut(BaseModel):
    returns: list[ReturnOut]


class CancelReturnIn(ReturnIdIn):
    reason: str = Field(default="", max_length=1000)

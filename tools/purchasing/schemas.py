"""The purchasing tools' inputs and outputs (what the registry shows callers and the LLM)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from core.purchase_status import PurchaseStatus
from tools.idempotency import Idempotent

MAX_UNIT_COST = 1_000_000_000  # one billion đồng a unit: anything above is a typo
MAX_QUANTITY = 1_000_000
MAX_ID = 2**63 - 1  # ids are 64-bit keys: a larger number names nothing
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

# --------------------------------------------------------------------------- suppliers


class SupplierOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    contact_name: str
    phone: str | None
    email: str | None
    address: str
    tax_code: str | None
    note: str
    created_at: datetime


class CreateSupplierIn(BaseModel):
    code: str = Field(min_length=1, max_length=32, description="Short unique code, e.g. NCC01")
    name: str = Field(min_length=1, max_length=300, description="Company or shop name")
    contact_name: str = Field(default="", max_length=200, description="Person to talk to")
    phone: str | None = Field(default=None, max_length=30, description="Any usual VN format")
    email: str | None = Field(default=None, max_length=200, pattern=EMAIL_PATTERN)
    address: str = Field(default="", max_length=1000)
    tax_code: str | None = Field(
        default=None, max_length=20, description="Mã số thuế: 10 digits, or 10-3 for a branch"
    )
    note: str = Field(default="", max_length=2000)


class ListSuppliersIn(BaseModel):
    search: str | None = Field(default=None, max_length=100, description="Part of code or name")
    limit: int = Field(default=50, ge=1, le=500)


class ListSuppliersOut(BaseModel):
    suppliers: list[SupplierOut]


# --------------------------------------------------------------------------- purchase orders


class PurchaseOrderLineOut(BaseModel):
    id: int
    variant_id: int
    sku: str
    name: str
    ordered: int
    received: int
    remaining: int = Field(
        description="Still to come: ordered - received, never below 0; 0 once the PO is closed"
    )
    not_delivered: int = Field(
        default=0, description="Units that will never come: the PO was closed short"
    )
    unit_cost: int
    line_cost: int = Field(description="ordered * unit_cost")


class ReceiptRef(BaseModel):
    id: int
    number: str
    warehouse_code: str
    units: int
    received_by: str
    created_at: datetime


class PurchaseOrderOut(BaseModel):
    id: int
    number: str
    status: str
    supplier_id: int
    supplier_code: str
    supplier_name: str
    warehouse_code: str
    expected_date: date | None
    note: str
    created_by: str
    created_at: datetime
    lines: list[PurchaseOrderLineOut]
    total_cost: int
    units_ordered: int
    units_received: int
    receipts: list[ReceiptRef]


class PurchaseLineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=MAX_QUANTITY)
    unit_cost: int = Field(ge=0, le=MAX_UNIT_COST, description="Agreed price per unit, đồng")


class CreatePurchaseOrderIn(BaseModel):
    supplier_code: str | None = Field(default=None, max_length=32)
    supplier_id: int | None = Field(
        default=None, gt=0, le=MAX_ID, description="Instead of supplier_code"
    )
    warehouse_code: str = Field(min_length=1, max_length=32, description="Where goods will arrive")
    lines: list[PurchaseLineIn] = Field(min_length=1, max_length=500)
    expected_date: date | None = Field(default=None, description="When the goods should arrive")
    note: str = Field(default="", max_length=2000)


class PurchaseOrderIdIn(BaseModel):
    purchase_order_id: int = Field(gt=0, le=MAX_ID, description="The PO's id (PO00012 -> 12)")


class ListPurchaseOrdersIn(BaseModel):
    status: PurchaseStatus | None = None
    supplier_code: str | None = Field(default=None, max_length=32)
    open_only: bool = Field(default=False, description="Only confirmed / partially received")
    limit: int = Field(default=50, ge=1, le=200)


class PurchaseOrderSummary(BaseModel):
    id: int
    number: str
    status: str
    supplier_code: str
    supplier_name: str
    warehouse_code: str
    expected_date: date | None
    total_cost: int
    units_ordered: int
    units_received: int
    created_at: datetime


class ListPurchaseOrdersOut(BaseModel):
    purchase_orders: list[PurchaseOrderSummary]


class CancelPurchaseOrderIn(PurchaseOrderIdIn):
    reason: str = Field(default="", max_length=1000)


class ClosePurchaseOrderIn(PurchaseOrderIdIn):
    reason: str = Field(
        min_length=1,
        max_length=1000,
        description="Why the rest will not come, e.g. 'supplier out of stock for good'",
    )


# --------------------------------------------------------------------------- goods receipts


class ReceiveLineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=MAX_QUANTITY)
    unit_cost: int | None = Field(
        default=None,
        ge=0,
        le=MAX_UNIT_COST,
        description="Cost per unit, đồng. Default: the PO line's cost, or the current cost "
        "price when receiving without a PO. Only those who may create purchase orders "
        "(owner, manager) may receive at a cost other than the PO line's",
    )


class ReceiveGoodsIn(Idempotent):
    purchase_order_id: int | None = Field(
        default=None,
        gt=0,
        le=MAX_ID,
        description="The PO these goods arrive for (PO00012 -> 12), if any",
    )
    warehouse_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="Where the goods arrived; default the PO's warehouse (required without a PO)",
    )
    lines: list[ReceiveLineIn] = Field(min_length=1, max_length=500)
    allow_over_receipt: bool = Field(
        default=False, description="Accept more than the PO line still expects"
    )
    note: str = Field(default="", max_length=2000)


class ReceivedLineOut(BaseModel):
    variant_id: int
    sku: str
    name: str
    quantity: int
    unit_cost: int
    purchase_order_line_id: int | None
    over_received: int = Field(description="Units beyond what the PO line still expected")
    on_hand_in_warehouse: int = Field(description="On hand in this warehouse after receiving")
    cost_price_before: int
    cost_price_after: int


class ReceiveGoodsOut(BaseModel):
    receipt_id: int
    number: str
    warehouse_code: str
    purchase_order_id: int | None
    purchase_order_number: str | None
    purchase_order_status: str | None
    lines: list[ReceivedLineOut]
    total_units: int
    total_cost: int
    allocated_order_ids: list[int] = Field(
        description="Orders that were waiting for stock and are now fully reserved (confirmed)"
    )
    allocated_order_numbers: list[str]


# --------------------------------------------------------------------------- purchase advice


class SuggestPurchasesIn(BaseModel):
    supplier_code: str | None = Field(
        default=None, max_length=32, description="Only variants last bought from this supplier"
    )


class SuggestionLine(BaseModel):
    variant_id: int
    sku: str
    name: str
    on_hand: int
    reserved: int
    available: int = Field(description="on_hand - reserved, all active warehouses")
    reorder_point: int
    awaiting_orders_need: int = Field(description="Units waiting orders still lack")
    on_order: int = Field(description="Still to come on confirmed purchase orders")
    suggested_quantity: int
    unit_cost: int = Field(description="Last price paid to the supplier, else the cost price")
    estimated_cost: int


class SupplierSuggestion(BaseModel):
    supplier_id: int | None = Field(description="None: never bought before")
    supplier_code: str | None
    supplier_name: str | None
    lines: list[SuggestionLine]
    estimated_cost: int


class SuggestPurchasesOut(BaseModel):
    suppliers: list[SupplierSuggestion]
    total_units: int
    estimated_cost: int

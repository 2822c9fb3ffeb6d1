"""Orders: quote, place, create, read, edit, confirm, cancel and move through the state machine.

Stock follows the order: placing reserves (warehouse chosen by core.allocation), cancelling
releases, shipping consumes, an undelivered parcel that comes back restocks. Placing an order
is the hot path of the whole system, so its writes use the compiled fast path (storage.fastsql).

One module per step of an order's life: schemas (inputs and outputs), writing (the draft and
the reserving write), quoting, placing (with its confirmation card), creating, reading
(OrderOut built in one place), editing, status (confirm, cancel and its card, the state
machine) and payments. This package offers the names other modules use.
"""

from __future__ import annotations

from tools.order_models import OrderOut
from tools.orders.creating import create_order
from tools.orders.editing import reprice, settle, update_order
from tools.orders.payments import record_payment
from tools.orders.placing import CUSTOMER_PAYMENTS, place_order
from tools.orders.quoting import quote_order
from tools.orders.reading import get_order, list_orders, load_order, order_out, order_view
from tools.orders.schemas import (
    MAX_ID,
    CancelOrderIn,
    ConfirmOrderIn,
    CreateOrderIn,
    ListOrdersIn,
    ListOrdersOut,
    OrderRef,
    OrderSummary,
    PlaceOrderIn,
    QuoteBuyer,
    QuoteIn,
    QuoteLineOut,
    QuoteOut,
    RecordPaymentIn,
    SetStatusIn,
    ShortLine,
    UpdateOrderIn,
)
from tools.orders.status import CANCELLERS, cancel_order, confirm_order, set_order_status
from tools.orders.writing import Draft, Item, write_order

__all__ = [
    "CANCELLERS",
    "CUSTOMER_PAYMENTS",
    "MAX_ID",
    "CancelOrderIn",
    "ConfirmOrderIn",
    "CreateOrderIn",
    "Draft",
    "Item",
    "ListOrdersIn",
    "ListOrdersOut",
    "OrderOut",
    "OrderRef",
    "OrderSummary",
    "PlaceOrderIn",
    "QuoteBuyer",
    "QuoteIn",
    "QuoteLineOut",
    "QuoteOut",
    "RecordPaymentIn",
    "SetStatusIn",
    "ShortLine",
    "UpdateOrderIn",
    "cancel_order",
    "confirm_order",
    "create_order",
    "get_order",
    "list_orders",
    "load_order",
    "order_out",
    "order_view",
    "place_order",
    "quote_order",
    "record_payment",
    "reprice",
    "set_order_status",
    "settle",
    "update_order",
    "write_order",
]

"""All tables; importing this package registers them on Base.metadata."""

from storage.models.catalog import Product, Variant, Warehouse
from storage.models.channels import (
    ChannelChat,
    ChannelInbox,
    ChannelPayload,
    ChannelSecret,
    ChannelSend,
)
from storage.models.consent import PendingAction
from storage.models.conversations import ChatMessage, Conversation
from storage.models.customers import (
    Customer,
    CustomerAddress,
    CustomerIdentity,
    CustomerPhone,
    CustomerPhoneClaim,
)
from storage.models.limits import RateCounter
from storage.models.operations import ReturnLine, ReturnRequest, Stocktake, StocktakeLine
from storage.models.orders import Order, OrderEvent, OrderLine, order_number, parse_order_number
from storage.models.purchasing import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
)
from storage.models.staff_desk import Handoff, StaffIdentity, StaffLink, StaffSession
from storage.models.stock import Quote, StockHold, StockLevel, StockMove, StockWriteOff
from storage.models.system import (
    ApiKey,
    AuditEntry,
    OutboxCursor,
    OutboxEvent,
    ProcessedMessage,
    StaffMember,
    ToolResult,
)

__all__ = [
    "ApiKey",
    "AuditEntry",
    "ChannelChat",
    "ChannelInbox",
    "ChannelPayload",
    "ChannelSecret",
    "ChannelSend",
    "ChatMessage",
    "Conversation",
    "Customer",
    "CustomerAddress",
    "CustomerIdentity",
    "CustomerPhone",
    "CustomerPhoneClaim",
    "GoodsReceipt",
    "GoodsReceiptLine",
    "Handoff",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OutboxCursor",
    "OutboxEvent",
    "PendingAction",
    "ProcessedMessage",
    "Product",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "Quote",
    "RateCounter",
    "ReturnLine",
    "ReturnRequest",
    "StaffIdentity",
    "StaffLink",
    "StaffMember",
    "StaffSession",
    "StockHold",
    "StockLevel",
    "StockMove",
    "StockWriteOff",
    "Stocktake",
    "StocktakeLine",
    "Supplier",
    "ToolResult",
    "Variant",
    "Warehouse",
    "order_number",
    "parse_order_number",
]

"""Splitting tool modules into packages must not lose, rename or add a tool."""

from __future__ import annotations

import importlib

from tools import build_registry

TOOL_NAMES = frozenset(
    {
        "add_staff", "add_variant", "adjust_stock", "apply_stocktake", "book_shipment",
        "cancel_order", "cancel_purchase_order", "cancel_return", "cancel_stocktake",
        "check_stock", "close_purchase_order", "close_staff_session", "confirm_order",
        "confirm_purchase_order", "create_api_key", "create_customer", "create_order",
        "create_product", "create_purchase_order", "create_return", "create_staff_link",
        "create_supplier", "create_warehouse", "export_catalog", "find_customers",
        "get_customer", "get_order", "get_payment_details", "get_product",
        "get_purchase_order", "get_return", "get_stocktake", "hand_back_conversation",
        "import_catalog", "issue_invoice", "list_audit_log", "list_categories",
        "list_handoffs", "list_orders", "list_purchase_orders", "list_returns", "list_staff",
        "list_stocktakes", "list_suppliers", "list_warehouses", "lookup_order",
        "low_stock_report", "merge_customers", "open_staff_session", "place_order",
        "quote_order", "receive_goods", "receive_return", "record_count", "record_payment",
        "redeem_telegram_invite", "refund_payment", "refund_return",
        "remind_waiting_customers", "remove_staff", "reply_to_customer", "request_handoff",
        "revoke_api_key", "sales_report", "search_products", "set_order_status",
        "start_stocktake", "stock_ledger", "suggest_purchases", "take_handoff",
        "transfer_stock", "update_customer", "update_order", "update_product",
        "upload_product_image",
    }
)  # fmt: skip

# What other modules import from tools.orders: the package keeps offering them.
ORDERS_EXPORTS = (
    "MAX_ID",
    "Draft",
    "Item",
    "ListOrdersOut",
    "OrderOut",
    "OrderRef",
    "OrderSummary",
    "QuoteOut",
    "load_order",
    "order_out",
    "settle",
    "write_order",
    "quote_order",
    "place_order",
    "create_order",
    "get_order",
    "list_orders",
    "update_order",
    "confirm_order",
    "cancel_order",
    "set_order_status",
    "record_payment",
)


def test_the_registry_offers_every_tool_and_no_other() -> None:
    names = {t.name for t in build_registry().all()}
    assert names == TOOL_NAMES


def test_tools_orders_keeps_the_names_other_modules_import() -> None:
    orders = importlib.import_module("tools.orders")
    missing = [name for name in ORDERS_EXPORTS if not hasattr(orders, name)]
    assert missing == []


def test_order_tools_keep_their_confirmation_cards() -> None:
    registry = build_registry()
    assert registry.get("place_order").needs_confirmation
    assert registry.get("cancel_order").needs_confirmation

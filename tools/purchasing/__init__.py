"""Suppliers, purchase orders and goods receipts: how stock comes into the shop.

A purchase order (PO) is drafted, confirmed with the supplier, then received in one or more
goods receipts (tools.purchasing.receiving). The registry collects the tools imported here.
"""

from __future__ import annotations

from tools.purchasing.lookups import (
    VariantInfo,
    active_warehouse,
    variant_info,
    variants_for_lines,
)
from tools.purchasing.orders import (
    cancel_purchase_order,
    close_purchase_order,
    confirm_purchase_order,
    create_purchase_order,
)
from tools.purchasing.reading import get_purchase_order, list_purchase_orders
from tools.purchasing.receiving import receive_goods
from tools.purchasing.schemas import (
    MAX_ID,
    MAX_QUANTITY,
    MAX_UNIT_COST,
    PurchaseOrderOut,
    ReceiveGoodsOut,
    SuggestPurchasesOut,
)
from tools.purchasing.suggestions import suggest_purchases
from tools.purchasing.suppliers import create_supplier, list_suppliers

__all__ = [
    "MAX_ID",
    "MAX_QUANTITY",
    "MAX_UNIT_COST",
    "PurchaseOrderOut",
    "ReceiveGoodsOut",
    "SuggestPurchasesOut",
    "VariantInfo",
    "active_warehouse",
    "cancel_purchase_order",
    "close_purchase_order",
    "confirm_purchase_order",
    "create_purchase_order",
    "create_supplier",
    "get_purchase_order",
    "list_purchase_orders",
    "list_suppliers",
    "receive_goods",
    "suggest_purchases",
    "variant_info",
    "variants_for_lines",
]

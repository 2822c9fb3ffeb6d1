"""Stock tools: look at levels, correct them, move goods between warehouses, read the ledger.

Every change goes through ``stock_ops.apply_moves`` after ``lock_levels``, so the ledger
always sums to on_hand and reserved. Customers only ever see one number per SKU: what can
still be promised (available), never per-warehouse counts.

The registry collects the tools from this package's namespace, so each is re-exported here.
"""

from __future__ import annotations

from tools.stock.adjusting import MAX_QUANTITY, AdjustStockIn, StockChangeOut, adjust_stock
from tools.stock.ledger import LedgerRowOut, StockLedgerIn, StockLedgerOut, stock_ledger
from tools.stock.levels import (
    CheckStockIn,
    CheckStockOut,
    VariantStockOut,
    WarehouseLevel,
    WarehouseStockOut,
    check_stock,
    ordered_options,
    read_levels,
    total_available,
    warehouse_stock,
)
from tools.stock.transfers import TransferStockIn, TransferStockOut, transfer_stock

__all__ = [
    "MAX_QUANTITY",
    "AdjustStockIn",
    "CheckStockIn",
    "CheckStockOut",
    "LedgerRowOut",
    "StockChangeOut",
    "StockLedgerIn",
    "StockLedgerOut",
    "TransferStockIn",
    "TransferStockOut",
    "VariantStockOut",
    "WarehouseLevel",
    "WarehouseStockOut",
    "adjust_stock",
    "check_stock",
    "ordered_options",
    "read_levels",
    "stock_ledger",
    "total_available",
    "transfer_stock",
    "warehouse_stock",
]

"""Reports: stock running low (low_stock), and sales by day and channel with VAT, cost and
profit (sales, sales_figures, periods). The aggregate queries are storage.reports'.

The registry collects the tools from this package's namespace, so each is re-exported here.
"""

from __future__ import annotations

from tools.reports.low_stock import (
    LowStockIn,
    LowStockItem,
    LowStockOut,
    LowStockWarehouse,
    low_stock_report,
)
from tools.reports.periods import MAX_DAYS, day_bounds, local_day, month_defaults
from tools.reports.sales import SalesReportIn, SalesReportOut, sales_report
from tools.reports.sales_figures import SalesChannel, SalesDay, SalesFigures, SalesRow

__all__ = [
    "MAX_DAYS",
    "LowStockIn",
    "LowStockItem",
    "LowStockOut",
    "LowStockWarehouse",
    "SalesChannel",
    "SalesDay",
    "SalesFigures",
    "SalesReportIn",
    "SalesReportOut",
    "SalesRow",
    "day_bounds",
    "local_day",
    "low_stock_report",
    "month_defaults",
    "sales_report",
]

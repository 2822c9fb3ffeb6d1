"""Stocktakes (kiểm kê): counting a warehouse and correcting on_hand to what is really there.

Counting and applying are separate steps. Each count records ``expected`` = on_hand at the
moment it is recorded, and applying adds ``counted - expected`` (ledger reason ``stocktake``),
so goods shipped or received between the count and the apply are not counted twice and the
warehouse can keep working during a stocktake. SKUs that were not counted are left as they are.
Which status allows which step is core.stocktake_status's table.

The registry collects the tools from this package's namespace, so each is re-exported here.
"""

from __future__ import annotations

from tools.stocktakes.applying import apply_stocktake, cancel_stocktake
from tools.stocktakes.counting import (
    CountLineIn,
    RecordCountIn,
    StartStocktakeIn,
    record_count,
    start_stocktake,
)
from tools.stocktakes.reading import (
    MAX_UNCOUNTED_LISTED,
    ListStocktakesIn,
    ListStocktakesOut,
    StocktakeIdIn,
    StocktakeLineOut,
    StocktakeOut,
    StocktakeSummary,
    UncountedOut,
    get_stocktake,
    list_stocktakes,
)

__all__ = [
    "MAX_UNCOUNTED_LISTED",
    "CountLineIn",
    "ListStocktakesIn",
    "ListStocktakesOut",
    "RecordCountIn",
    "StartStocktakeIn",
    "StocktakeIdIn",
    "StocktakeLineOut",
    "StocktakeOut",
    "StocktakeSummary",
    "UncountedOut",
    "apply_stocktake",
    "cancel_stocktake",
    "get_stocktake",
    "list_stocktakes",
    "record_count",
    "start_stocktake",
]

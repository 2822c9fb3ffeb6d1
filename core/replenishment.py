"""When to buy more and how much: the rule shared by the low-stock report and purchase advice.

* A variant is low when its available stock (on_hand - reserved) is at or below its reorder
  point. A reorder point of 0 turns the alert off (discontinued or made-to-order goods).
* Buying brings available stock back up to twice the reorder point (a simple order-up-to
  level), after first covering what waiting (awaiting_stock) orders still need and counting
  what is already on order from suppliers.
"""

from __future__ import annotations

ORDER_UP_TO_FACTOR = 2


def is_low(available: int, reorder_point: int) -> bool:
    return reorder_point > 0 and available <= reorder_point


def order_up_to(reorder_point: int) -> int:
    return ORDER_UP_TO_FACTOR * max(0, reorder_point)


def suggested_quantity(
    available: int, reorder_point: int, *, awaiting: int = 0, on_order: int = 0
) -> int:
    """Units to buy: waiting orders' need plus the order-up-to level, less what is there or coming.

    ``awaiting`` is what waiting orders still lack (not yet reserved, so not in ``available``);
    ``on_order`` is what confirmed purchase orders have yet to deliver.
    """
    target = max(0, awaiting) + order_up_to(reorder_point)
    return max(0, target - available - max(0, on_order))

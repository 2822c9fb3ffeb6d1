"""Inventory valuation: the weighted average cost and what goods are worth at cost.

The shop values stock at one moving weighted average cost per variant (across every warehouse),
which is what Vietnamese small-business bookkeeping (bình quân gia quyền) and the profit
figures in the sales report use. All amounts are whole đồng.
"""

from __future__ import annotations

from core.money import round_half_up_div


def weighted_average_cost(on_hand: int, cost: int, received: int, unit_cost: int) -> int:
    """The average cost after ``received`` units at ``unit_cost`` join ``on_hand`` at ``cost``.

    ``(on_hand * cost + received * unit_cost) / (on_hand + received)``, rounded half-up to the
    đồng. Stock that is not there (on_hand <= 0) carries no weight: the new goods set the cost.
    """
    if received <= 0:
        return cost
    if on_hand <= 0:
        return unit_cost
    return round_half_up_div(on_hand * cost + received * unit_cost, on_hand + received)


def prorate(amount: int, whole: int, part: int) -> int:
    """``amount * part / whole`` rounded half-up to the đồng (e.g. a line's price for 2 of 3)."""
    if whole <= 0:
        raise ValueError("whole must be positive")
    return round_half_up_div(amount * part, whole)

"""Which warehouse serves an order: a pure plan over a snapshot of availability.

The rule (docs/stock.md):
1. If one warehouse can serve every line in full, use it; main warehouses first, then sub,
   then branch, then by id.
2. Otherwise each line on its own goes to the first warehouse (same order) that can serve
   that line in full.
3. A line that no single warehouse can serve in full is left unallocated: the order waits
   for stock (awaiting_stock) and a purchase suggestion names the shortfall. Lines are never
   split across warehouses, so each parcel line is picked in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

KIND_ORDER = {"main": 0, "sub": 1, "branch": 2}


@dataclass(frozen=True, slots=True)
class WarehouseRef:
    id: int
    kind: str


@dataclass(frozen=True, slots=True)
class Need:
    line_key: int  # caller's index for the line
    variant_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class Plan:
    assigned: dict[int, int]  # line_key -> warehouse id
    unserved: tuple[Need, ...]


def warehouse_priority(warehouses: Sequence[WarehouseRef]) -> list[WarehouseRef]:
    return sorted(warehouses, key=lambda w: (KIND_ORDER.get(w.kind, 9), w.id))


def plan_allocation(
    needs: Sequence[Need],
    warehouses: Sequence[WarehouseRef],
    available: Mapping[tuple[int, int], int],
) -> Plan:
    """``available[(variant_id, warehouse_id)]`` is what can still be promised there."""
    ordered = warehouse_priority(warehouses)
    totals: dict[int, int] = {}
    for need in needs:
        totals[need.variant_id] = totals.get(need.variant_id, 0) + need.quantity
    for wh in ordered:
        if all(available.get((v, wh.id), 0) >= q for v, q in totals.items()):
            return Plan(assigned={n.line_key: wh.id for n in needs}, unserved=())
    left = dict(available)
    assigned: dict[int, int] = {}
    unserved: list[Need] = []
    for need in needs:
        for wh in ordered:
            key = (need.variant_id, wh.id)
            if left.get(key, 0) >= need.quantity:
                left[key] -= need.quantity
                assigned[need.line_key] = wh.id
                break
        else:
            unserved.append(need)
    return Plan(assigned=assigned, unserved=tuple(unserved))

"""Every change of stock goes through here: a conditional UPDATE, a ledger row, an outbox event.

This module decides; the statements are storage.stock_levels'.

Rules that keep stock right under any concurrency (docs/stock.md):
* Changes are arithmetic in the database (``on_hand = on_hand + :d``) guarded by a WHERE that
  refuses to go below zero or below the reserved quantity, plus CHECK constraints behind it.
* Rows are locked in one global order, (variant_id, warehouse_id), so two transactions never
  wait on each other in a cycle. ``lock_levels`` takes the locks (``FOR UPDATE`` on PostgreSQL;
  SQLite has one writer at a time already) and reads a snapshot that stays true until commit.
* The ledger row is written in the same transaction, so the ledger always sums to on_hand
  and reserved.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.errors import InsufficientStock, NotFound
from storage import catalog, stock_levels, warehouses
from storage.models import Variant, Warehouse
from tools.context import ToolContext

log = logging.getLogger("shopbot.stock")


@dataclass(frozen=True, slots=True)
class Level:
    variant_id: int
    warehouse_id: int
    on_hand: int
    reserved: int
    held: int  # by other quotes' live holds, as far as they count against this caller
    kind: str = "main"  # the warehouse's kind, for the allocation rule
    holds: int = 0  # every live hold on the row (the caller's own too), for granting new ones

    @property
    def free(self) -> int:
        """Neither reserved for an order nor on its way out."""
        return max(0, self.on_hand - self.reserved)

    @property
    def available(self) -> int:
        """What can still be promised: not reserved and not held by someone else's quote."""
        return max(0, self.on_hand - self.reserved - self.held)


def counted_holds(held_by_others: int, free: int, share_percent: int) -> int:
    """Holds count against everyone else only up to the shop's share of the free stock, so
    quotes (one customer's, or a script's many customers') never lock a product away whole."""
    return min(held_by_others, free * share_percent // 100)


@dataclass(frozen=True, slots=True)
class Move:
    variant_id: int
    warehouse_id: int
    d_on_hand: int = 0
    d_reserved: int = 0
    reason: str = "adjustment"
    ref_type: str | None = None
    ref_id: int | None = None
    note: str = ""


async def lock_levels(
    ctx: ToolContext, variant_ids: Iterable[int], *, quote_id: int = 0
) -> dict[tuple[int, int], Level]:
    """Locks every row of these variants in the global order and reads a snapshot of the
    active warehouses' levels that stays true until commit.

    The global order (docs/stock.md): all rows of a variant at once, variants ascending. A
    transaction that already holds rows must only add variants above the ones it holds; a
    call that breaks this is logged (a deadlock waiting to happen), never silently allowed.
    """
    vids = sorted(set(variant_ids))
    if not vids:
        return {}
    snapshot = ctx.stock_snapshot
    if quote_id == 0 and all(v in snapshot for v in vids):
        return {k: lvl for v in vids for k, lvl in snapshot[v].items()}
    _note_locked(ctx, vids)
    levels, _ = await _read_locked(ctx, vids, quote_id=quote_id, skip_locked=False)
    if quote_id == 0:
        for v in vids:
            snapshot[v] = {}
        for k, lvl in levels.items():
            snapshot[k[0]][k] = lvl
    return levels


def _remember_change(ctx: ToolContext, m: Move, on_hand: int, reserved: int) -> None:
    rows = ctx.stock_snapshot.get(m.variant_id)
    if rows is None:
        return
    known = rows.get((m.variant_id, m.warehouse_id))
    if known is None:  # a row the snapshot does not have (new, or an inactive warehouse)
        del ctx.stock_snapshot[m.variant_id]
        return
    free = max(0, on_hand - reserved)
    held = counted_holds(known.holds, free, ctx.config.hold_share_percent)
    rows[(m.variant_id, m.warehouse_id)] = Level(
        m.variant_id, m.warehouse_id, on_hand, reserved, held, known.kind, known.holds
    )


async def try_lock_levels(
    ctx: ToolContext, variant_ids: Iterable[int]
) -> tuple[dict[tuple[int, int], Level], set[int]]:
    """Like ``lock_levels`` but never waits: for a transaction that already holds stock rows
    and needs rows outside the global order (waiting orders' other lines). Returns the
    snapshot of the variants it could lock whole, and the variants another transaction holds."""
    vids = sorted(set(variant_ids) - ctx.locked_variants)
    held = sorted(set(variant_ids) & ctx.locked_variants)
    out = await lock_levels(ctx, held) if held else {}
    if not vids:
        return out, set()
    if not ctx.locked_variants or vids[0] > max(ctx.locked_variants):
        out.update(await lock_levels(ctx, vids))  # still in order: safe to wait
        return out, set()
    got, locked_rows = await _read_locked(ctx, vids, quote_id=0, skip_locked=True)
    exist = await stock_levels.row_counts(ctx.tx, vids)
    busy = {v for v in vids if locked_rows.get(v, 0) < exist.get(v, 0)}
    ctx.locked_variants.update(v for v in vids if v not in busy)
    out.update({k: lvl for k, lvl in got.items() if k[0] not in busy})
    return out, busy


def _note_locked(ctx: ToolContext, vids: Sequence[int]) -> None:
    new = [v for v in vids if v not in ctx.locked_variants]
    if new and ctx.locked_variants and new[0] < max(ctx.locked_variants):
        log.warning(
            "stock rows locked out of the global order: holding variants up to %d, then %s",
            max(ctx.locked_variants),
            new,
        )
    ctx.locked_variants.update(new)


async def _read_locked(
    ctx: ToolContext,
    vids: Sequence[int],
    *,
    quote_id: int,
    skip_locked: bool,
) -> tuple[dict[tuple[int, int], Level], dict[int, int]]:
    """The active warehouses' levels, and how many rows of each variant were locked."""
    rows = await stock_levels.lock_rows(ctx.tx, vids, skip_locked=skip_locked)
    holds: dict[tuple[int, int], tuple[int, int]] = {}
    if any(r.maybe_held for r in rows):  # some row may have a live hold: count them, after the lock
        holds = await stock_levels.live_holds(ctx.tx, vids, quote_id)
    share = ctx.config.hold_share_percent
    out: dict[tuple[int, int], Level] = {}
    locked_rows: dict[int, int] = {}
    for vid, wid, on_hand, reserved, kind, active, _maybe_held in rows:
        locked_rows[vid] = locked_rows.get(vid, 0) + 1
        if not active:
            continue
        total, own = holds.get((vid, wid), (0, 0))
        held = counted_holds(total - own, max(0, on_hand - reserved), share)
        out[(vid, wid)] = Level(vid, wid, on_hand, reserved, held, kind, total)
    return out, locked_rows


async def apply_moves(ctx: ToolContext, moves: Sequence[Move]) -> list[tuple[int, int]]:
    """Applies the moves in lock order; all or nothing (a refusal raises and the call rolls back).

    Returns the new (on_hand, reserved) for each move, in the order given.
    """
    tx = ctx.tx
    changing = {m.variant_id for m in moves if m.d_on_hand or m.d_reserved}
    if not changing <= ctx.locked_variants:
        if not stock_levels.has_row_locks(tx):  # one writer: the transaction holds everything
            ctx.locked_variants.update(changing)
        else:  # lock whole variants in order first, as every other path does
            await lock_levels(ctx, changing)
    order = sorted(range(len(moves)), key=lambda i: (moves[i].variant_id, moves[i].warehouse_id))
    results: list[tuple[int, int] | None] = [None] * len(moves)
    short: list[dict[str, int]] = []
    real = [m for m in moves if m.d_on_hand or m.d_reserved]
    keys = {(m.variant_id, m.warehouse_id) for m in real}
    # One round trip for the changes and the ledger where the database gains by it and no row
    # changes twice (a row's second change must see its first).
    batch = (
        await stock_levels.change_levels_with_ledger(tx, real, ctx.actor.label)
        if len(keys) == len(real)
        else None
    )
    for i in order:
        m = moves[i]
        if m.d_on_hand == 0 and m.d_reserved == 0:
            continue
        if batch is not None:
            res = batch[0].get((m.variant_id, m.warehouse_id))
        else:
            res = await stock_levels.change_level(
                tx, m.variant_id, m.warehouse_id, m.d_on_hand, m.d_reserved
            )
        if res is None:
            res = await _missing_or_short(ctx, m, short)
            if res is None:
                continue
        results[i] = res
        _remember_change(ctx, m, res[0], res[1])
    if short:
        raise InsufficientStock(
            "Not enough stock for: " + ", ".join(f"variant {s['variant_id']}" for s in short),
            field="quantity",
            details={"lines": short},
        )
    if batch is None or not batch[1]:
        await stock_levels.insert_moves(tx, real, ctx.actor.label)
    for m, res in zip(moves, results, strict=True):
        if m.d_on_hand > m.d_reserved:  # more available than before
            ctx.freed_variants.add(m.variant_id)
        if res is not None:
            ctx.emit(
                "stock.changed",
                f"variant:{m.variant_id}",
                {
                    "variant_id": m.variant_id,
                    "warehouse_id": m.warehouse_id,
                    "on_hand": res[0],
                    "reserved": res[1],
                    "available": res[0] - res[1],
                    "reason": m.reason,
                },
            )
    return [r if r is not None else (0, 0) for r in results]


async def _missing_or_short(
    ctx: ToolContext, m: Move, short: list[dict[str, int]]
) -> tuple[int, int] | None:
    """Tells a refused update apart: the level row is missing (create it) or stock is short."""
    current = await stock_levels.level_of(ctx.tx, m.variant_id, m.warehouse_id)
    if current is None:
        await ensure_levels(ctx, [m.variant_id], [m.warehouse_id])
        res = await stock_levels.change_level(
            ctx.tx, m.variant_id, m.warehouse_id, m.d_on_hand, m.d_reserved
        )
        if res is not None:
            return res
        current = (0, 0)
    on_hand, reserved = current
    short.append(
        {
            "variant_id": m.variant_id,
            "warehouse_id": m.warehouse_id,
            "on_hand": on_hand,
            "reserved": reserved,
            "available": on_hand - reserved,
            "change_on_hand": m.d_on_hand,
            "change_reserved": m.d_reserved,
        }
    )
    return None


async def ensure_levels(
    ctx: ToolContext, variant_ids: Iterable[int], warehouse_ids: Iterable[int]
) -> None:
    """Creates zero rows for missing (variant, warehouse) pairs, so later updates find a row."""
    await stock_levels.ensure_rows(ctx.tx, variant_ids, warehouse_ids)


async def warehouse_ids(ctx: ToolContext, *, active_only: bool = True) -> list[int]:
    return await warehouses.ids(ctx.tx, active_only=active_only)


async def get_warehouse(
    ctx: ToolContext, warehouse_id: int | None = None, code: str | None = None
) -> Warehouse:
    if warehouse_id is not None:
        found = await warehouses.by_id(ctx.tx, warehouse_id)
    elif code is not None:
        found = (await warehouses.by_code(ctx.tx, [code])).get(code)
    else:
        raise NotFound(
            "Name a warehouse by id or code.", field="warehouse", code="unknown_warehouse"
        )
    if found is None:
        raise NotFound(
            f"Warehouse {warehouse_id if warehouse_id is not None else code} does not exist.",
            field="warehouse_id" if warehouse_id is not None else "warehouse_code",
            code="unknown_warehouse",
        )
    return found


async def variant_by_sku(ctx: ToolContext, sku: str, *, field: str = "sku") -> Variant:
    found = await catalog.variant_by_sku(ctx.tx, sku.strip())
    if found is None:
        raise NotFound(f"There is no product with SKU '{sku}'.", field=field, code="unknown_sku")
    return found

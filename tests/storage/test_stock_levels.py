"""storage.stock_levels, storage.holds and the order path's SKU lookup return the same typed
values on SQLite and PostgreSQL: ints, bools, decoded options, aware datetimes; a change that
would break a constraint changes nothing and says so."""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlalchemy import Integer, select, update

from storage import catalog, fastsql, holds, stock_levels
from storage.database import Database, Tx
from storage.models import Product, Quote, StockMove, Warehouse
from tests.seed import seed
from tools.stock_ops import Move


async def add_quote(tx: Tx, customer_id: int | None) -> int:
    quote = Quote(
        token=f"t{customer_id}-{tx.now.timestamp()}",
        customer_id=customer_id,
        payload={},
        status="open",
        expires_at=tx.now + timedelta(minutes=15),
        created_at=tx.now,
    )
    tx.session.add(quote)
    await tx.session.flush()
    return quote.id


async def test_locked_rows_are_every_warehouse_of_each_variant_in_order(db: Database) -> None:
    s = await seed(db, {"A": {"HCM": 5, "HN": 1}, "B": {"HCM": 2}})
    a, b = s.variants["A"], s.variants["B"]
    hcm, hn = s.warehouses["HCM"], s.warehouses["HN"]
    async with db.transaction() as tx:
        await tx.session.execute(update(Warehouse).where(Warehouse.id == hn).values(active=False))
        rows = await stock_levels.lock_rows(tx, [a, b])
        assert rows == [
            (a, hcm, 5, 0, "main", True, False),
            (a, hn, 1, 0, "branch", False, False),
            (b, hcm, 2, 0, "main", True, False),
            (b, hn, 0, 0, "branch", False, False),
        ]
        assert all(type(r.active) is bool and type(r.maybe_held) is bool for r in rows)
        assert await stock_levels.row_counts(tx, [a, b, b + 1000]) == {a: 2, b: 2}


async def test_holds_are_counted_per_row_with_the_callers_own_apart(db: Database) -> None:
    s = await seed(db, {"A": {"HCM": 5, "HN": 1}}, customers=1)
    a, hcm, hn = s.variants["A"], s.warehouses["HCM"], s.warehouses["HN"]
    customer = s.customers[0]
    async with db.transaction() as tx:
        await holds.serialise_customer(tx, customer)  # PostgreSQL locks; SQLite: nothing to do
        mine, other = await add_quote(tx, customer), await add_quote(tx, None)
        later, gone = tx.now + timedelta(minutes=15), tx.now - timedelta(minutes=1)
        await holds.add_holds(
            tx,
            [
                holds.NewHold(mine, a, hcm, 2, later),
                holds.NewHold(other, a, hcm, 3, later),
                holds.NewHold(mine, a, hn, 1, gone),  # expired: never counted
            ],
        )
        rows = await stock_levels.lock_rows(tx, [a])
        assert [(r.warehouse_id, r.maybe_held) for r in rows] == [(hcm, True), (hn, False)]
        assert await stock_levels.live_holds(tx, [a], mine) == {(a, hcm): (5, 2)}
        assert await stock_levels.live_holds(tx, [a], 0) == {(a, hcm): (5, 0)}
        assert await holds.customer_held(tx, customer) == 2
        await holds.drop_quote_holds(tx, other)
        assert await stock_levels.live_holds(tx, [a], 0) == {(a, hcm): (2, 0)}


async def test_a_change_that_breaks_a_constraint_or_misses_its_row_changes_nothing(
    db: Database,
) -> None:
    s = await seed(db, {"A": {"HCM": 5}})
    a, hcm = s.variants["A"], s.warehouses["HCM"]
    async with db.transaction() as tx:
        assert await stock_levels.change_level(tx, a, hcm, 0, 3) == (5, 3)
        assert await stock_levels.change_level(tx, a, hcm, -3, 0) is None  # below reserved
        assert await stock_levels.change_level(tx, a, hcm, 0, -4) is None
        assert await stock_levels.level_of(tx, a, hcm) == (5, 3)
        dn = Warehouse(code="DN", name="Kho DN", kind="sub", address="", manager="")
        tx.session.add(dn)
        await tx.session.flush()
        assert await stock_levels.change_level(tx, a, dn.id, 1, 0) is None
        assert await stock_levels.level_of(tx, a, dn.id) is None
        await stock_levels.ensure_rows(tx, [a], [hcm, dn.id])
        assert await stock_levels.level_of(tx, a, dn.id) == (0, 0)
        assert await stock_levels.change_level(tx, a, dn.id, 1, 0) == (1, 0)


async def test_ledger_rows_carry_the_actor_and_the_calls_time(db: Database) -> None:
    s = await seed(db, {"A": {"HCM": 5}})
    a, hcm = s.variants["A"], s.warehouses["HCM"]
    async with db.transaction() as tx:
        move = Move(a, hcm, d_reserved=2, reason="reservation", ref_type="order", ref_id=7)
        await stock_levels.insert_moves(tx, [move], "staff:3")
        now = tx.now
    async with db.transaction(write=False) as tx:
        row = (
            await tx.session.scalars(select(StockMove).where(StockMove.reason == "reservation"))
        ).one()
    assert (row.delta_on_hand, row.delta_reserved, row.ref_type, row.ref_id, row.actor) == (
        0,
        2,
        "order",
        7,
        "staff:3",
    )
    assert row.created_at == now
    assert row.created_at.utcoffset() == UTC.utcoffset(None)


async def test_sale_variants_decode_options_and_say_whether_they_sell(db: Database) -> None:
    s = await seed(db, {"A": {"HCM": 5}, "B": {}})
    async with db.transaction() as tx:
        found = {v.sku: v for v in await catalog.sale_variants(tx, ["A", "B", "NOPE"])}
        assert sorted(found) == ["A", "B"]
        a = found["A"]
        assert (a.id, a.product_name, a.options, a.sale_price, a.vat_rate, a.cost_price) == (
            s.variants["A"],
            "Áo thun",
            {"Size": "A"},
            100_000,
            10,
            60_000,
        )
        assert a.sellable is True
        variant = await catalog.variant_by_sku(tx, "A")
        assert variant is not None
        assert variant.id == a.id
        assert await catalog.variant_by_sku(tx, "a") is None  # exact SKUs only
        await tx.session.execute(update(Product).values(active=False))
        assert [v.sellable for v in await catalog.sale_variants(tx, ["A"])] == [False]


async def test_several_changes_and_their_ledger_go_in_one_statement_on_postgresql(
    db: Database,
) -> None:
    """All rows take their change: the ledger is written with them, in the moves' order. One
    row refused: the others changed (the caller refuses the call, which rolls back) and no
    ledger row. SQLite answers None: its path is one statement per row."""
    s = await seed(db, {"A": {"HCM": 5}, "B": {"HCM": 2}})
    a, b, hcm = s.variants["A"], s.variants["B"], s.warehouses["HCM"]
    both = [
        Move(b, hcm, d_reserved=1, reason="reservation", ref_type="order", ref_id=7),
        Move(a, hcm, d_reserved=2, reason="reservation", ref_type="order", ref_id=7, note="n"),
    ]
    async with db.transaction() as tx:
        result = await stock_levels.change_levels_with_ledger(tx, both, "tester")
        if db.dialect != "postgresql":
            assert result is None
            return
        assert result == ({(a, hcm): (5, 2), (b, hcm): (2, 1)}, True)
        ledger = (
            await tx.session.execute(
                select(
                    StockMove.variant_id, StockMove.delta_reserved, StockMove.note, StockMove.actor
                ).order_by(StockMove.id)
            )
        ).all()
        assert [tuple(r) for r in ledger][-2:] == [(b, 1, "", "tester"), (a, 2, "n", "tester")]
        before = len(ledger)
        too_much = [
            Move(a, hcm, d_reserved=1, reason="reservation"),
            Move(b, hcm, d_reserved=5, reason="reservation"),
        ]
        assert await stock_levels.change_levels_with_ledger(tx, too_much, "tester") == (
            {(a, hcm): (5, 3)},
            False,
        )
        after = (await tx.session.execute(select(StockMove.id))).all()
        assert len(after) == before


def test_in_list_binds_pad_to_few_statement_sizes() -> None:
    """Lists of any length share a handful of compiled statements: padded with their last
    value (which IN ignores) up to the next power of two."""
    assert [fastsql.padded_length(n) for n in (1, 2, 3, 5, 16, 17)] == [1, 2, 4, 8, 16, 32]
    assert fastsql.in_params("k", [7, 8, 9], 4) == {"k0": 7, "k1": 8, "k2": 9, "k3": 9}
    assert fastsql.in_params("k", [7]) == {"k0": 7}
    assert [b.key for b in fastsql.in_binds("k", 2, Integer)] == ["k0", "k1"]
    assert fastsql.json_object('{"a": 1}') == {"a": 1} == fastsql.json_object({"a": 1})
    assert fastsql.json_object(None) == {} == fastsql.json_object("[1]")

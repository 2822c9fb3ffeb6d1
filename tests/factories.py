"""Test data helpers shared by the tool tests.

Catalogue data goes through the real tools (``shop`` is the ``Caller`` fixture), so it is
exactly what production would write. ``reserve_stock`` and ``hold_stock`` are shortcuts that
put stock aside without an order or a quote flow; ``ledger_mismatches`` checks the stock
invariant and should be empty after any test that moves stock.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select, update

from core.roles import Actor, Role
from storage.database import Database
from storage.models import OutboxEvent, Quote, StockHold, StockLevel, StockMove, Variant
from tests.conftest import OWNER, SYSTEM, Caller
from tools.config import ToolConfig
from tools.context import ToolContext
from tools.events import flush_events
from tools.stock_ops import Move, apply_moves, get_warehouse, variant_by_sku

T = TypeVar("T")


# Staff actors and test data shared by the tool tests.
CUSTOMER = Actor.customer(1)
SALES = Actor(role=Role.SALES, staff_id=2)
KEEPER = Actor(role=Role.WAREHOUSE, staff_id=3)
ACCOUNTANT = Actor(role=Role.ACCOUNTANT, staff_id=4)
ADDRESS = {"line": "12 Nguyễn Huệ", "ward": "Bến Nghé", "district": "Quận 1", "province": "HCM"}
DEN, TRANG = "AT01-DEN-M", "AT01-TRANG-L"  # variants of make_product's default product
# A shop that takes bank transfers (Vietcombank's BIN; the account is made up).
BANK = ToolConfig(
    bank_bin="970436",
    bank_name="Vietcombank",
    bank_account_number="0071000123456",
    bank_account_name="CONG TY TNHH AO DEP",
)
DELIVERY = ["confirmed", "packing", "ready_to_ship", "shipping", "delivered"]


async def make_warehouses(shop: Caller) -> dict[str, int]:
    """Creates HCM (main) and HN (branch); returns their ids by code."""
    hcm = await shop("create_warehouse", code="HCM", name="Kho Hồ Chí Minh", kind="main")
    hn = await shop("create_warehouse", code="HN", name="Kho Hà Nội", kind="branch")
    return {"HCM": hcm["id"], "HN": hn["id"]}


async def make_product(
    shop: Caller,
    code: str = "AT01",
    name: str = "Áo thun cotton",
    *,
    variants: list[dict[str, Any]] | None = None,
    stock: dict[str, int] | None = None,
    attributes: list[str] | None = None,
    sale_price: int = 150_000,
    cost_price: int = 90_000,
    actor: Actor = OWNER,
    **fields: Any,
) -> list[str]:
    """Creates a product through create_product and returns its SKUs in order.

    Without ``variants`` it has two: ``{code}-DEN-M`` (Màu Đen, Size M) and ``{code}-TRANG-L``
    (Màu Trắng, Size L). ``stock`` (default ``{"HCM": 10}``) is the opening stock of every
    variant that does not give its own ``stock`` list. Attributes default to the option names
    of the first variant. Extra keyword arguments (category, brand, media...) go to the tool.
    """
    stock = {"HCM": 10} if stock is None else stock
    if variants is None:
        variants = [
            {"sku": f"{code}-DEN-M", "options": {"Màu": "Đen", "Size": "M"}},
            {"sku": f"{code}-TRANG-L", "options": {"Màu": "Trắng", "Size": "L"}},
        ]
    full = [
        {
            "sale_price": sale_price,
            "cost_price": cost_price,
            "stock": [{"warehouse_code": w, "quantity": q} for w, q in stock.items()],
            **v,
        }
        for v in variants
    ]
    if attributes is None:
        attributes = list(full[0].get("options", {}))
    await shop(
        "create_product",
        actor,
        code=code,
        name=name,
        attributes=attributes,
        variants=full,
        **fields,
    )
    return [v["sku"] for v in full]


async def make_stocked_shop(shop: Caller, stock: dict[str, int] | None = None) -> dict[str, int]:
    """HCM and HN plus make_product's default product (10 in HCM, 2 in HN each); warehouse ids."""
    wh = await make_warehouses(shop)
    await make_product(shop, stock={"HCM": 10, "HN": 2} if stock is None else stock)
    return wh


async def make_order(
    shop: Caller, lines: dict[str, int], *, upto: Sequence[str] = (), **over: Any
) -> dict[str, Any]:
    """A phone order by SALES for these SKU quantities, then set through each status of ``upto``."""
    made = await shop(
        "create_order",
        SALES,
        **{
            "channel": "phone",
            "buyer_name": "Nguyễn Văn A",
            "buyer_phone": "0912345678",
            "address": ADDRESS,
            "lines": [{"sku": s, "quantity": q} for s, q in lines.items()],
            **over,
        },
    )
    for status in upto:
        made = await shop("set_order_status", SALES, order_id=made["id"], status=status)
    return made


async def delivered_order(shop: Caller, lines: dict[str, int], **over: Any) -> dict[str, Any]:
    """make_order taken through the whole DELIVERY path to delivered."""
    return await make_order(shop, lines, upto=DELIVERY, **over)


async def place_quote(
    shop: Caller, actor: Actor, quote: dict[str, Any], **over: Any
) -> dict[str, Any]:
    """place_order on a quote_order result: buyer Alice, 0912345678, ADDRESS unless ``over``."""
    return await shop(
        "place_order",
        actor,
        **{
            "quote_token": quote["quote_token"],
            "buyer_name": "Alice",
            "buyer_phone": "0912345678",
            "address": ADDRESS,
            **over,
        },
    )


async def request_return(
    shop: Caller, order_id: int, quantities: dict[str, int], reason: str = "x"
) -> dict[str, Any]:
    """A return requested by sales staff for these SKUs and quantities."""
    lines = [{"sku": sku, "quantity": q} for sku, q in quantities.items()]
    return await shop("create_return", SALES, order_id=order_id, reason=reason, lines=lines)


async def receive_one_line(
    shop: Caller, ret: dict[str, Any], good: int = 0, damaged: int = 0
) -> dict[str, Any]:
    """The warehouse receives a one-line return with this many good and damaged units."""
    line = {"return_line_id": ret["lines"][0]["id"], "good": good, "damaged": damaged}
    return await shop("receive_return", KEEPER, return_id=ret["id"], lines=[line])


async def in_tx(db: Database, fn: Callable[[ToolContext], Awaitable[T]]) -> T:
    """Runs ``fn`` in one committed transaction as the system actor (outbox included)."""
    async with db.transaction() as tx:
        ctx = ToolContext(tx=tx, actor=SYSTEM, config=ToolConfig())
        result = await fn(ctx)
        await flush_events(ctx)
    return result


async def reserve_stock(db: Database, sku: str, warehouse_code: str, quantity: int) -> None:
    """Reserves stock as an order would (a reservation ledger row), without an order."""

    async def run(ctx: ToolContext) -> None:
        v = await variant_by_sku(ctx, sku)
        wh = await get_warehouse(ctx, code=warehouse_code)
        await apply_moves(ctx, [Move(v.id, wh.id, d_reserved=quantity, reason="reservation")])

    await in_tx(db, run)


async def hold_stock(
    db: Database, sku: str, warehouse_code: str, quantity: int, *, minutes: int = 15
) -> int:
    """A quote hold that lives ``minutes`` from now (negative: already expired); its quote id."""

    async def run(ctx: ToolContext) -> int:
        v = await variant_by_sku(ctx, sku)
        wh = await get_warehouse(ctx, code=warehouse_code)
        quote = Quote(
            token=secrets.token_hex(8),
            payload={},
            status="open",
            expires_at=ctx.now + timedelta(minutes=minutes),
            created_at=ctx.now,
        )
        ctx.tx.session.add(quote)
        await ctx.tx.session.flush()
        ctx.tx.session.add(
            StockHold(
                quote_id=quote.id,
                variant_id=v.id,
                warehouse_id=wh.id,
                quantity=quantity,
                expires_at=quote.expires_at,
            )
        )
        # As tools.holds.hold_quote does: the row says a live hold may exist until then.
        await ctx.tx.session.execute(
            update(StockLevel)
            .where(StockLevel.variant_id == v.id, StockLevel.warehouse_id == wh.id)
            .where(StockLevel.holds_until.is_(None) | (StockLevel.holds_until < quote.expires_at))
            .values(holds_until=quote.expires_at)
        )
        await ctx.tx.session.flush()
        return quote.id

    return await in_tx(db, run)


async def ledger_mismatches(db: Database) -> list[tuple[int, int, int, int, int, int]]:
    """(variant, warehouse, on_hand, ledger on_hand, reserved, ledger reserved) that disagree."""

    async def run(ctx: ToolContext) -> list[tuple[int, int, int, int, int, int]]:
        sums = (
            select(
                StockMove.variant_id,
                StockMove.warehouse_id,
                func.sum(StockMove.delta_on_hand).label("oh"),
                func.sum(StockMove.delta_reserved).label("rs"),
            )
            .group_by(StockMove.variant_id, StockMove.warehouse_id)
            .subquery()
        )
        rows = await ctx.tx.session.execute(
            select(
                StockLevel.variant_id,
                StockLevel.warehouse_id,
                StockLevel.on_hand,
                func.coalesce(sums.c.oh, 0),
                StockLevel.reserved,
                func.coalesce(sums.c.rs, 0),
            ).outerjoin(
                sums,
                (sums.c.variant_id == StockLevel.variant_id)
                & (sums.c.warehouse_id == StockLevel.warehouse_id),
            )
        )
        return [
            (v, w, oh, int(loh), rs, int(lrs))
            for v, w, oh, loh, rs, lrs in rows
            if oh != int(loh) or rs != int(lrs)
        ]

    return await in_tx(db, run)


async def stock_level(db: Database, sku: str, warehouse_id: int) -> tuple[int, int]:
    """(on_hand, reserved) of one SKU in one warehouse, read from the stock_levels row."""

    async def run(ctx: ToolContext) -> tuple[int, int]:
        row = (
            await ctx.tx.session.execute(
                select(StockLevel.on_hand, StockLevel.reserved)
                .join(Variant, Variant.id == StockLevel.variant_id)
                .where(Variant.sku == sku, StockLevel.warehouse_id == warehouse_id)
            )
        ).one()
        return row[0], row[1]

    return await in_tx(db, run)


async def outbox_payloads(db: Database, topic: str) -> list[dict[str, Any]]:
    """The payloads of the outbox events on ``topic``, oldest first."""

    async def run(ctx: ToolContext) -> list[dict[str, Any]]:
        rows = await ctx.tx.session.execute(
            select(OutboxEvent.payload).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id)
        )
        return [r[0] for r in rows]

    return await in_tx(db, run)


async def count_rows(db: Database, *models: Any) -> dict[str, int]:
    """Row counts by table name: to prove a refused call wrote nothing."""

    async def run(ctx: ToolContext) -> dict[str, int]:
        return {
            m.__tablename__: int(
                await ctx.tx.session.scalar(select(func.count()).select_from(m)) or 0
            )
            for m in models
        }

    return await in_tx(db, run)


async def impossible_levels(db: Database) -> int:
    """Stock rows that break the invariants (reserved above on hand, on hand below zero)."""
    async with db.transaction(write=False) as tx:
        found = await tx.session.scalar(
            select(func.count())
            .select_from(StockLevel)
            .where((StockLevel.reserved > StockLevel.on_hand) | (StockLevel.on_hand < 0))
        )
    return int(found or 0)

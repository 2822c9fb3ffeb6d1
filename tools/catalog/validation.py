"""Checking new variants against the catalogue and writing them; the folded text search reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.catalog import (
    check_price,
    check_sku,
    check_variant_options,
    check_vat_rate,
    variant_label,
)
from core.errors import Conflict, InvalidInput, NotFound
from core.text import fold
from storage import catalog as store
from storage import warehouses as warehouse_store
from storage.models import Product, Variant
from tools.catalog.schemas import (
    VariantIn,
)
from tools.context import ToolContext
from tools.stock_ops import Move, apply_moves, ensure_levels, warehouse_ids


@dataclass(frozen=True, slots=True)
class CleanVariant:
    field: str  # e.g. "variants.1"
    sku: str
    barcode: str | None
    options: dict[str, str]
    source: VariantIn
    stock: list[tuple[int, int]]  # (warehouse id, quantity)


def _search_text(product: Product, variants: Sequence[Variant]) -> str:
    parts = [product.name, product.brand, product.category, product.code]
    for v in variants:
        parts.append(v.sku)
        parts.extend(v.options.values())
    return fold(" ".join(parts))


def _variant_text(product: Product, variant: Variant) -> str:
    return fold(
        " ".join(
            [
                product.name,
                product.brand,
                product.category,
                product.code,
                variant.sku,
                *variant.options.values(),
            ]
        )
    )


def _clean_barcode(raw: str | None) -> str | None:
    text = (raw or "").strip()
    return text or None


async def _check_new_variants(
    ctx: ToolContext,
    attributes: list[str],
    items: Sequence[tuple[str, VariantIn]],
    existing_options: Sequence[dict[str, str]] = (),
) -> list[CleanVariant]:
    """Every check for new variants, before anything is written: format, duplicates in the
    request, duplicates in the database, and the warehouses named for opening stock."""
    staged, seen_sku, seen_barcode = _staged(attributes, items, existing_options)
    await _refuse_taken(ctx, seen_sku, seen_barcode)
    return await _with_stock(ctx, staged)


_Staged = tuple[str, str, str | None, dict[str, str], VariantIn]  # field, sku, barcode, options


def _staged(
    attributes: list[str],
    items: Sequence[tuple[str, VariantIn]],
    existing_options: Sequence[dict[str, str]],
) -> tuple[list[_Staged], dict[str, str], dict[str, str]]:
    """Each variant checked on its own and against the others in the request; with the field
    of each SKU (folded) and barcode."""
    staged: list[_Staged] = []
    seen_sku: dict[str, str] = {}
    seen_barcode: dict[str, str] = {}
    seen_options = {frozenset(o.items()) for o in existing_options}
    for field, v in items:
        sku = check_sku(v.sku, field=f"{field}.sku")
        options = check_variant_options(attributes, v.options, field=f"{field}.options")
        check_vat_rate(v.vat_rate, field=f"{field}.vat_rate")
        check_price(v.sale_price, field=f"{field}.sale_price")
        check_price(v.cost_price, field=f"{field}.cost_price")
        barcode = _clean_barcode(v.barcode)
        if sku.casefold() in seen_sku:
            raise Conflict(
                f"SKU {sku} appears twice in the request.",
                field=f"{field}.sku",
                code="duplicate_sku",
                details={"sku": sku},
            )
        seen_sku[sku.casefold()] = field
        if barcode is not None:
            if barcode in seen_barcode:
                raise Conflict(
                    f"Barcode {barcode} appears twice in the request.",
                    field=f"{field}.barcode",
                    code="duplicate_barcode",
                )
            seen_barcode[barcode] = field
        key = frozenset(options.items())
        if key in seen_options:
            raise Conflict(
                f"Another variant already has the options {variant_label(options)}.",
                field=f"{field}.options",
                code="duplicate_options",
            )
        seen_options.add(key)
        staged.append((field, sku, barcode, options, v))
    return staged, seen_sku, seen_barcode


async def _refuse_taken(
    ctx: ToolContext, seen_sku: dict[str, str], seen_barcode: dict[str, str]
) -> None:
    """A SKU or barcode another variant already has is refused, naming the request's field."""
    if seen_sku:
        taken = await store.taken_skus(ctx.tx, seen_sku)
        if taken:
            sku = taken[0]
            raise Conflict(
                f"SKU {sku} is already used by another variant.",
                field=f"{seen_sku[sku.casefold()]}.sku",
                code="duplicate_sku",
                details={"sku": sku},
            )
    if seen_barcode:
        used = await store.taken_barcodes(ctx.tx, seen_barcode)
        if used:
            code = used[0]
            raise Conflict(
                f"Barcode {code} is already used by another variant.",
                field=f"{seen_barcode[code]}.barcode",
                code="duplicate_barcode",
            )


async def _with_stock(ctx: ToolContext, staged: list[_Staged]) -> list[CleanVariant]:
    """The variants with their opening stock, in active warehouses each named once."""
    codes = {s.warehouse_code.strip().upper() for *_, v in staged for s in v.stock}
    warehouses = await warehouse_store.by_code(ctx.tx, codes)
    out: list[CleanVariant] = []
    for field, sku, barcode, options, v in staged:
        stock: list[tuple[int, int]] = []
        for k, s in enumerate(v.stock):
            code = s.warehouse_code.strip().upper()
            where = f"{field}.stock.{k}.warehouse_code"
            wh = warehouses.get(code)
            if wh is None:
                raise NotFound(
                    f"Warehouse {code} does not exist.", field=where, code="unknown_warehouse"
                )
            if not wh.active:
                raise InvalidInput(
                    f"Warehouse {code} is not active.", field=where, code="warehouse_inactive"
                )
            if any(wid == wh.id for wid, _ in stock):
                raise InvalidInput(f"Warehouse {code} is listed twice for {sku}.", field=where)
            stock.append((wh.id, s.quantity))
        out.append(CleanVariant(field, sku, barcode, options, v, stock))
    return out


async def _write_variants(
    ctx: ToolContext, product: Product, clean: Sequence[CleanVariant]
) -> list[Variant]:
    """Inserts the variants, a stock row per active warehouse, and the opening stock."""
    rows = [
        Variant(
            product_id=product.id,
            sku=c.sku,
            barcode=c.barcode,
            options=c.options,
            cost_price=c.source.cost_price,
            sale_price=c.source.sale_price,
            vat_rate=c.source.vat_rate,
            reorder_point=c.source.reorder_point,
            weight_grams=c.source.weight_grams,
            active=True,
            created_at=ctx.now,
        )
        for c in clean
    ]
    await store.add_variants(ctx.tx, rows)
    await ensure_levels(ctx, [v.id for v in rows], await warehouse_ids(ctx))
    moves = [
        Move(
            v.id,
            wid,
            d_on_hand=qty,
            reason="initial",
            ref_type="product",
            ref_id=product.id,
            note="opening stock",
        )
        for v, c in zip(rows, clean, strict=True)
        for wid, qty in c.stock
        if qty > 0
    ]
    if moves:
        await apply_moves(ctx, moves)
    return rows

"""The catalogue import's and export's queries: what a file's rows already are in the shop,
and the whole catalogue as rows to write out.

A file may have thousands of rows, so lookups by key go in chunks of ``CHUNK`` keys per
``IN (...)`` list (PostgreSQL and SQLite both cap bound parameters), whatever its length.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from storage.database import Tx
from storage.models import Product, StockLevel, Variant, Warehouse

CHUNK = 1000


def _chunks(keys: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(keys), CHUNK):
        yield list(keys[start : start + CHUNK])


async def variants_by_sku(tx: Tx, folded_skus: Sequence[str]) -> list[tuple[Variant, Product]]:
    """The variants with these SKUs (given casefolded), each with its product."""
    out: list[tuple[Variant, Product]] = []
    for chunk in _chunks(folded_skus):
        found = await tx.session.execute(
            select(Variant, Product)
            .join(Product, Product.id == Variant.product_id)
            .where(func.lower(Variant.sku).in_(chunk))
        )
        out += [(v, p) for v, p in found]
    return out


async def products_by_code(tx: Tx, folded_codes: Sequence[str]) -> list[Product]:
    """The products with these codes (given casefolded)."""
    out: list[Product] = []
    for chunk in _chunks(folded_codes):
        found = await tx.session.execute(select(Product).where(func.lower(Product.code).in_(chunk)))
        out += found.scalars()
    return out


async def barcode_owners(tx: Tx, barcodes: Sequence[str]) -> dict[str, tuple[int, str]]:
    """For each of these barcodes that a variant has: (that variant's id, its SKU)."""
    out: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(barcodes):
        owners = await tx.session.execute(
            select(Variant.id, Variant.sku, Variant.barcode).where(Variant.barcode.in_(chunk))
        )
        for vid, sku, code in owners:
            if code is not None:
                out[code] = (vid, sku)
    return out


async def variant_options(tx: Tx, product_id: int) -> list[dict[str, str]]:
    """The option sets the product's variants already have (a new one must differ)."""
    rows = await tx.session.execute(select(Variant.options).where(Variant.product_id == product_id))
    return [dict(o) for o in rows.scalars()]


@dataclass(frozen=True, slots=True)
class CatalogDump:
    """The catalogue as export_catalog writes it: active warehouses (by id), the products
    (by id), their variants (by id) and on-hand stock per (variant id, warehouse id)."""

    warehouses: list[Warehouse]
    products: list[Product]
    variants: dict[int, list[Variant]]
    on_hand: dict[tuple[int, int], int]


async def catalog_dump(
    tx: Tx, *, include_inactive: bool, categories: Sequence[str] | None
) -> CatalogDump:
    """Four queries whatever the catalogue's size; ``categories`` None means all, an empty
    list means none."""
    s = tx.session
    warehouses = list(
        (
            await s.execute(
                select(Warehouse).where(Warehouse.active.is_(True)).order_by(Warehouse.id)
            )
        ).scalars()
    )
    products_q = select(Product).order_by(Product.id)
    if not include_inactive:
        products_q = products_q.where(Product.active.is_(True))
    if categories is not None:
        products_q = products_q.where(
            Product.category.in_(list(categories) or [""]), Product.category != ""
        )
    products = list((await s.execute(products_q)).scalars())
    chosen = products_q.with_only_columns(Product.id).order_by(None)
    variants_q = (
        select(Variant)
        .where(Variant.product_id.in_(chosen))
        .order_by(Variant.product_id, Variant.id)
    )
    if not include_inactive:
        variants_q = variants_q.where(Variant.active.is_(True))
    variants: dict[int, list[Variant]] = {}
    for v in (await s.execute(variants_q)).scalars():
        variants.setdefault(v.product_id, []).append(v)
    levels_q = (
        select(StockLevel.variant_id, StockLevel.warehouse_id, StockLevel.on_hand)
        .join(Variant, Variant.id == StockLevel.variant_id)
        .where(Variant.product_id.in_(chosen))
    )
    on_hand = {(vid, wid): qty for vid, wid, qty in await s.execute(levels_q)}
    return CatalogDump(warehouses, products, variants, on_hand)

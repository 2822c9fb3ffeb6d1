"""The catalogue's queries: products, their variants, the search texts and categories.

Products and variants come back as ORM entities where a tool edits them (unit of work: the
caller changes attributes, the transaction writes them); search reads come back as plain
tuples, because the ranking only needs a product's folded text, name and category.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Select, String, func, select

from storage.database import Tx
from storage.fastsql import Sql, in_binds, in_params, json_object
from storage.models import Product, Variant


@dataclass(frozen=True, slots=True)
class ProductScope:
    """The products a search or listing looks at: active ones unless staff asked for all,
    and only the given categories when some are given."""

    include_inactive: bool = False
    categories: tuple[str, ...] | None = None


class ProductDoc(NamedTuple):
    """What search ranks a product by."""

    search_text: str
    name: str
    category: str


def _docs(scope: ProductScope) -> Select[int, str, str, str]:
    q = select(Product.id, Product.search_text, Product.name, Product.category)
    if not scope.include_inactive:
        q = q.where(Product.active.is_(True))
    if scope.categories is not None:
        q = q.where(Product.category.in_(scope.categories))
    return q


async def category_names(tx: Tx, *, include_inactive: bool) -> list[str]:
    """Every distinct category name as stored (of active products unless include_inactive)."""
    q = select(Product.category).distinct()
    if not include_inactive:
        q = q.where(Product.active.is_(True))
    return list((await tx.session.execute(q)).scalars())


async def product_ids_by_name(tx: Tx, scope: ProductScope) -> list[int]:
    """The products in scope, by name (an empty search lists them)."""
    rows = await tx.session.execute(_docs(scope).order_by(Product.name, Product.id))
    return [pid for pid, *_ in rows]


async def docs_containing(
    tx: Tx, scope: ProductScope, words: Sequence[str], limit: int
) -> dict[int, ProductDoc]:
    """Products whose folded search text contains every word (SQL LIKE), oldest first, at
    most ``limit``: the words are already folded, so LIKE needs no collation."""
    like = _docs(scope).where(*[Product.search_text.like(f"%{w}%") for w in words])
    rows = await tx.session.execute(like.order_by(Product.id).limit(limit))
    return {pid: ProductDoc(text, name, cat) for pid, text, name, cat in rows}


async def all_docs(tx: Tx, scope: ProductScope) -> dict[int, ProductDoc]:
    """Every product in scope (fuzzy and partial matching rank them all in Python)."""
    rows = await tx.session.execute(_docs(scope))
    return {pid: ProductDoc(text, name, cat) for pid, text, name, cat in rows}


async def products_by_id(tx: Tx, ids: Collection[int]) -> dict[int, Product]:
    found = await tx.session.execute(select(Product).where(Product.id.in_(list(ids))))
    return {p.id: p for p in found.scalars()}


async def variants_of(tx: Tx, product_ids: Sequence[int]) -> dict[int, list[Variant]]:
    """Each product's variants, oldest first (every given id has a list, maybe empty)."""
    out: dict[int, list[Variant]] = {pid: [] for pid in product_ids}
    if product_ids:
        rows = await tx.session.execute(
            select(Variant).where(Variant.product_id.in_(list(product_ids))).order_by(Variant.id)
        )
        for v in rows.scalars():
            out[v.product_id].append(v)
    return out


async def find_product(
    tx: Tx, *, product_id: int | None = None, code: str | None = None, sku: str | None = None
) -> Product | None:
    """The product with this id, or this code or a variant with this SKU (case ignored);
    exactly one of them is given."""
    q = select(Product)
    if product_id is not None:
        q = q.where(Product.id == product_id)
    elif code is not None:
        q = q.where(func.lower(Product.code) == code.lower())
    else:
        q = q.join(Variant, Variant.product_id == Product.id).where(
            func.lower(Variant.sku) == (sku or "").lower()
        )
    return (await tx.session.execute(q)).scalars().first()


async def active_category_counts(tx: Tx) -> list[tuple[str, int]]:
    """Each non-empty category of active products with how many it has (unordered)."""
    rows = await tx.session.execute(
        select(Product.category, func.count())
        .where(Product.active.is_(True), Product.category != "")
        .group_by(Product.category)
    )
    return [(name, int(n)) for name, n in rows]


async def active_category_labels(tx: Tx) -> list[tuple[str, dict[str, Any]]]:
    """(category, English labels) of every active product with a category, oldest first, so
    the caller can take the first label given for each category."""
    rows = await tx.session.execute(
        select(Product.category, Product.labels_en)
        .where(Product.active.is_(True), Product.category != "")
        .order_by(Product.id)
    )
    return [(category, labels or {}) for category, labels in rows]


async def variant_by_sku(tx: Tx, sku: str) -> Variant | None:
    """The variant with exactly this SKU, if any."""
    found: Variant | None = await tx.session.scalar(select(Variant).where(Variant.sku == sku))
    return found


class SaleVariant(NamedTuple):
    """What an order or a quote needs of a variant, with its product's name."""

    id: int
    sku: str
    product_name: str
    options: dict[str, str]
    sale_price: int
    vat_rate: int
    cost_price: int
    sellable: bool  # the variant and its product are both active


@functools.cache
def _sale_variants_sql(count: int) -> Sql:
    """One statement per number of SKUs, on the fast path: the order hot path looks up every
    line's variant with it."""
    skus = in_binds("s", count, String)
    return Sql(
        select(
            Variant.id,
            Variant.sku,
            Product.name,
            Variant.options,
            Variant.sale_price,
            Variant.vat_rate,
            Variant.cost_price,
            Variant.active,
            Product.active,
        )
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.sku.in_(skus))
    )


async def sale_variants(tx: Tx, skus: Sequence[str]) -> list[SaleVariant]:
    """The variants with these exact SKUs (given distinct), sellable or not; unknown SKUs are
    absent."""
    sql = await tx.raw()
    rows = await sql.fetch(_sale_variants_sql(len(skus)), in_params("s", skus))
    return [
        SaleVariant(vid, sku, name, json_object(options), price, vat, cost, bool(v_on and p_on))
        for vid, sku, name, options, price, vat, cost, v_on, p_on in rows
    ]


async def code_taken(tx: Tx, code: str) -> bool:
    """Whether a product already has this code (case ignored)."""
    n = await tx.session.scalar(
        select(func.count()).where(func.lower(Product.code) == code.lower())
    )
    return bool(n)


async def barcode_owner(tx: Tx, barcode: str) -> int | None:
    """The variant that has this barcode, if any."""
    return await tx.session.scalar(select(Variant.id).where(Variant.barcode == barcode))


async def taken_skus(tx: Tx, folded: Collection[str]) -> list[str]:
    """The stored SKUs among these (given casefolded; compared lowercased)."""
    if not folded:
        return []
    rows = await tx.session.execute(
        select(Variant.sku).where(func.lower(Variant.sku).in_(list(folded)))
    )
    return list(rows.scalars())


async def taken_barcodes(tx: Tx, barcodes: Collection[str]) -> list[str]:
    """The stored barcodes among these."""
    if not barcodes:
        return []
    rows = await tx.session.execute(
        select(Variant.barcode).where(Variant.barcode.in_(list(barcodes)))
    )
    return [str(b) for b in rows.scalars()]


async def add_product(tx: Tx, product: Product) -> Product:
    """Stores a new product, flushed so it has its id (its variants need it)."""
    tx.session.add(product)
    await tx.session.flush()
    return product


async def add_variants(tx: Tx, variants: Sequence[Variant]) -> list[Variant]:
    """Stores new variants, flushed so they have ids (their stock rows need them)."""
    tx.session.add_all(variants)
    await tx.session.flush()
    return list(variants)

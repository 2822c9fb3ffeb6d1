"""The catalogue: products, their variants (one per combination of up to 3 attributes) and search.

Customers see prices and what can be sold; cost, margin and per-warehouse stock are for staff
only, and inactive products do not exist for customers. Search ignores diacritics and case
and tolerates typos, because chat customers type "ao thung den" for "Áo thun đen".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select

from core.catalog import (
    check_attribute_names,
    check_price,
    check_sku,
    check_variant_options,
    check_vat_rate,
    variant_label,
)
from core.collation import sorted_vi
from core.errors import Conflict, InvalidInput, NotFound
from core.labels import attribute_label, category_label, options_label
from core.money import margin_percent
from core.search import (
    catalogue_words,
    contains_all,
    fuzzy_scores,
    may_need_catalogue_words,
    partial_scores,
    phrase_tier,
    query_tokens,
    vocabulary,
)
from core.text import fold
from storage.media import thumbnail_url
from storage.models import Product, Variant, Warehouse
from tools.catalog_labels import category_labels, new_labels, values_from_variants
from tools.context import ToolContext
from tools.registry import CUSTOMER, MANAGERS, SALES, STAFF, tool
from tools.stock import (
    WarehouseLevel,
    WarehouseStockOut,
    ordered_options,
    read_levels,
    warehouse_stock,
)
from tools.stock_ops import Move, apply_moves, ensure_levels, warehouse_ids

CATALOG_EDITORS = MANAGERS | SALES
LABEL_FIELDS = ("category_en", "attributes_en", "values_en")
MAX_PRICE = 2_000_000_000  # đồng; the columns are 32-bit integers
MAX_QUANTITY = 1_000_000
# How many exact (LIKE) matches are ranked per search; the rest are not looked at.
MAX_CANDIDATES = 500

Vat = Literal[0, 5, 8, 10]
# A web address, or an image uploaded to the shop (upload_product_image, storage/media.py).
MediaUrl = Annotated[
    str,
    Field(pattern=r"^(?:https?://\S+|/media/[0-9a-f]{32}\.(?:jpg|png|webp))$", max_length=2000),
]
SpecValue = str | int | float | bool


# ------------------------------------------------------------------------------------- inputs


class StockIn(BaseModel):
    warehouse_code: str = Field(min_length=1, max_length=32, description="e.g. HCM")
    quantity: int = Field(ge=0, le=MAX_QUANTITY, description="Units on hand to record")


class VariantIn(BaseModel):
    sku: str = Field(min_length=1, max_length=64, description="Unique stock keeping unit")
    barcode: str | None = Field(default=None, max_length=64, description="EAN/UPC if any")
    options: dict[str, str] = Field(
        default_factory=dict,
        description="One value per product attribute, e.g. {'Màu': 'Đen', 'Size': 'M'}; "
        "{} when the product has no attributes",
    )
    cost_price: int = Field(default=0, ge=0, le=MAX_PRICE, description="Purchase cost, đồng")
    sale_price: int = Field(ge=0, le=MAX_PRICE, description="Selling price, đồng")
    vat_rate: Vat = Field(default=10, description="VAT %: 0, 5, 8 or 10")
    reorder_point: int = Field(
        default=5, ge=0, le=MAX_QUANTITY, description="Warn when available falls to this"
    )
    weight_grams: int = Field(default=300, ge=0, le=MAX_QUANTITY)
    stock: list[StockIn] = Field(
        default_factory=list, max_length=50, description="Opening stock per warehouse"
    )
    options_en: dict[str, str] = Field(
        default_factory=dict,
        description="Optional English for this variant's values, by attribute: {'Màu': 'Black'}",
    )


class ProductRef(BaseModel):
    product_id: int | None = Field(default=None, gt=0)
    code: str | None = Field(default=None, max_length=64, description="Product code")


class CreateProductIn(BaseModel):
    code: str = Field(min_length=1, max_length=64, description="Unique product code, e.g. AT01")
    name: str = Field(min_length=1, max_length=300)
    category: str = Field(default="", max_length=120)
    category_en: str = Field(default="", max_length=120, description="Optional English label")
    brand: str = Field(default="", max_length=120)
    description: str = Field(default="", max_length=20_000)
    specs: dict[str, SpecValue] = Field(
        default_factory=dict, description="Specifications, e.g. {'Chất liệu': 'Cotton'}"
    )
    media: list[MediaUrl] = Field(
        default_factory=list,
        max_length=30,
        description="Image/video URLs; the first is the main image",
    )
    attributes: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Names of the attributes variants differ by, at most 3, e.g. ['Màu', 'Size']",
    )
    attributes_en: dict[str, str] = Field(
        default_factory=dict, description="Optional English names: {'Màu': 'Colour'}"
    )
    variants: list[VariantIn] = Field(
        min_length=1,
        max_length=300,
        description="One per attribute combination; exactly one (options {}) without attributes",
    )
    active: bool = True


class VariantPatch(BaseModel):
    sku: str = Field(min_length=1, max_length=64, description="The variant to change")
    sale_price: int | None = Field(default=None, ge=0, le=MAX_PRICE)
    cost_price: int | None = Field(default=None, ge=0, le=MAX_PRICE)
    vat_rate: Vat | None = None
    reorder_point: int | None = Field(default=None, ge=0, le=MAX_QUANTITY)
    weight_grams: int | None = Field(default=None, ge=0, le=MAX_QUANTITY)
    active: bool | None = None
    barcode: str | None = Field(default=None, max_length=64, description="'' removes it")


class UpdateProductIn(ProductRef):
    name: str | None = Field(default=None, min_length=1, max_length=300)
    category: str | None = Field(default=None, max_length=120)
    category_en: str | None = Field(default=None, max_length=120, description="'' removes it")
    attributes_en: dict[str, str] | None = Field(
        default=None, description="English attribute names to set ('' removes one)"
    )
    values_en: dict[str, dict[str, str]] | None = Field(
        default=None,
        description="English values to set, by attribute: {'Màu': {'Đen': 'Black'}} ('' removes)",
    )
    brand: str | None = Field(default=None, max_length=120)
    description: str | None = Field(default=None, max_length=20_000)
    specs: dict[str, SpecValue] | None = Field(default=None, description="Replaces all specs")
    media: list[MediaUrl] | None = Field(default=None, max_length=30, description="Replaces all")
    active: bool | None = Field(default=None, description="false hides it from customers")
    variants: list[VariantPatch] = Field(
        default_factory=list, max_length=300, description="Per-variant changes, addressed by SKU"
    )


class AddVariantIn(ProductRef):
    variant: VariantIn


class GetProductIn(ProductRef):
    sku: str | None = Field(default=None, max_length=64, description="Any variant's SKU")


class SearchProductsIn(BaseModel):
    query: str = Field(
        default="",
        max_length=200,
        description="Product words: name, type, colour, size, brand or code. Accents and small "
        "typos are fine. Leave empty to list a category.",
    )
    category: str | None = Field(default=None, max_length=120)
    in_stock_only: bool = False
    limit: int = Field(default=10, ge=1, le=50)
    include_inactive: bool = Field(default=False, description="Staff only")


class ListCategoriesIn(BaseModel):
    pass


# ------------------------------------------------------------------------------------ outputs


class VariantOut(BaseModel):
    sku: str
    barcode: str | None
    options: dict[str, str]
    label: str = Field(description="Option values joined, e.g. 'Đen / M'")
    options_en: dict[str, str] = Field(
        default_factory=dict, description="The values in English (Vietnamese where none given)"
    )
    label_en: str = Field(default="", description="label in English, e.g. 'Black / M'")
    sale_price: int
    vat_rate: int
    available: int = Field(description="Units that can be sold now, all warehouses together")
    weight_grams: int
    active: bool
    # Staff only (None for customers):
    cost_price: int | None = None
    profit: int | None = Field(default=None, description="sale_price - cost_price")
    margin_percent: float | None = None
    reorder_point: int | None = None
    stock: list[WarehouseStockOut] | None = None


class ProductOut(BaseModel):
    id: int
    code: str
    name: str
    category: str
    category_en: str = Field(default="", description="In English (Vietnamese where none given)")
    brand: str
    description: str
    specs: dict[str, Any]
    media: list[str]
    attributes: list[str]
    attributes_en: dict[str, str] = Field(
        default_factory=dict, description="Attribute names in English, by Vietnamese name"
    )
    image_url: str | None = Field(default=None, description="The main image (media[0])")
    thumbnail_url: str | None = Field(default=None, description="Its small version, for cards")
    active: bool
    price_min: int | None = Field(description="Lowest sale price of the active variants")
    price_max: int | None
    available: int
    variants: list[VariantOut]


class ProductHit(BaseModel):
    product_id: int
    code: str
    name: str
    category: str
    category_en: str = ""
    brand: str
    price_min: int | None
    price_max: int | None
    available: int
    image: str | None = Field(description="First media URL")
    image_url: str | None = Field(default=None, description="The main image, as image")
    thumbnail_url: str | None = Field(default=None, description="Its small version, for cards")
    variant_count: int
    matching_variants: int = Field(description="Variants whose own options match the query too")
    match: Literal["exact", "fuzzy", "partial", "list"] = Field(
        description="exact: every word found; fuzzy: close spelling (ask to confirm); "
        "partial: only some words found (nothing better; say so); list: no query"
    )
    score: float | None = None


class SearchProductsOut(BaseModel):
    results: list[ProductHit]


class CategoryOut(BaseModel):
    name: str
    name_en: str = Field(default="", description="In English (the name where none given)")
    product_count: int


class ListCategoriesOut(BaseModel):
    categories: list[CategoryOut]


# ---------------------------------------------------------------------------------- validation


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
    staged: list[tuple[str, str, str | None, dict[str, str], VariantIn]] = []
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

    if seen_sku:
        taken = (
            (
                await ctx.session.execute(
                    select(Variant.sku).where(func.lower(Variant.sku).in_(list(seen_sku)))
                )
            )
            .scalars()
            .all()
        )
        if taken:
            sku = taken[0]
            raise Conflict(
                f"SKU {sku} is already used by another variant.",
                field=f"{seen_sku[sku.casefold()]}.sku",
                code="duplicate_sku",
                details={"sku": sku},
            )
    if seen_barcode:
        used = (
            (
                await ctx.session.execute(
                    select(Variant.barcode).where(Variant.barcode.in_(list(seen_barcode)))
                )
            )
            .scalars()
            .all()
        )
        if used:
            code = str(used[0])
            raise Conflict(
                f"Barcode {code} is already used by another variant.",
                field=f"{seen_barcode[code]}.barcode",
                code="duplicate_barcode",
            )

    codes = {s.warehouse_code.strip().upper() for *_, v in staged for s in v.stock}
    warehouses = (
        {
            w.code: w
            for w in (
                await ctx.session.execute(select(Warehouse).where(Warehouse.code.in_(codes)))
            ).scalars()
        }
        if codes
        else {}
    )
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
    ctx.session.add_all(rows)
    await ctx.session.flush()
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


# ------------------------------------------------------------------------------------- reading


async def _variants_of(ctx: ToolContext, product_ids: Sequence[int]) -> dict[int, list[Variant]]:
    out: dict[int, list[Variant]] = {pid: [] for pid in product_ids}
    if product_ids:
        rows = await ctx.session.execute(
            select(Variant).where(Variant.product_id.in_(list(product_ids))).order_by(Variant.id)
        )
        for v in rows.scalars():
            out[v.product_id].append(v)
    return out


async def _find_product(ctx: ToolContext, inp: ProductRef, sku: str | None = None) -> Product:
    """One product by id, code or SKU; inactive products do not exist for customers."""
    given = [x for x in (inp.product_id, inp.code, sku) if x is not None]
    if len(given) != 1:
        raise InvalidInput(
            "Name the product by exactly one of product_id, code or sku.", field="product_id"
        )
    q = select(Product)
    if inp.product_id is not None:
        q, field, what = q.where(Product.id == inp.product_id), "product_id", str(inp.product_id)
    elif inp.code is not None:
        code = inp.code.strip()
        q, field, what = q.where(func.lower(Product.code) == code.lower()), "code", code
    else:
        s = (sku or "").strip()
        q = q.join(Variant, Variant.product_id == Product.id).where(
            func.lower(Variant.sku) == s.lower()
        )
        field, what = "sku", s
    found = (await ctx.session.execute(q)).scalars().first()
    if found is None or (ctx.actor.is_customer and not found.active):
        raise NotFound(f"There is no product {what}.", field=field, code="unknown_product")
    return found


def _product_out(
    product: Product,
    variants: Sequence[Variant],
    levels: dict[int, list[WarehouseLevel]],
    *,
    staff: bool,
) -> ProductOut:
    shown = [v for v in variants if staff or v.active]
    out_variants: list[VariantOut] = []
    for v in shown:
        lv = levels.get(v.id, [])
        options = ordered_options(v.options, product.attributes)
        options_en = options_label(product.labels_en, options, "en")
        item = VariantOut(
            sku=v.sku,
            barcode=v.barcode,
            options=options,
            label=variant_label(options),
            options_en=options_en,
            label_en=variant_label(options_en),
            sale_price=v.sale_price,
            vat_rate=v.vat_rate,
            available=sum(w.level.available for w in lv),
            weight_grams=v.weight_grams,
            active=v.active,
        )
        if staff:
            item.cost_price = v.cost_price
            item.profit = v.sale_price - v.cost_price
            item.margin_percent = margin_percent(v.sale_price, v.cost_price)
            item.reorder_point = v.reorder_point
            item.stock = [warehouse_stock(w) for w in lv]
        out_variants.append(item)
    prices = [v.sale_price for v in variants if v.active]
    return ProductOut(
        id=product.id,
        code=product.code,
        name=product.name,
        category=product.category,
        category_en=category_label(product.labels_en, product.category, "en"),
        brand=product.brand,
        description=product.description,
        specs=product.specs,
        media=product.media,
        attributes=product.attributes,
        attributes_en={a: attribute_label(product.labels_en, a, "en") for a in product.attributes},
        image_url=product.media[0] if product.media else None,
        thumbnail_url=thumbnail_url(product.media[0]) if product.media else None,
        active=product.active,
        price_min=min(prices) if prices else None,
        price_max=max(prices) if prices else None,
        available=sum(v.available for v in out_variants if v.active),
        variants=out_variants,
    )


async def _load_out(ctx: ToolContext, product: Product) -> ProductOut:
    variants = (await _variants_of(ctx, [product.id]))[product.id]
    levels = await read_levels(ctx, [v.id for v in variants])
    return _product_out(product, variants, levels, staff=not ctx.actor.is_customer)


# --------------------------------------------------------------------------------------- tools


async def _create_product(ctx: ToolContext, inp: CreateProductIn) -> Product:
    """create_product's work without reading the product back (import_catalog)."""
    attributes = check_attribute_names(inp.attributes)
    if not attributes and len(inp.variants) != 1:
        raise InvalidInput(
            "A product without attributes has exactly one variant; name the attributes "
            "(e.g. ['Màu', 'Size']) to sell several.",
            field="variants",
            code="one_variant_expected",
        )
    code = check_sku(inp.code, field="code")
    clean = await _check_new_variants(
        ctx, attributes, [(f"variants.{i}", v) for i, v in enumerate(inp.variants)]
    )
    taken = await ctx.session.scalar(
        select(func.count()).where(func.lower(Product.code) == code.lower())
    )
    if taken:
        raise Conflict(f"Product code {code} is already used.", field="code", code="duplicate_code")
    product = Product(
        code=code,
        name=inp.name.strip(),
        category=inp.category.strip(),
        brand=inp.brand.strip(),
        description=inp.description,
        specs=dict(inp.specs),
        media=list(inp.media),
        attributes=attributes,
        labels_en=new_labels(
            None,
            attributes=attributes,
            category=inp.category_en,
            attribute_labels=inp.attributes_en,
            values=values_from_variants((v.options, v.options_en) for v in inp.variants),
        ),
        search_text="",
        active=inp.active,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(product)
    await ctx.session.flush()
    variants = await _write_variants(ctx, product, clean)
    product.search_text = _search_text(product, variants)
    ctx.emit(
        "product.created",
        f"product:{product.id}",
        {"product_id": product.id, "code": product.code, "skus": [v.sku for v in variants]},
    )
    return product


@tool(
    name="create_product",
    description="""Add a product to the catalogue with its variants (one per combination of up
    to 3 attributes such as colour and size; a product without attributes has exactly one
    variant with options {}), prices in đồng, VAT rate and optional opening stock per
    warehouse. Everything is checked before anything is saved.""",
    roles=CATALOG_EDITORS,
)
async def create_product(ctx: ToolContext, inp: CreateProductIn) -> ProductOut:
    return await _load_out(ctx, await _create_product(ctx, inp))


async def _update_product(ctx: ToolContext, inp: UpdateProductIn) -> Product:
    """update_product's work without reading the product back (import_catalog)."""
    product = await _find_product(ctx, inp)
    variants = (await _variants_of(ctx, [product.id]))[product.id]
    by_sku = {v.sku.casefold(): v for v in variants}
    fields = {"name", "category", "brand", "description", "specs", "media", "active"}
    changed = [f for f in sorted(fields) if getattr(inp, f) is not None]
    labelled = [f for f in LABEL_FIELDS if getattr(inp, f) is not None]
    if labelled:
        product.labels_en = new_labels(
            product.labels_en,
            attributes=product.attributes,
            category=inp.category_en,
            attribute_labels=inp.attributes_en,
            values=inp.values_en,
        )
        changed += labelled
    if not changed and not inp.variants:
        raise InvalidInput(
            "Nothing to change: give at least one field.", field="name", code="nothing_to_change"
        )
    # Check every variant change before applying any.
    patches: list[tuple[Variant, VariantPatch, str | None]] = []
    seen: set[str] = set()
    new_barcodes: dict[str, str] = {}
    for i, p in enumerate(inp.variants):
        key = p.sku.strip().casefold()
        variant = by_sku.get(key)
        if variant is None:
            raise NotFound(
                f"{product.code} has no variant with SKU {p.sku}.",
                field=f"variants.{i}.sku",
                code="unknown_sku",
            )
        if key in seen:
            raise InvalidInput(f"SKU {p.sku} is listed twice.", field=f"variants.{i}.sku")
        seen.add(key)
        barcode = _clean_barcode(p.barcode) if p.barcode is not None else None
        if barcode is not None:
            if barcode in new_barcodes:
                raise Conflict(
                    f"Barcode {barcode} is given twice.",
                    field=f"variants.{i}.barcode",
                    code="duplicate_barcode",
                )
            new_barcodes[barcode] = f"variants.{i}.barcode"
            owner = await ctx.session.scalar(select(Variant.id).where(Variant.barcode == barcode))
            if owner is not None and owner != variant.id:
                raise Conflict(
                    f"Barcode {barcode} is already used by another variant.",
                    field=f"variants.{i}.barcode",
                    code="duplicate_barcode",
                )
        patches.append((variant, p, barcode))

    for f in changed:
        value = getattr(inp, f)
        if isinstance(value, str) and f != "description":
            value = value.strip()
        setattr(product, f, dict(value) if f == "specs" else list(value) if f == "media" else value)
    changes: dict[str, dict[str, Any]] = {}
    for variant, p, barcode in patches:
        diff = p.model_dump(exclude={"sku", "barcode"}, exclude_none=True)
        for name, value in diff.items():
            setattr(variant, name, value)
        if p.barcode is not None:
            variant.barcode = barcode
            diff["barcode"] = barcode
        changes[variant.sku] = diff
    product.search_text = _search_text(product, variants)
    product.updated_at = ctx.now
    ctx.emit(
        "product.updated",
        f"product:{product.id}",
        {"product_id": product.id, "code": product.code, "fields": changed, "variants": changes},
    )
    return product


@tool(
    name="update_product",
    description="""Change a product's name, category, brand, description, specs, media or
    active flag, and per variant (by SKU) its sale price, cost price, VAT rate, reorder point,
    weight, barcode or active flag. Fields left out stay as they are. Setting active=false
    hides the product (or variant) from customers without deleting history.""",
    roles=CATALOG_EDITORS,
)
async def update_product(ctx: ToolContext, inp: UpdateProductIn) -> ProductOut:
    return await _load_out(ctx, await _update_product(ctx, inp))


async def _add_variant(ctx: ToolContext, inp: AddVariantIn) -> Product:
    """add_variant's work without reading the product back (import_catalog)."""
    product = await _find_product(ctx, inp)
    if not product.attributes:
        raise InvalidInput(
            f"{product.code} has no attributes, so it has a single variant.",
            field="variant.options",
            code="one_variant_expected",
        )
    variants = (await _variants_of(ctx, [product.id]))[product.id]
    clean = await _check_new_variants(
        ctx,
        product.attributes,
        [("variant", inp.variant)],
        existing_options=[v.options for v in variants],
    )
    if inp.variant.options_en:
        product.labels_en = new_labels(
            product.labels_en,
            attributes=product.attributes,
            category=None,
            attribute_labels=None,
            values=values_from_variants([(clean[0].options, inp.variant.options_en)]),
            field="variant",
        )
    variants += await _write_variants(ctx, product, clean)
    product.search_text = _search_text(product, variants)
    product.updated_at = ctx.now
    ctx.emit(
        "product.updated",
        f"product:{product.id}",
        {"product_id": product.id, "code": product.code, "added_sku": clean[0].sku},
    )
    return product


@tool(
    name="add_variant",
    description="""Add one variant (a new colour/size combination) to an existing product. Its
    options must give a value for each of the product's attributes; opening stock optional.""",
    roles=CATALOG_EDITORS,
)
async def add_variant(ctx: ToolContext, inp: AddVariantIn) -> ProductOut:
    return await _load_out(ctx, await _add_variant(ctx, inp))


@tool(
    name="get_product",
    description="""Full details of one product, by product id, product code or any variant's
    SKU: description, specs, images and each variant's options, price, VAT rate and units
    available. Staff also see cost price, profit, margin and stock per warehouse.""",
    roles=STAFF | CUSTOMER,
    write=False,
)
async def get_product(ctx: ToolContext, inp: GetProductIn) -> ProductOut:
    product = await _find_product(ctx, inp, inp.sku)
    return await _load_out(ctx, product)


async def _matching_categories(ctx: ToolContext, category: str, staff_all: bool) -> list[str]:
    """Stored category names equal to the asked one ignoring accents/case, else containing it."""
    q = select(Product.category).distinct()
    if not staff_all:
        q = q.where(Product.active.is_(True))
    names = list((await ctx.session.execute(q)).scalars())
    wanted = fold(category)
    equal = [n for n in names if fold(n) == wanted]
    return equal or [n for n in names if wanted and wanted in fold(n)]


@tool(
    name="search_products",
    description="""Find products by words a customer would use: name, type, colour, size,
    brand or code. Accents and case are ignored ("ao thun" finds "Áo thun") and small typos
    are tolerated (match='fuzzy' results: confirm with the customer; 'partial' means only
    some words matched and nothing better exists). Filter by category;
    in_stock_only hides sold-out products. Returns price range and units available; use
    get_product for variants. Pass only product words, not whole sentences.""",
    roles=STAFF | CUSTOMER,
    write=False,
)
async def search_products(ctx: ToolContext, inp: SearchProductsIn) -> SearchProductsOut:
    staff_all = inp.include_inactive and not ctx.actor.is_customer
    base = select(Product.id, Product.search_text, Product.name, Product.category)
    if not staff_all:
        base = base.where(Product.active.is_(True))
    if inp.category is not None and inp.category.strip():
        cats = await _matching_categories(ctx, inp.category, staff_all)
        if not cats:
            return SearchProductsOut(results=[])
        base = base.where(Product.category.in_(cats))
    words = query_tokens(inp.query)

    if not words:
        rows = await ctx.session.execute(base.order_by(Product.name, Product.id))
        listed: list[Ranked] = [(pid, "list", None) for pid, *_ in rows]
        return SearchProductsOut(results=await _take(ctx, listed, words, staff_all, inp))
    # 1. Every folded word appears in the product's text (SQL LIKE), best word matches first.
    exact = await _containing(ctx, base, words)
    everything: dict[int, Doc] | None = None
    if not exact and may_need_catalogue_words(words):
        # English in a Vietnamese catalogue: "jeans" is "Quần jean", "t-shirt" is "Áo thun".
        everything = await _all_texts(ctx, base)
        translated = catalogue_words(words, vocabulary(_texts(everything).values()))
        if translated != words:
            words = translated
            exact = await _containing(ctx, base, words)
    ranked = _rank(words, exact, fuzzy_scores(words, _texts(exact), cutoff=0), "exact")
    hits = await _take(ctx, ranked, words, staff_all, inp)
    if len(hits) >= inp.limit:
        return SearchProductsOut(results=hits)
    # 2. Too few: add products whose words are close spellings of every query word.
    if everything is None:
        everything = await _all_texts(ctx, base)
    pool = {pid: doc for pid, doc in everything.items() if pid not in exact}
    fuzzy = _rank(words, pool, fuzzy_scores(words, _texts(pool)), "fuzzy")
    hits += await _take(ctx, fuzzy, words, staff_all, inp, inp.limit - len(hits))
    if hits or len(words) < 2:
        return SearchProductsOut(results=hits)
    # 3. Still nothing: the products with most of the words, as a last resort.
    partial = _rank(words, pool, partial_scores(words, _texts(pool)), "partial")
    return SearchProductsOut(results=await _take(ctx, partial, words, staff_all, inp))


async def _containing(
    ctx: ToolContext, base: Select[int, str, str, str], words: list[str]
) -> dict[int, Doc]:
    like = base.where(*[Product.search_text.like(f"%{w}%") for w in words])
    rows = await ctx.session.execute(like.order_by(Product.id).limit(MAX_CANDIDATES))
    return {pid: (text, name, cat) for pid, text, name, cat in rows}


async def _all_texts(ctx: ToolContext, base: Select[int, str, str, str]) -> dict[int, Doc]:
    rows = await ctx.session.execute(base)
    return {pid: (text, name, cat) for pid, text, name, cat in rows}


Doc = tuple[str, str, str]  # (search text, name, category)


def _texts(docs: dict[int, Doc]) -> dict[int, str]:
    return {pid: doc[0] for pid, doc in docs.items()}


def _rank(
    words: list[str],
    docs: dict[int, Doc],
    scores: dict[int, float],
    match: Match,
) -> list[Ranked]:
    """The query as a phrase in the name first, then in the category, then all its words in
    the name, then as a phrase elsewhere (core.search.phrase_tier); within each, best score
    first; ties go to
    the product whose name (not just its category or variants) carries the words, then to
    the older product."""
    names = fuzzy_scores(words, {pid: fold(docs[pid][1]) for pid in scores}, cutoff=0)
    tiers = {pid: phrase_tier(words, docs[pid][1], docs[pid][2], docs[pid][0]) for pid in scores}
    order = sorted(scores, key=lambda p: (tiers[p], -scores[p], -names.get(p, 0.0), p))
    return [(pid, match, scores[pid]) for pid in order]


Match = Literal["exact", "fuzzy", "partial", "list"]
Ranked = tuple[int, Match, float | None]


async def _take(
    ctx: ToolContext,
    ranked: Sequence[Ranked],
    words: list[str],
    staff_all: bool,
    inp: SearchProductsIn,
    limit: int | None = None,
) -> list[ProductHit]:
    """The first ``limit`` hits in rank order; stock is read in small batches, so
    in_stock_only can skip sold-out products without reading every candidate's stock."""
    want = inp.limit if limit is None else limit
    hits: list[ProductHit] = []
    batch = max(want, 10)
    for start in range(0, len(ranked), batch):
        hits += await _hits(ctx, ranked[start : start + batch], words, staff_all, inp.in_stock_only)
        if len(hits) >= want:
            break
    return hits[:want]


async def _hits(
    ctx: ToolContext,
    ranked: Sequence[Ranked],
    words: list[str],
    staff_all: bool,
    in_stock_only: bool,
) -> list[ProductHit]:
    ids = [pid for pid, _, _ in ranked]
    products = {
        p.id: p
        for p in (await ctx.session.execute(select(Product).where(Product.id.in_(ids)))).scalars()
    }
    variants = await _variants_of(ctx, ids)
    live = {pid: [v for v in vs if v.active or staff_all] for pid, vs in variants.items()}
    levels = await read_levels(ctx, [v.id for vs in live.values() for v in vs])
    out: list[ProductHit] = []
    for pid, match, score in ranked:
        p, vs = products[pid], live[pid]
        available = sum(w.level.available for v in vs if v.active for w in levels[v.id])
        if in_stock_only and available <= 0:
            continue
        texts = {v.id: _variant_text(p, v) for v in vs}
        if match == "exact":
            matching = sum(1 for t in texts.values() if contains_all(words, t))
        elif match == "fuzzy":
            matching = len(fuzzy_scores(words, texts))
        elif match == "partial":
            matching = len(partial_scores(words, texts))
        else:
            matching = len(vs)
        prices = [v.sale_price for v in vs if v.active]
        out.append(
            ProductHit(
                product_id=p.id,
                code=p.code,
                name=p.name,
                category=p.category,
                category_en=category_label(p.labels_en, p.category, "en"),
                brand=p.brand,
                price_min=min(prices) if prices else None,
                price_max=max(prices) if prices else None,
                available=available,
                image=p.media[0] if p.media else None,
                image_url=p.media[0] if p.media else None,
                thumbnail_url=thumbnail_url(p.media[0]) if p.media else None,
                variant_count=len(vs),
                matching_variants=matching or len(vs),
                match=match,
                score=score,
            )
        )
    return out


@tool(
    name="list_categories",
    description="""The product categories, in Vietnamese alphabetical order, with how many
    products each has. Use to show a customer what the shop sells, then search_products with
    a category to list it.""",
    roles=STAFF | CUSTOMER,
    write=False,
)
async def list_categories(ctx: ToolContext, inp: ListCategoriesIn) -> ListCategoriesOut:
    english = await category_labels(ctx)
    rows = await ctx.session.execute(
        select(Product.category, func.count())
        .where(Product.active.is_(True), Product.category != "")
        .group_by(Product.category)
    )
    return ListCategoriesOut(
        categories=[
            CategoryOut(name=name, name_en=english.get(name) or name, product_count=n)
            for name, n in sorted_vi(rows.all(), key=lambda row: row[0])
        ]
    )

"""Creating and editing products and adding variants; the plain functions are shared with
the catalogue import (tools/catalog_io), the tools wrap them."""

from __future__ import annotations

from typing import Any

from core.catalog import (
    check_attribute_names,
    check_sku,
)
from core.errors import Conflict, InvalidInput, NotFound
from storage import catalog as store
from storage.models import Product, Variant
from tools.catalog.reading import _find_product, _load_out
from tools.catalog.schemas import (
    CATALOG_EDITORS,
    LABEL_FIELDS,
    AddVariantIn,
    CreateProductIn,
    ProductOut,
    UpdateProductIn,
    VariantPatch,
)
from tools.catalog.validation import (
    _check_new_variants,
    _clean_barcode,
    _search_text,
    _write_variants,
)
from tools.catalog_labels import new_labels, values_from_variants
from tools.context import ToolContext
from tools.registry import tool


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
    if await store.code_taken(ctx.tx, code):
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
    await store.add_product(ctx.tx, product)
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
    variants = (await store.variants_of(ctx.tx, [product.id]))[product.id]
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
            owner = await store.barcode_owner(ctx.tx, barcode)
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
    variants = (await store.variants_of(ctx.tx, [product.id]))[product.id]
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

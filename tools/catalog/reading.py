"""Reading products: one product (by id, code or SKU) and what staff and customers see of it."""

from __future__ import annotations

from collections.abc import Sequence

from core.catalog import (
    variant_label,
)
from core.errors import InvalidInput, NotFound
from core.labels import attribute_label, category_label, options_label
from core.money import margin_percent
from storage import catalog as store
from storage.media import thumbnail_url
from storage.models import Product, Variant
from tools.catalog.schemas import (
    GetProductIn,
    ProductOut,
    ProductRef,
    VariantOut,
)
from tools.context import ToolContext
from tools.registry import CUSTOMER, STAFF, tool
from tools.stock import (
    WarehouseLevel,
    ordered_options,
    read_levels,
    warehouse_stock,
)


async def _find_product(ctx: ToolContext, inp: ProductRef, sku: str | None = None) -> Product:
    """One product by id, code or SKU; inactive products do not exist for customers."""
    given = [x for x in (inp.product_id, inp.code, sku) if x is not None]
    if len(given) != 1:
        raise InvalidInput(
            "Name the product by exactly one of product_id, code or sku.", field="product_id"
        )
    if inp.product_id is not None:
        field, what = "product_id", str(inp.product_id)
        found = await store.find_product(ctx.tx, product_id=inp.product_id)
    elif inp.code is not None:
        field, what = "code", inp.code.strip()
        found = await store.find_product(ctx.tx, code=what)
    else:
        field, what = "sku", (sku or "").strip()
        found = await store.find_product(ctx.tx, sku=what)
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
    variants = (await store.variants_of(ctx.tx, [product.id]))[product.id]
    levels = await read_levels(ctx, [v.id for v in variants])
    return _product_out(product, variants, levels, staff=not ctx.actor.is_customer)


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

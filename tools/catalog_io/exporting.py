"""export_catalog: the catalogue as a spreadsheet import_catalog takes back unchanged."""

from __future__ import annotations

import base64

from sqlalchemy import select

from core.catalog_rows import (
    columns,
    write_csv,
)
from storage.models import Product, StockLevel, Variant, Warehouse
from tools.catalog.search import _matching_categories
from tools.catalog_io.files import write_xlsx
from tools.catalog_io.schemas import COLUMNS_HELP, ExportCatalogIn, ExportCatalogOut
from tools.catalog_io_labels import export_labels
from tools.context import ToolContext
from tools.registry import STAFF, tool
from tools.stock import ordered_options


@tool(
    name="export_catalog",
    description=f"""Export the catalogue as a spreadsheet (xlsx or csv, returned as base64),
    one row per variant with stock on hand per active warehouse. {COLUMNS_HELP} The file can be
    edited and given back to import_catalog; unchanged it changes nothing. Optionally one
    category only.""",
    roles=STAFF,
    write=False,
)
async def export_catalog(ctx: ToolContext, inp: ExportCatalogIn) -> ExportCatalogOut:
    s = ctx.session
    warehouses = list(
        (
            await s.execute(
                select(Warehouse).where(Warehouse.active.is_(True)).order_by(Warehouse.id)
            )
        ).scalars()
    )
    products_q = select(Product).order_by(Product.id)
    if not inp.include_inactive:
        products_q = products_q.where(Product.active.is_(True))
    if inp.category is not None and inp.category.strip():
        cats = await _matching_categories(ctx, inp.category, inp.include_inactive)
        products_q = products_q.where(Product.category.in_(cats or [""]), Product.category != "")
    products = list((await s.execute(products_q)).scalars())
    chosen = products_q.with_only_columns(Product.id).order_by(None)
    variants_q = (
        select(Variant)
        .where(Variant.product_id.in_(chosen))
        .order_by(Variant.product_id, Variant.id)
    )
    if not inp.include_inactive:
        variants_q = variants_q.where(Variant.active.is_(True))
    variants: dict[int, list[Variant]] = {}
    for v in (await s.execute(variants_q)).scalars():
        variants.setdefault(v.product_id, []).append(v)
    on_hand: dict[tuple[int, int], int] = {}
    levels_q = (
        select(StockLevel.variant_id, StockLevel.warehouse_id, StockLevel.on_hand)
        .join(Variant, Variant.id == StockLevel.variant_id)
        .where(Variant.product_id.in_(chosen))
    )
    for vid, wid, qty in await s.execute(levels_q):
        on_hand[(vid, wid)] = qty

    header = columns([w.code for w in warehouses])
    rows: list[list[object]] = []
    for p in products:
        media = " | ".join(p.media)
        for v in variants.get(p.id, []):
            pairs = list(ordered_options(v.options, p.attributes).items())
            attrs: list[object] = []
            for n in range(3):
                attrs += list(pairs[n]) if n < len(pairs) else ["", ""]
            rows.append(
                [
                    p.code,
                    p.name,
                    p.category,
                    p.brand,
                    p.description,
                    *attrs,
                    v.sku,
                    v.barcode or "",
                    v.cost_price,
                    v.sale_price,
                    v.vat_rate,
                    v.reorder_point,
                    v.weight_grams,
                    media,
                    *export_labels(p, pairs),
                    *(on_hand.get((v.id, w.id), 0) for w in warehouses),
                ]
            )
    content = write_csv(header, rows) if inp.format == "csv" else write_xlsx(header, rows)
    return ExportCatalogOut(
        filename=f"catalog-{ctx.now:%Y%m%d-%H%M}.{inp.format}",
        format=inp.format,
        content_base64=base64.b64encode(content).decode("ascii"),
        rows=len(rows),
        products=sum(1 for p in products if variants.get(p.id)),
    )

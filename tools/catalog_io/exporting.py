"""export_catalog: the catalogue as a spreadsheet import_catalog takes back unchanged."""

from __future__ import annotations

import base64

from core.catalog_rows import (
    columns,
    write_csv,
)
from storage.catalog_io import catalog_dump
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
    cats: list[str] | None = None
    if inp.category is not None and inp.category.strip():
        cats = await _matching_categories(ctx, inp.category, inp.include_inactive)
    dump = await catalog_dump(ctx.tx, include_inactive=inp.include_inactive, categories=cats)
    warehouses, variants = dump.warehouses, dump.variants

    header = columns([w.code for w in warehouses])
    rows: list[list[object]] = []
    for p in dump.products:
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
                    *(dump.on_hand.get((v.id, w.id), 0) for w in warehouses),
                ]
            )
    content = write_csv(header, rows) if inp.format == "csv" else write_xlsx(header, rows)
    return ExportCatalogOut(
        filename=f"catalog-{ctx.now:%Y%m%d-%H%M}.{inp.format}",
        format=inp.format,
        content_base64=base64.b64encode(content).decode("ascii"),
        rows=len(rows),
        products=sum(1 for p in dump.products if variants.get(p.id)),
    )

"""import_catalog: the whole file checked, then written through the catalogue tools' own
code in this call's transaction (or refused with every bad row listed)."""

from __future__ import annotations

from core.catalog_rows import (
    CatalogRow,
    Header,
    RowError,
    map_header,
    parse_row,
)
from core.errors import InvalidInput
from tools.catalog.editing import _add_variant, _create_product, _update_product
from tools.catalog.schemas import CATALOG_EDITORS
from tools.catalog_io.files import decode_content, format_of, read_grid
from tools.catalog_io.schemas import (
    COLUMNS_HELP,
    MAX_ERRORS_LISTED,
    ImportCatalogIn,
    ImportCatalogOut,
    RowErrorOut,
)
from tools.catalog_io.vetting import Plan, Vetting, warehouse_columns
from tools.context import ToolContext
from tools.registry import tool
from tools.stock_ops import apply_moves


@tool(
    name="import_catalog",
    description=f"""Import products, variants, prices and stock from a seller's spreadsheet
    (.csv or .xlsx, sent as base64). {COLUMNS_HELP} New product codes are created, new SKUs of
    existing products added; existing SKUs get the file's prices, VAT, barcode, reorder point
    and weight, and their stock in each stock_ column is SET to the number given (a ledger
    adjustment). Blank cells keep what the shop has. The whole file is checked first and a
    file with any bad row imports nothing (every bad row is listed with its row number and
    reason) unless skip_bad_rows is true; dry_run checks and counts without writing.""",
    roles=CATALOG_EDITORS,
)
async def import_catalog(ctx: ToolContext, inp: ImportCatalogIn) -> ImportCatalogOut:
    fmt = format_of(inp.filename)
    grid = read_grid(fmt, decode_content(inp.content_base64))
    if not grid:
        raise InvalidInput("The file has no rows.", field="content_base64", code="empty_file")
    header_row, header_cells = grid[0]
    header = map_header(header_cells, header_row)
    warehouses = await warehouse_columns(ctx, header, header_row)
    rows: list[CatalogRow] = []
    errors: list[RowError] = list(header.errors)
    if not header.errors:
        for number, cells in grid[1:]:
            row, row_errors = parse_row(number, cells, header)
            rows.append(row)
            errors += row_errors
    vetting = Vetting(ctx, header, warehouses, rows, errors)
    if not header.errors:
        await vetting.run()
    errors = sorted(set(vetting.errors))
    plan = vetting.plan
    skipped = len({e.row for e in errors})
    refused = bool(header.errors) or (bool(errors) and not inp.skip_bad_rows)
    if refused and not inp.dry_run:
        raise _refusal(errors, len(rows), header, header_row)
    if refused:
        plan = Plan()
    out = ImportCatalogOut(
        dry_run=inp.dry_run,
        format=fmt,
        rows_read=len(rows),
        rows_imported=0 if refused else len(rows) - skipped,
        rows_skipped=0 if refused else skipped,
        products_created=len(plan.creates),
        products_updated=plan.products_updated,
        variants_created=sum(len(c.variants) for c in plan.creates) + len(plan.additions),
        variants_updated=plan.variants_updated,
        variants_unchanged=plan.variants_unchanged,
        stock_rows_set=plan.opening_stock_rows + len(plan.moves),
        errors=[
            RowErrorOut(row=e.row, column=e.column, message=e.message, code=e.code)
            for e in errors[:MAX_ERRORS_LISTED]
        ],
        errors_total=len(errors),
        ignored_columns=header.ignored,
    )
    if inp.dry_run:
        return out
    # The catalogue tools' own code (without reading each product back), in this transaction:
    # a refusal now, which the checks above should have made impossible, rolls back all.
    for update in plan.updates:
        await _update_product(ctx, update)
    for addition in plan.additions:
        await _add_variant(ctx, addition)
    for create in plan.creates:
        await _create_product(ctx, create)
    if plan.moves:
        await apply_moves(ctx, plan.moves)
    return out


def _refusal(
    errors: list[RowError], rows_read: int, header: Header, header_row: int
) -> InvalidInput:
    rows = sorted({e.row for e in errors})
    first = errors[0]
    where = "The header" if first.row == header_row else f"Row {first.row}"
    listed = [
        {"row": e.row, "column": e.column, "message": e.message, "code": e.code}
        for e in errors[:MAX_ERRORS_LISTED]
    ]
    return InvalidInput(
        f"{len(rows)} row(s) have errors, so nothing was imported. {where}, {first.column}: "
        f"{first.message} Fix the file, or import with skip_bad_rows to leave the bad rows out.",
        field="content_base64",
        code="bad_rows",
        details={
            "errors": listed,
            "errors_total": len(errors),
            "bad_rows": rows,
            "rows_read": rows_read,
            "ignored_columns": header.ignored,
        },
    )

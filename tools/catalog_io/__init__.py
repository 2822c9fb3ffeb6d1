"""Catalogue import and export: the seller's spreadsheet (CSV or Excel) in and out.

Sellers keep their product lists in spreadsheets; moving to shopbot should not mean typing them
again, and a price change for 300 SKUs should be one upload. The file travels as base64 so the
same tool serves the HTTP API, the CLI and an agent.

An import can do nothing a seller could not do in chat: it runs the catalogue tools' own code
(``create_product``, ``update_product``, ``add_variant`` and their checks) inside this call's
single transaction, and sets stock through ``stock_ops`` with an ``adjustment`` ledger row.
The whole file is checked before anything is written, so a seller gets every bad row at once
(row number as the spreadsheet shows it, the column, the reason) and a refused file writes
nothing. Parsing (headers, cells, row rules) is pure and lives in ``core/catalog_rows.py``.
The format for sellers: docs/catalog-import.md.
"""

from __future__ import annotations

from tools.catalog_io.exporting import export_catalog
from tools.catalog_io.files import decode_content, format_of, read_grid, write_xlsx
from tools.catalog_io.importing import import_catalog
from tools.catalog_io.schemas import (
    COLUMNS_HELP,
    FORMATS,
    MAX_ERRORS_LISTED,
    MAX_FILE_BYTES,
    ExportCatalogIn,
    ExportCatalogOut,
    Format,
    ImportCatalogIn,
    ImportCatalogOut,
    RowErrorOut,
)

__all__ = [
    "COLUMNS_HELP",
    "FORMATS",
    "MAX_ERRORS_LISTED",
    "MAX_FILE_BYTES",
    "ExportCatalogIn",
    "ExportCatalogOut",
    "Format",
    "ImportCatalogIn",
    "ImportCatalogOut",
    "RowErrorOut",
    "decode_content",
    "export_catalog",
    "format_of",
    "import_catalog",
    "read_grid",
    "write_xlsx",
]

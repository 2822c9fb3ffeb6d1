"""Catalogue spreadsheets, the pure part: header aliases, cell values, row and file checks.

Sellers keep their product lists in Excel or Google Sheets, one row per variant, with headers in
Vietnamese or English and numbers typed the way people type them ("150.000đ", "10%"). This
package turns such a grid into typed rows and finds every problem a row has on its own or
against the other rows of the file. It never touches the database: what depends on the shop
(existing SKUs, warehouses, barcodes in use) is checked by ``tools/catalog_io/vetting.py``.

Modules: columns (the canonical columns and limits), errors, cells (values as people type
them), header (aliases), rows (one row), file_checks (across rows), csv_files.
The format is documented for sellers in docs/catalog-import.md.
"""

from __future__ import annotations

from core.catalog_rows.cells import (
    cell_text,
    is_blank,
    parse_money,
    parse_quantity,
    parse_vat,
    split_media,
)
from core.catalog_rows.columns import (
    ENGLISH_SUFFIX,
    HEADER_ROW,
    MAX_COLUMNS,
    MAX_ROWS,
    MEDIA_COLUMN,
    MONEY_COLUMNS,
    PRODUCT_COLUMNS,
    QUANTITY_COLUMNS,
    STOCK_PREFIX,
    TEXT_PRODUCT_COLUMNS,
    VARIANT_COLUMNS,
    columns,
)
from core.catalog_rows.csv_files import read_csv, write_csv
from core.catalog_rows.errors import CellError, RowError
from core.catalog_rows.file_checks import (
    check_file,
    merged_product_fields,
    product_key,
    reference_attributes,
)
from core.catalog_rows.header import Header, canonical_column, header_key, map_header
from core.catalog_rows.rows import CatalogRow, parse_row

__all__ = [
    "ENGLISH_SUFFIX",
    "HEADER_ROW",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MEDIA_COLUMN",
    "MONEY_COLUMNS",
    "PRODUCT_COLUMNS",
    "QUANTITY_COLUMNS",
    "STOCK_PREFIX",
    "TEXT_PRODUCT_COLUMNS",
    "VARIANT_COLUMNS",
    "CatalogRow",
    "CellError",
    "Header",
    "RowError",
    "canonical_column",
    "cell_text",
    "check_file",
    "columns",
    "header_key",
    "is_blank",
    "map_header",
    "merged_product_fields",
    "parse_money",
    "parse_quantity",
    "parse_row",
    "parse_vat",
    "product_key",
    "read_csv",
    "reference_attributes",
    "split_media",
    "write_csv",
]

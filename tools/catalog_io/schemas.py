"""What import_catalog and export_catalog take and give, and the file limits."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Format = Literal["csv", "xlsx"]
FORMATS: dict[str, Format] = {".csv": "csv", ".xlsx": "xlsx"}
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ERRORS_LISTED = 500

COLUMNS_HELP = """One row per variant. Columns (English names or Vietnamese headers such as
    Mã SP, Tên sản phẩm, Danh mục, Thương hiệu, Mô tả, Mã SKU, Mã vạch, Giá vốn, Giá bán,
    Thuế GTGT, Tồn kho HCM; case and accents do not matter): product_code, product_name,
    category, brand, description, attribute_1..attribute_3 (names, e.g. Màu, Size) with
    value_1..value_3, sku (required), barcode, cost_price, sale_price (đồng; "150.000",
    "150,000" and "150.000đ" are read as 150000), vat_rate (0, 5, 8 or 10), reorder_point,
    weight_grams, media_urls (separated by | or spaces) and stock_<WAREHOUSE_CODE> per
    warehouse (e.g. stock_HCM). Rows with the same product_code form one product."""


# ------------------------------------------------------------------------------------- models


class ImportCatalogIn(BaseModel):
    filename: str = Field(
        min_length=1,
        max_length=255,
        description="The file's name; its extension picks the format: .csv or .xlsx",
    )
    content_base64: str = Field(
        min_length=1,
        max_length=MAX_FILE_BYTES * 4 // 3 + 16,
        description="The file's bytes, base64-encoded",
    )
    skip_bad_rows: bool = Field(
        default=False,
        description="Import the good rows and list the bad ones. By default a file with any "
        "bad row imports nothing.",
    )
    dry_run: bool = Field(
        default=False, description="Check the file and count what would change; write nothing"
    )


class RowErrorOut(BaseModel):
    row: int = Field(description="Row number as the spreadsheet shows it; the header is row 1")
    column: str = Field(description="The column's header as written in the file")
    message: str
    code: str


class ImportCatalogOut(BaseModel):
    dry_run: bool
    format: Format
    rows_read: int = Field(description="Non-empty rows under the header")
    rows_imported: int = Field(
        description="Rows applied (would be, on a dry run), unchanged ones included"
    )
    rows_skipped: int = Field(description="Bad rows left out (skip_bad_rows)")
    products_created: int
    products_updated: int
    variants_created: int
    variants_updated: int
    variants_unchanged: int
    stock_rows_set: int = Field(
        description="(SKU, warehouse) stock levels set: opening stock "
        "of new variants and adjustments of existing ones"
    )
    errors: list[RowErrorOut] = Field(description=f"Bad rows, the first {MAX_ERRORS_LISTED}")
    errors_total: int
    ignored_columns: list[str] = Field(description="Headers that are not catalogue columns")


class ExportCatalogIn(BaseModel):
    format: Format = Field(default="xlsx", description="csv or xlsx")
    category: str | None = Field(
        default=None, max_length=120, description="Only this category (accents and case ignored)"
    )
    include_inactive: bool = Field(default=False, description="Also hidden products and variants")


class ExportCatalogOut(BaseModel):
    filename: str
    format: Format
    content_base64: str
    rows: int = Field(description="Variant rows under the header")
    products: int

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

import base64
import binascii
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import func, select

from core.catalog_rows import (
    MAX_COLUMNS,
    MAX_ROWS,
    MEDIA_COLUMN,
    MONEY_COLUMNS,
    QUANTITY_COLUMNS,
    STOCK_PREFIX,
    CatalogRow,
    Header,
    RowError,
    check_file,
    columns,
    is_blank,
    map_header,
    merged_product_fields,
    parse_row,
    product_key,
    read_csv,
    reference_attributes,
    write_csv,
)
from core.errors import DomainError, InvalidInput
from core.text import fold
from storage.models import Product, StockLevel, Variant, Warehouse
from tools.catalog import (
    CATALOG_EDITORS,
    AddVariantIn,
    CreateProductIn,
    UpdateProductIn,
    VariantIn,
    VariantPatch,
    _add_variant,
    _check_new_variants,
    _create_product,
    _matching_categories,
    _update_product,
)
from tools.catalog_io_labels import attribute_labels, export_labels, label_changes
from tools.context import ToolContext
from tools.registry import STAFF, tool
from tools.stock import AdjustStockIn, adjust_stock, ordered_options
from tools.stock_ops import Level, Move, apply_moves, lock_levels

Format = Literal["csv", "xlsx"]
FORMATS: dict[str, Format] = {".csv": "csv", ".xlsx": "xlsx"}
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ERRORS_LISTED = 500
IMPORT_NOTE = "catalog import"
_CHUNK = 1000  # ids or keys per IN (...) list
_VARIANT_FIELD = re.compile(r"^variants\.(\d+)(?:\.(\w+))?(?:\.(\d+))?")
_PATCHABLE = (*MONEY_COLUMNS, "vat_rate", *QUANTITY_COLUMNS)

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


# ---------------------------------------------------------------------------------- file I/O


def format_of(filename: str) -> Format:
    """The extension decides: sellers know their file by its name, and sniffing an Excel file
    that was renamed .csv would only hide the mistake."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix in FORMATS:
        return FORMATS[suffix]
    hint = " Open it in Excel and save it as .xlsx." if suffix in (".xls", ".ods") else ""
    raise InvalidInput(
        f"{filename} is not a .csv or .xlsx file.{hint}",
        field="filename",
        code="unsupported_format",
    )


def decode_content(text: str) -> bytes:
    """Base64 (a data: URL prefix and line breaks are tolerated), at most MAX_FILE_BYTES."""
    body = text.strip()
    if body.startswith("data:") and "," in body:
        body = body.split(",", 1)[1]
    try:
        data = base64.b64decode(re.sub(r"\s+", "", body), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "content_base64 is not valid base64.", field="content_base64", code="bad_base64"
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it.",
            field="content_base64",
            code="file_too_large",
        )
    if not data:
        raise InvalidInput("The file is empty.", field="content_base64", code="empty_file")
    return data


Grid = list[tuple[int, list[object]]]  # (spreadsheet row number, cells) of non-blank rows


def _trim(cells: Sequence[object]) -> list[object]:
    out = list(cells)
    while out and (out[-1] is None or (isinstance(out[-1], str) and not out[-1].strip())):
        out.pop()
    return out


def read_grid(fmt: Format, data: bytes) -> Grid:
    """The non-blank rows of the file with the row numbers the spreadsheet shows."""
    if fmt == "csv":
        if data.startswith(b"PK\x03\x04"):
            raise InvalidInput(
                "This is an Excel file; name it .xlsx.", field="filename", code="bad_file"
            )
        return [(i, _trim(r)) for i, r in enumerate(read_csv(data), start=1) if not is_blank(r)]
    return _read_xlsx(data)


def _read_xlsx(data: bytes) -> Grid:
    from openpyxl import load_workbook

    if not data.startswith(b"PK"):
        raise InvalidInput(
            "That is not an .xlsx file (an old .xls? Open it in Excel and save as .xlsx).",
            field="content_base64",
            code="bad_file",
        )
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign zip
        raise InvalidInput(
            "The .xlsx file cannot be read; is it damaged or password protected?",
            field="content_base64",
            code="bad_file",
        ) from None
    grid: Grid = []
    try:
        ws = wb.worksheets[0]
        blank_run = 0
        for number, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
            cells = _trim(values[: MAX_COLUMNS + 1])
            if is_blank(cells):
                blank_run += 1
                if grid and blank_run > 1000:  # formatting dragged far below the data
                    break
                continue
            blank_run = 0
            grid.append((number, cells))
            if len(grid) > MAX_ROWS + 1:
                raise InvalidInput(
                    f"The file has more than {MAX_ROWS} rows; split it.",
                    field="content_base64",
                    code="too_many_rows",
                )
    finally:
        wb.close()
    return grid


def write_xlsx(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """A sheet a seller can work in: bold frozen header with a filter, readable widths, money
    as integers shown with thousands separators, codes kept as text (leading zeros)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    def cell(value: object) -> object:
        # Control characters cannot be written to a sheet; data stored before the tools
        # refused them must not make the export fail for good.
        if isinstance(value, str):
            return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        return "" if value is None else value

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Sản phẩm"
    ws.append([cell(h) for h in header])
    for head in ws[1]:
        head.font = Font(bold=True)
        head.fill = PatternFill("solid", fgColor="DDEBF7")
    formats: dict[int, str] = {}
    for i, name in enumerate(header, start=1):
        if name in MONEY_COLUMNS or name in QUANTITY_COLUMNS or name.startswith(STOCK_PREFIX):
            formats[i] = "#,##0"
        elif name in ("product_code", "sku", "barcode") or name.startswith("value_"):
            formats[i] = "@"
    for r in rows:
        ws.append([cell(v) for v in r])
    for line in ws.iter_rows(min_row=2):
        for c in line:
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"  # text, never a formula
            if c.column in formats:
                c.number_format = formats[c.column]
    for i, name in enumerate(header, start=1):
        longest = max([len(name), *(len(str(r[i - 1])) for r in rows[:1000] if r[i - 1])])
        if i in formats and formats[i] == "#,##0":
            longest += longest // 3
        ws.column_dimensions[get_column_letter(i)].width = min(max(longest + 2, 8), 50)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------ vetting


@dataclass
class _Existing:
    variant: Variant
    product: Product


@dataclass
class _Plan:
    """What the file will do, decided before anything is written."""

    updates: list[UpdateProductIn] = field(default_factory=list)
    additions: list[AddVariantIn] = field(default_factory=list)
    creates: list[CreateProductIn] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    products_updated: int = 0
    variants_updated: int = 0
    variants_unchanged: int = 0
    opening_stock_rows: int = 0


class _Vetting:
    """Checks every row against the shop and builds the plan; collects errors per row."""

    def __init__(
        self,
        ctx: ToolContext,
        header: Header,
        warehouses: dict[str, Warehouse],
        rows: list[CatalogRow],
        errors: Iterable[RowError],
    ) -> None:
        self.ctx = ctx
        self.header = header
        self.warehouses = warehouses
        self.rows = rows
        self.errors: list[RowError] = []
        self.bad: set[int] = set()
        self.add(errors)
        self.plan = _Plan()
        self.by_sku: dict[str, _Existing] = {}
        self.products: dict[str, Product] = {}
        self.barcode_owner: dict[str, tuple[int, str]] = {}
        self.levels: dict[tuple[int, int], Level] = {}

    # -- errors

    def add(self, errors: Iterable[RowError]) -> None:
        for e in errors:
            self.errors.append(e)
            self.bad.add(e.row)

    def fail(self, r: CatalogRow, column: str, message: str, code: str) -> None:
        self.add([RowError(r.row, self.header.label(column), message, code)])

    def is_good(self, r: CatalogRow) -> bool:
        return r.row not in self.bad

    def fail_validation(self, r: CatalogRow, exc: ValidationError, *, new: bool) -> None:
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ())]
            column = self.column_for(r, loc)
            label = self.header.label(column)
            if e.get("type") == "missing":
                message = f"{label} is required for a new SKU." if new else f"{label} is missing."
            else:
                message = f"{label}: {e.get('msg')} (got {_shown(e.get('input'))})."
            self.fail(r, column, message, "invalid_value")

    def column_for(self, r: CatalogRow, loc: Sequence[str]) -> str:
        """The file column behind a model field (``stock.1.quantity`` -> ``stock_HN``)."""
        name = loc[0] if loc else "sku"
        if name == "stock" and len(loc) > 1 and loc[1].isdigit():
            codes = list(r.stock)
            index = int(loc[1])
            return STOCK_PREFIX + codes[index] if index < len(codes) else "sku"
        if name == "options":
            return r.attribute_columns[0] if r.attribute_columns else "attribute_1"
        if name == "media":
            return MEDIA_COLUMN
        if name == "name":
            return "product_name"
        if name == "code":
            return "product_code"
        return name

    # -- the run

    async def run(self) -> None:
        await self.load_existing()
        self.resolve_products()
        self.add(check_file(self.rows, self.header))
        await self.lock_stock()
        groups: dict[str, list[CatalogRow]] = {}
        for r in self.rows:
            if r.product_code:
                groups.setdefault(product_key(r.product_code), []).append(r)
        for key, members in groups.items():
            product = self.products.get(key)
            if product is None:
                await self.vet_new_product(members)
            else:
                await self.vet_existing_product(product, members)

    async def load_existing(self) -> None:
        """Existing variants of the file's SKUs, products of its codes, owners of its
        barcodes: three kinds of queries, in chunks, whatever the file's length."""
        s = self.ctx.session
        skus = sorted({r.sku.casefold() for r in self.rows if r.sku})
        for chunk in _chunks(skus):
            found = await s.execute(
                select(Variant, Product)
                .join(Product, Product.id == Variant.product_id)
                .where(func.lower(Variant.sku).in_(chunk))
            )
            for v, p in found:
                self.by_sku[v.sku.casefold()] = _Existing(v, p)
                self.products[product_key(p.code)] = p
        codes = sorted({product_key(r.product_code) for r in self.rows if r.product_code})
        for chunk in _chunks(codes):
            for p in (
                await s.execute(select(Product).where(func.lower(Product.code).in_(chunk)))
            ).scalars():
                self.products[product_key(p.code)] = p
        barcodes = sorted({r.barcode for r in self.rows if r.barcode})
        for chunk in _chunks(barcodes):
            owners = await s.execute(
                select(Variant.id, Variant.sku, Variant.barcode).where(Variant.barcode.in_(chunk))
            )
            for vid, sku, code in owners:
                if code is not None:
                    self.barcode_owner[code] = (vid, sku)

    def resolve_products(self) -> None:
        """A row's SKU, if it exists, decides its product: a blank product_code is filled in
        (a price list needs only sku and price) and a different one is refused."""
        for r in self.rows:
            if not r.sku:
                continue
            found = self.by_sku.get(r.sku.casefold())
            if found is None:
                if not r.product_code:
                    self.fail(
                        r,
                        "product_code",
                        f"SKU {r.sku} is new: give its product_code "
                        "(Mã SP) to say which product it belongs to.",
                        "missing_product_code",
                    )
                continue
            code = found.product.code
            if not r.product_code:
                r.product_code = code
            elif product_key(r.product_code) != product_key(code):
                self.fail(
                    r,
                    "product_code",
                    f"SKU {r.sku} belongs to product {code}, not "
                    f"{r.product_code}; a SKU cannot move to another product.",
                    "sku_of_other_product",
                )

    async def lock_stock(self) -> None:
        """Locks the levels the file will set, so the numbers checked are the numbers changed."""
        ids = [
            self.by_sku[r.sku.casefold()].variant.id
            for r in self.rows
            if r.stock and r.sku.casefold() in self.by_sku
        ]
        if ids:
            self.levels = await lock_levels(self.ctx, ids)

    # -- new products

    async def vet_new_product(self, members: list[CatalogRow]) -> None:
        code = members[0].product_code
        fields = merged_product_fields(members)
        attributes, _ = reference_attributes(members)
        good = [r for r in members if self.is_good(r)]
        if not good:
            return
        if not fields.get("product_name"):
            for r in good:
                self.fail(
                    r,
                    "product_name",
                    f"Product {code} is new: give its product_name (Tên sản phẩm).",
                    "missing_product_name",
                )
            return
        if not attributes and len(good) > 1:
            for r in good[1:]:
                self.fail(
                    r,
                    "attribute_1",
                    f"Product {code} has no attributes (attribute_1..3), "
                    f"so it has one variant (row {good[0].row}); name the attributes, e.g. "
                    "Màu and Size, to sell several.",
                    "one_variant_expected",
                )
            good = good[:1]
        items = self.variant_inputs(good, attributes)
        vetted = await self.vet_new_variants(attributes, items, [])
        if not vetted:
            return
        data: dict[str, Any] = {
            "code": code,
            "name": fields["product_name"],
            "attributes": attributes,
            "variants": [v for _, v in vetted],
        }
        for name in ("category", "brand", "description", "media", "category_en"):
            if name in fields:
                data[name] = fields[name]
        if names_en := attribute_labels(members, attributes):
            data["attributes_en"] = names_en
        try:
            create = CreateProductIn.model_validate(data)
        except ValidationError as exc:
            self.fail_product(members, [r for r, _ in vetted], exc)
            return
        self.plan.creates.append(create)
        self.plan.opening_stock_rows += sum(
            1 for v in create.variants for s in v.stock if s.quantity > 0
        )

    def fail_product(
        self, members: list[CatalogRow], rows: list[CatalogRow], exc: ValidationError
    ) -> None:
        """A product column is wrong: it is reported on the row that gave it, and the product's
        other rows are skipped with a pointer there."""
        first_row: int | None = None
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ())]
            column = self.column_for(members[0], loc)
            attr = "media" if column == MEDIA_COLUMN else column
            source = next((r for r in members if getattr(r, attr, None)), rows[0])
            got = _shown(e.get("input"))
            self.fail(
                source,
                column,
                f"{self.header.label(column)}: {e.get('msg')} (got {got}).",
                "invalid_value",
            )
            first_row = first_row or source.row
        for r in rows:
            if self.is_good(r):
                self.fail(
                    r,
                    "product_code",
                    f"Product {r.product_code} is not imported: see row {first_row}.",
                    "product_refused",
                )

    def variant_inputs(
        self, rows: Iterable[CatalogRow], attributes: list[str]
    ) -> list[tuple[CatalogRow, VariantIn]]:
        """VariantIn per row (the tool's own input model and limits); bad rows are reported."""
        by_fold = {fold(a): a for a in attributes}
        out: list[tuple[CatalogRow, VariantIn]] = []
        for r in rows:
            data: dict[str, Any] = {
                "sku": r.sku,
                "options": {by_fold.get(fold(n), n): v for n, v in r.options.items()},
                "stock": [{"warehouse_code": c, "quantity": q} for c, q in r.stock.items()],
            }
            if r.barcode:
                data["barcode"] = r.barcode
            if r.values_en:
                data["options_en"] = {by_fold.get(fold(n), n): v for n, v in r.values_en.items()}
            for name in _PATCHABLE:
                if getattr(r, name) is not None:
                    data[name] = getattr(r, name)
            try:
                out.append((r, VariantIn.model_validate(data)))
            except ValidationError as exc:
                self.fail_validation(r, exc, new=True)
        return out

    async def vet_new_variants(
        self,
        attributes: list[str],
        items: list[tuple[CatalogRow, VariantIn]],
        existing_options: Sequence[dict[str, str]],
    ) -> list[tuple[CatalogRow, VariantIn]]:
        """Runs the catalogue's own check for new variants (options, SKUs and barcodes in use,
        warehouses). It stops at the first problem, so the row at fault is reported and left
        out and the rest checked again, until what remains passes."""
        pending = list(items)
        while pending:
            try:
                await _check_new_variants(
                    self.ctx,
                    attributes,
                    [(f"variants.{i}", v) for i, (_, v) in enumerate(pending)],
                    existing_options,
                )
                return pending
            except DomainError as exc:
                m = _VARIANT_FIELD.match(exc.field or "")
                if m is None or int(m.group(1)) >= len(pending):
                    for r, _ in pending:
                        self.fail(r, "sku", exc.message, exc.code)
                    return []
                r, _ = pending.pop(int(m.group(1)))
                loc = [p for p in m.groups()[1:] if p is not None]
                self.fail(r, self.column_for(r, loc), exc.message, exc.code)
        return []

    # -- existing products

    async def vet_existing_product(self, product: Product, members: list[CatalogRow]) -> None:
        good = [r for r in members if self.is_good(r)]
        if not good:
            return
        attributes = list(product.attributes)
        existing_rows = [r for r in good if r.sku.casefold() in self.by_sku]
        new_rows = [r for r in good if r.sku.casefold() not in self.by_sku]

        patches: list[tuple[CatalogRow, VariantPatch]] = []
        moves: list[Move] = []
        unchanged = 0
        for r in existing_rows:
            patch = self.vet_existing_variant(product, r)
            row_moves = self.stock_moves(r)
            if not self.is_good(r):
                continue
            if patch is not None:
                patches.append((r, patch))
            moves += row_moves
            unchanged += patch is None and not row_moves

        additions: list[AddVariantIn] = []
        if new_rows and not attributes:
            for r in new_rows:
                self.fail(
                    r,
                    "sku",
                    f"Product {product.code} has no attributes, so it has a "
                    f"single variant; SKU {r.sku} cannot be added to it.",
                    "one_variant_expected",
                )
        elif new_rows:
            variants = await self.ctx.session.execute(
                select(Variant.options).where(Variant.product_id == product.id)
            )
            vetted = await self.vet_new_variants(
                attributes,
                self.variant_inputs(new_rows, attributes),
                [dict(o) for o in variants.scalars()],
            )
            additions = [AddVariantIn(code=product.code, variant=v) for _, v in vetted]

        changes = self.product_changes(product, members)
        if changes or patches:
            try:
                update = UpdateProductIn.model_validate(
                    {"code": product.code, **changes, "variants": [p for _, p in patches]}
                )
            except ValidationError as exc:
                self.fail_product(members, good, exc)
                return
            self.plan.updates.append(update)
            self.plan.variants_updated += len(patches)
        self.plan.additions += additions
        self.plan.opening_stock_rows += sum(
            1 for a in additions for s in a.variant.stock if s.quantity > 0
        )
        self.plan.moves += moves
        self.plan.variants_unchanged += unchanged
        if changes or patches or additions:
            self.plan.products_updated += 1

    def vet_existing_variant(self, product: Product, r: CatalogRow) -> VariantPatch | None:
        """The row's changes to an existing SKU as update_product's patch, None if none."""
        variant = self.by_sku[r.sku.casefold()].variant
        if r.attributes:
            want = {fold(k): fold(v) for k, v in variant.options.items()}
            given = {fold(k): fold(v) for k, v in r.options.items()}
            if given != want:
                label = " / ".join(ordered_options(variant.options, product.attributes).values())
                self.fail(
                    r,
                    r.attribute_columns[0],
                    f"SKU {variant.sku} is '{label or 'no options'}' in the shop; an "
                    "existing SKU's options cannot be changed by import (add a new SKU).",
                    "options_changed",
                )
                return None
        diff: dict[str, Any] = {
            name: getattr(r, name)
            for name in _PATCHABLE
            if getattr(r, name) is not None and getattr(r, name) != getattr(variant, name)
        }
        if r.barcode and r.barcode != (variant.barcode or ""):
            owner = self.barcode_owner.get(r.barcode)
            if owner is not None and owner[0] != variant.id:
                self.fail(
                    r,
                    "barcode",
                    f"Barcode {r.barcode} is already used by SKU {owner[1]}.",
                    "duplicate_barcode",
                )
                return None
            diff["barcode"] = r.barcode
        if not diff:
            return None
        try:
            return VariantPatch.model_validate({"sku": variant.sku, **diff})
        except ValidationError as exc:
            self.fail_validation(r, exc, new=False)
            return None

    def stock_moves(self, r: CatalogRow) -> list[Move]:
        """Adjustments that set an existing SKU's on-hand to the file's numbers (a refused
        number fails the row). Stock reserved for orders cannot be counted away, and only the
        roles that may use adjust_stock may change existing stock this way."""
        variant = self.by_sku[r.sku.casefold()].variant
        moves: list[Move] = []
        for code, quantity in r.stock.items():
            wh = self.warehouses[code]
            column = STOCK_PREFIX + code
            try:
                AdjustStockIn(
                    sku=variant.sku, warehouse_code=code, set_to=quantity, note=IMPORT_NOTE
                )
            except ValidationError as exc:
                self.fail(
                    r,
                    column,
                    f"{self.header.label(column)}: {exc.errors()[0].get('msg')}.",
                    "invalid_value",
                )
                continue
            level = self.levels.get((variant.id, wh.id)) or Level(variant.id, wh.id, 0, 0, 0)
            delta = quantity - level.on_hand
            if delta == 0:
                continue
            if quantity < level.reserved:
                self.fail(
                    r,
                    column,
                    f"{variant.sku} at {code}: {level.reserved} units are "
                    f"reserved for orders, so on hand cannot be set to {quantity}.",
                    "insufficient_stock",
                )
            elif not adjust_stock.allows(self.ctx.actor.role):
                self.fail(
                    r,
                    column,
                    f"A {self.ctx.actor.role.value} may not change the stock of "
                    f"an existing SKU ({variant.sku} at {code} is {level.on_hand}); leave "
                    "the stock columns blank or ask warehouse staff.",
                    "permission_denied",
                )
            else:
                moves.append(
                    Move(
                        variant.id,
                        wh.id,
                        d_on_hand=delta,
                        reason="adjustment",
                        ref_type="catalog_import",
                        note=IMPORT_NOTE,
                    )
                )
        return moves

    def product_changes(self, product: Product, members: list[CatalogRow]) -> dict[str, Any]:
        """Product columns that differ from the shop; blank cells keep what is there."""
        fields = merged_product_fields(members)
        changes: dict[str, Any] = {}
        for name, column in (
            ("product_name", "name"),
            ("category", "category"),
            ("brand", "brand"),
            ("description", "description"),
        ):
            value = fields.get(name)
            if value and value != (getattr(product, column) or "").strip():
                changes[column] = value
        media = fields.get("media")
        if media and media != list(product.media):
            changes["media"] = media
        changes.update(label_changes(product, members))
        return changes


def _shown(value: object) -> str:
    """A cell value quoted in a message, cut short: a message should not repeat a whole
    description."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _chunks(keys: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(keys), _CHUNK):
        yield list(keys[start : start + _CHUNK])


async def _warehouse_columns(
    ctx: ToolContext, header: Header, header_row: int
) -> dict[str, Warehouse]:
    """The stock_ columns must name active warehouses; a wrong one is a header error because
    every row would be wrong."""
    found = {w.code: w for w in (await ctx.session.execute(select(Warehouse))).scalars()}
    out: dict[str, Warehouse] = {}
    for code in header.warehouses:
        wh = found.get(code)
        column = header.label(STOCK_PREFIX + code)
        if wh is None:
            known = ", ".join(sorted(c for c, w in found.items() if w.active)) or "none yet"
            header.errors.append(
                RowError(
                    header_row,
                    column,
                    f"There is no warehouse {code} (column {column}); warehouses: {known}.",
                    "unknown_warehouse",
                )
            )
        elif not wh.active:
            header.errors.append(
                RowError(
                    header_row, column, f"Warehouse {code} is not active.", "warehouse_inactive"
                )
            )
        else:
            out[code] = wh
    return out


# ---------------------------------------------------------------------------------- import


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
    warehouses = await _warehouse_columns(ctx, header, header_row)
    rows: list[CatalogRow] = []
    errors: list[RowError] = list(header.errors)
    if not header.errors:
        for number, cells in grid[1:]:
            row, row_errors = parse_row(number, cells, header)
            rows.append(row)
            errors += row_errors
    vetting = _Vetting(ctx, header, warehouses, rows, errors)
    if not header.errors:
        await vetting.run()
    errors = sorted(set(vetting.errors))
    plan = vetting.plan
    skipped = len({e.row for e in errors})
    refused = bool(header.errors) or (bool(errors) and not inp.skip_bad_rows)
    if refused and not inp.dry_run:
        raise _refusal(errors, len(rows), header, header_row)
    if refused:
        plan = _Plan()
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


# ---------------------------------------------------------------------------------- export


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

"""One data row read into a typed ``CatalogRow``, with every problem the row has on its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from core.catalog import MAX_ATTRIBUTES, check_attribute_names, check_sku
from core.catalog_rows.cells import (
    cell_text,
    parse_money,
    parse_quantity,
    parse_vat,
    split_media,
)
from core.catalog_rows.columns import (
    ENGLISH_SUFFIX,
    MEDIA_COLUMN,
    MONEY_COLUMNS,
    QUANTITY_COLUMNS,
    STOCK_PREFIX,
    TEXT_PRODUCT_COLUMNS,
)
from core.catalog_rows.errors import CellError, RowError
from core.catalog_rows.header import Header
from core.errors import InvalidInput


@dataclass
class CatalogRow:
    """One variant row as typed values. For text, "" means blank; for numbers, None means
    blank. Blank means "keep what the shop has" for existing SKUs and "use the default" for
    new ones."""

    row: int
    sku: str = ""
    product_code: str = ""
    product_name: str = ""
    category: str = ""
    brand: str = ""
    description: str = ""
    media: list[str] | None = None
    attributes: list[str] = field(default_factory=list)  # names, in the row's slot order
    values: list[str] = field(default_factory=list)  # the value for each name
    barcode: str = ""
    cost_price: int | None = None
    sale_price: int | None = None
    vat_rate: int | None = None
    reorder_point: int | None = None
    weight_grams: int | None = None
    stock: dict[str, int] = field(default_factory=dict)  # warehouse code -> units on hand
    attribute_columns: list[str] = field(default_factory=list)  # canonical attribute_N used
    category_en: str = ""
    attributes_en: dict[str, str] = field(default_factory=dict)  # attribute name -> English
    values_en: dict[str, str] = field(default_factory=dict)  # attribute name -> value in English

    @property
    def options(self) -> dict[str, str]:
        return dict(zip(self.attributes, self.values, strict=True))


@dataclass
class _Reading:
    """One row being read: its cells by column name, the row so far and its problems."""

    row: int
    cells: Sequence[object]
    header: Header
    out: CatalogRow
    errors: list[RowError] = field(default_factory=list)

    def cell(self, name: str) -> object:
        i = self.header.index.get(name)
        return self.cells[i] if i is not None and i < len(self.cells) else None

    def text(self, name: str) -> str:
        return cell_text(self.cell(name))

    def bad(self, name: str, message: str, code: str = "invalid_value") -> None:
        self.errors.append(RowError(self.row, self.header.label(name), message, code))


def parse_row(
    row: int, cells: Sequence[object], header: Header
) -> tuple[CatalogRow, list[RowError]]:
    """Reads one data row; returns it with every problem it has on its own."""
    r = _Reading(row, cells, header, CatalogRow(row=row))
    _read_codes(r)
    _read_texts(r)
    _read_numbers(r)
    _read_attributes(r)
    _read_stock(r)
    return r.out, r.errors


def _read_codes(r: _Reading) -> None:
    out = r.out
    out.sku = r.text("sku")
    if not out.sku:
        r.bad(
            "sku", "The SKU is missing; every row is one variant and needs its SKU.", "missing_sku"
        )
    else:
        try:
            out.sku = check_sku(out.sku)
        except InvalidInput as exc:
            r.bad("sku", exc.message, exc.code)
    out.product_code = r.text("product_code")
    if out.product_code:
        try:
            out.product_code = check_sku(out.product_code, field="product_code")
        except InvalidInput as exc:
            r.bad(
                "product_code",
                f"'{out.product_code}' is not a valid product code (letters, "
                "digits, . _ - /, up to 64).",
                exc.code,
            )


def _read_texts(r: _Reading) -> None:
    for name in TEXT_PRODUCT_COLUMNS:
        setattr(r.out, name, r.text(name))
    r.out.barcode = r.text("barcode")
    media = r.text(MEDIA_COLUMN)
    r.out.media = split_media(media) if media else None


def _read_numbers(r: _Reading) -> None:
    for name in (*MONEY_COLUMNS, *QUANTITY_COLUMNS):
        try:
            parse = parse_money if name in MONEY_COLUMNS else parse_quantity
            setattr(r.out, name, parse(r.cell(name)))
        except CellError as exc:
            r.bad(name, exc.message, "invalid_price" if name in MONEY_COLUMNS else exc.code)
    try:
        r.out.vat_rate = parse_vat(r.cell("vat_rate"))
    except CellError as exc:
        r.bad("vat_rate", exc.message, exc.code)


def _read_attributes(r: _Reading) -> None:
    """attribute_N / value_N pairs in slot order, with their English labels if given."""
    out = r.out
    for n in r.header.attribute_slots:
        name = r.text(f"attribute_{n}")
        value = r.text(f"value_{n}")
        if value and not name:
            r.bad(
                f"value_{n}",
                f"Value '{value}' has no attribute name in attribute_{n} (e.g. Màu, Size).",
                "missing_attribute",
            )
        elif name and not value:
            r.bad(f"value_{n}", f"Attribute '{name}' has no value in value_{n}.", "missing_value")
        elif name:
            out.attributes.append(name)
            out.values.append(value)
            out.attribute_columns.append(f"attribute_{n}")
            if english := r.text(f"attribute_{n}{ENGLISH_SUFFIX}"):
                out.attributes_en[name] = english
            if english := r.text(f"value_{n}{ENGLISH_SUFFIX}"):
                out.values_en[name] = english
    if out.attributes:
        try:
            check_attribute_names(out.attributes)
        except InvalidInput as exc:
            at = MAX_ATTRIBUTES if len(out.attributes) > MAX_ATTRIBUTES else 0
            r.bad(out.attribute_columns[at], exc.message, exc.code)


def _read_stock(r: _Reading) -> None:
    for code in r.header.warehouses:
        name = STOCK_PREFIX + code
        try:
            quantity = parse_quantity(r.cell(name))
        except CellError as exc:
            r.bad(name, exc.message, exc.code)
            continue
        if quantity is not None:
            r.out.stock[code] = quantity

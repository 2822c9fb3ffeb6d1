"""Catalogue spreadsheets, the pure part: header aliases, cell values, row and file checks.

Sellers keep their product lists in Excel or Google Sheets, one row per variant, with headers in
Vietnamese or English and numbers typed the way people type them ("150.000đ", "10%"). This
module turns such a grid into typed rows and finds every problem a row has on its own or
against the other rows of the file. It never touches the database: what depends on the shop
(existing SKUs, warehouses, barcodes in use) is checked by ``tools/catalog_io/vetting.py``.

The format is documented for sellers in docs/catalog-import.md.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from core.catalog import MAX_ATTRIBUTES, check_attribute_names, check_sku, check_vat_rate
from core.errors import InvalidInput
from core.text import fold

# Columns in file order. Product columns repeat on every row of the product (or are filled on
# one row only); the rest belong to the row's variant. media_urls is a product column.
PRODUCT_COLUMNS: tuple[str, ...] = (
    "product_code",
    "product_name",
    "category",
    "brand",
    "description",
)
VARIANT_COLUMNS: tuple[str, ...] = (
    "sku",
    "barcode",
    "cost_price",
    "sale_price",
    "vat_rate",
    "reorder_point",
    "weight_grams",
)
MEDIA_COLUMN = "media_urls"
STOCK_PREFIX = "stock_"
MONEY_COLUMNS: tuple[str, ...] = ("cost_price", "sale_price")
QUANTITY_COLUMNS: tuple[str, ...] = ("reorder_point", "weight_grams")
TEXT_PRODUCT_COLUMNS: tuple[str, ...] = (
    "product_name",
    "category",
    "brand",
    "description",
    "category_en",
)
# Optional English labels (core/labels.py): the category's, and per attribute slot N the
# attribute's name (attribute_N_en) and this variant's value (value_N_en).
ENGLISH_SUFFIX = "_en"

MAX_ROWS = 20_000
MAX_COLUMNS = 200
HEADER_ROW = 1


def columns(warehouse_codes: Sequence[str], attribute_count: int = MAX_ATTRIBUTES) -> list[str]:
    """The canonical header, in the order export writes it and this document lists it."""
    out = list(PRODUCT_COLUMNS)
    for n in range(1, attribute_count + 1):
        out += [f"attribute_{n}", f"value_{n}"]
    out += [*VARIANT_COLUMNS, MEDIA_COLUMN, "category_en"]
    for n in range(1, attribute_count + 1):
        out += [f"attribute_{n}_en", f"value_{n}_en"]
    out += [f"{STOCK_PREFIX}{code}" for code in warehouse_codes]
    return out


# ------------------------------------------------------------------------------------- errors


@dataclass(frozen=True, slots=True, order=True)
class RowError:
    """One problem, located as the seller sees it: spreadsheet row (header = 1) and column
    header as written in the file."""

    row: int
    column: str
    message: str
    code: str = "invalid_row"


class CellError(ValueError):
    """A cell that cannot be read as what its column holds."""

    def __init__(self, message: str, code: str = "invalid_value") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# ------------------------------------------------------------------------------------- header

# Trailing unit words people put in headers: "Giá bán (đ)", "Khối lượng (g)", "VAT (%)".
_UNITS = frozenset({"d", "vnd", "dong", "g", "gr", "gram", "grams"})

_ALIASES: dict[str, tuple[str, ...]] = {
    "product_code": (
        "product code",
        "code",
        "mã sp",
        "mã sản phẩm",
        "mã hàng",
        "mã hàng hóa",
        "mã sản phẩm cha",
        "parent sku",
        "product id",
    ),
    "product_name": (
        "product name",
        "name",
        "tên sản phẩm",
        "tên sp",
        "tên hàng",
        "tên hàng hóa",
        "sản phẩm",
    ),
    "category": (
        "category",
        "danh mục",
        "loại",
        "loại sản phẩm",
        "loại hàng",
        "nhóm hàng",
        "ngành hàng",
        "nhóm sản phẩm",
    ),
    "brand": ("brand", "thương hiệu", "nhãn hiệu", "hãng", "hãng sản xuất"),
    "category_en": ("category english", "english category", "danh mục en", "danh mục tiếng anh"),
    "description": ("description", "mô tả", "mô tả sản phẩm"),
    "sku": ("sku", "mã sku", "sku phân loại", "mã phân loại", "mã biến thể", "variant sku"),
    "barcode": ("barcode", "mã vạch", "ean", "upc", "gtin"),
    "cost_price": ("cost price", "cost", "giá vốn", "giá nhập", "giá mua"),
    "sale_price": ("sale price", "price", "giá bán", "giá", "giá bán lẻ"),
    "vat_rate": (
        "vat rate",
        "vat",
        "thuế gtgt",
        "thuế vat",
        "thuế suất",
        "thuế suất gtgt",
        "thuế",
        "vat %",
    ),
    "reorder_point": (
        "reorder point",
        "reorder",
        "điểm đặt hàng",
        "điểm đặt hàng lại",
        "tồn tối thiểu",
        "mức tồn tối thiểu",
        "định mức tồn",
    ),
    "weight_grams": ("weight grams", "weight", "khối lượng", "cân nặng", "trọng lượng"),
    "media_urls": (
        "media urls",
        "media",
        "images",
        "image",
        "image urls",
        "hình ảnh",
        "ảnh",
        "link ảnh",
        "ảnh sản phẩm",
    ),
}
_ATTRIBUTE = re.compile(
    r"^(?:attribute|attribute name|option name|thuoc tinh|ten thuoc tinh|phan loai|"
    r"ten phan loai) ?(\d{1,2})$"
)
_VALUE = re.compile(
    r"^(?:value|attribute value|option value|gia tri|gia tri thuoc tinh|gia tri phan loai|"
    r"tuy chon) ?(\d{1,2})$"
)
# "attribute 1 en", "Thuộc tính 1 (tiếng Anh)", "Giá trị 1 English"
_IN_ENGLISH = re.compile(r"^(.*\d) (?:en|english|tieng anh)$")
# Applied to the folded header with its punctuation, so codes like "HCM-1" survive. Anything
# after the stock words is taken as a warehouse code, so "Tồn kho Hà Nội" is refused as an
# unknown warehouse rather than silently ignored.
_STOCK_WORDS = r"(?:stock|so luong ton kho|so luong ton|sl ton kho|sl ton|ton kho|ton)"
_STOCK = re.compile(_STOCK_WORDS + r"(?:[\s_:\-]+kho)?[\s_:\-]+(?!kho$)(\S.*)$")
# "Tồn kho" alone: stock, but of which warehouse?
_BARE_STOCK = re.compile(r"^(?:" + _STOCK_WORDS + r"|on hand|so luong|sl)$")


def header_key(text: str) -> str:
    """What a header is compared by: no diacritics, no case, words only, no trailing unit."""
    words = [w for w in re.split(r"[^0-9a-z]+", fold(text)) if w]
    while len(words) > 1 and words[-1] in _UNITS:
        words.pop()
    return " ".join(words)


_LOOKUP: dict[str, str] = {
    header_key(alias): name for name, aliases in _ALIASES.items() for alias in (name, *aliases)
}


def canonical_column(text: str) -> str | None:
    """``"Giá bán (đ)"`` -> ``sale_price``; ``"Tồn kho HCM"`` -> ``stock_HCM``; None if unknown."""
    key = header_key(text)
    if not key:
        return None
    if key in _LOOKUP:
        return _LOOKUP[key]
    english = ""
    if m := _IN_ENGLISH.match(key):
        key, english = m.group(1), ENGLISH_SUFFIX
    if m := _ATTRIBUTE.match(key):
        return f"attribute_{int(m.group(1))}{english}"
    if m := _VALUE.match(key):
        return f"value_{int(m.group(1))}{english}"
    if m := _STOCK.match(fold(text)):
        return STOCK_PREFIX + m.group(1).upper()
    if _BARE_STOCK.match(key):
        return STOCK_PREFIX  # no warehouse code: map_header says so
    return None


@dataclass
class Header:
    """Where each known column is in the file, and what was wrong with the header row."""

    index: dict[str, int] = field(default_factory=dict)  # canonical name -> column index
    labels: dict[str, str] = field(default_factory=dict)  # canonical name -> header as written
    warehouses: list[str] = field(default_factory=list)  # codes of the stock_ columns, in order
    attribute_slots: list[int] = field(default_factory=list)  # N of attribute_N/value_N columns
    ignored: list[str] = field(default_factory=list)  # headers that are not ours
    errors: list[RowError] = field(default_factory=list)

    def label(self, name: str) -> str:
        return self.labels.get(name, name)

    def has(self, name: str) -> bool:
        return name in self.index


def map_header(cells: Sequence[object], row: int = HEADER_ROW) -> Header:
    """Reads the header row: aliases, stock columns per warehouse, duplicates."""
    header = Header()
    if len(cells) > MAX_COLUMNS:
        header.errors.append(
            RowError(
                row,
                "",
                f"The file has {len(cells)} columns; at most {MAX_COLUMNS} are read.",
                "too_many_columns",
            )
        )
        return header
    for i, cell in enumerate(cells):
        text = cell_text(cell)
        if not text:
            continue
        name = canonical_column(text)
        if name is None:
            header.ignored.append(text)
            continue
        if name == STOCK_PREFIX:
            header.errors.append(
                RowError(
                    row,
                    text,
                    f"Column '{text}' does not say which warehouse; name it after the "
                    "warehouse code, e.g. stock_HCM or Tồn kho HCM.",
                    "missing_warehouse_code",
                )
            )
            continue
        if name in header.index:
            header.errors.append(
                RowError(
                    row,
                    text,
                    f"Column '{text}' means the same as '{header.labels[name]}' ({name}); "
                    "keep one.",
                    "duplicate_column",
                )
            )
            continue
        header.index[name] = i
        header.labels[name] = text
        if name.startswith(STOCK_PREFIX):
            header.warehouses.append(name.removeprefix(STOCK_PREFIX))
    slots = {int(n.split("_")[1]) for n in header.index if n.startswith(("attribute_", "value_"))}
    header.attribute_slots = sorted(slots)
    if "sku" not in header.index:
        header.errors.append(
            RowError(
                row,
                "sku",
                "The file has no sku column (Mã SKU); every row needs its variant's SKU.",
                "missing_column",
            )
        )
    return header


# -------------------------------------------------------------------------------------- cells

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_CURRENCY = re.compile(r"(?:₫|đ|vnđ|vnd|đồng|dong|d)\.?$", re.IGNORECASE)
_DIGITS = re.compile(r"^\d+$")


def cell_text(value: object) -> str:
    """A cell as text: numbers without a spurious ``.0``, no surrounding or odd spaces."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    text = str(value).replace("\u00a0", " ").replace("\ufeff", "").replace("\u200b", "")
    return text.strip()


@dataclass(frozen=True, slots=True)
class _Kind:
    """How a numeric column talks about its values in messages."""

    not_number: str  # "'{raw}' ..."
    not_whole: str
    negative: str


_MONEY = _Kind(
    "is not an amount in đồng (write e.g. 150000 or 150.000đ)",
    "is not a whole number of đồng",
    "is negative; prices cannot be",
)
_COUNT = _Kind("is not a whole number", "is not a whole number", "is negative")


def _whole(value: object, kind: _Kind) -> int | None:
    """A non-negative whole number from a cell; None when blank. Grouping with dots, commas
    or spaces is read as thousands ("1.500" is 1500, Vietnamese style); decimals are refused
    unless they are zero ("150000.00")."""
    if value is None:
        return None
    raw = cell_text(value)
    if isinstance(value, bool):
        raise CellError(f"'{raw}' {kind.not_number}.")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or abs(value - round(value)) > 1e-6:
            raise CellError(f"'{raw}' {kind.not_whole}.", "not_whole")
        number = round(value)
    else:
        text = _CURRENCY.sub("", _SPACES.sub("", raw)) if kind is _MONEY else _SPACES.sub("", raw)
        if not text:
            if raw:
                raise CellError(f"'{raw}' {kind.not_number}.")
            return None
        if text.startswith("-") and _parses(text[1:], kind):
            raise CellError(f"'{raw}' {kind.negative}.", "negative")
        number = _parse_grouped(text, raw, kind)
    if number < 0:
        raise CellError(f"'{raw}' {kind.negative}.", "negative")
    return number


def _parses(text: str, kind: _Kind) -> bool:
    try:
        _parse_grouped(text, text, kind)
    except CellError as exc:
        return exc.code == "not_whole"
    return True


def _parse_grouped(text: str, raw: str, kind: _Kind) -> int:
    if _DIGITS.match(text):
        return int(text)
    seps = [c for c in text if c in ".,"]
    if not seps or any(not (c.isdigit() or c in ".,") for c in text):
        raise CellError(f"'{raw}' {kind.not_number}.")
    # The last separator is a decimal mark if it differs from the others, or if it is the only
    # one and is not followed by exactly three digits.
    last = text.rfind(seps[-1])
    is_decimal = len(set(seps)) == 2 or (len(seps) == 1 and len(text) - last - 1 != 3)
    whole, fraction = (text[:last], text[last + 1 :]) if is_decimal else (text, "")
    if fraction and set(fraction) != {"0"}:
        raise CellError(f"'{raw}' {kind.not_whole}.", "not_whole")
    groups = re.split(r"[.,]", whole)
    well_grouped = (
        all(g.isdigit() for g in groups)
        and (len(groups) == 1 or len(groups[0]) <= 3)
        and all(len(g) == 3 for g in groups[1:])
        and len({c for c in whole if c in ".,"}) <= 1
    )
    if not well_grouped:
        raise CellError(f"'{raw}' {kind.not_number}.")
    return int("".join(groups))


def parse_money(value: object) -> int | None:
    """Whole đồng: 150000, "150.000", "150,000", "150.000đ", "150 000 ₫"; None when blank."""
    return _whole(value, _MONEY)


def parse_quantity(value: object) -> int | None:
    """A count (units, grams); None when blank."""
    return _whole(value, _COUNT)


def parse_vat(value: object) -> int | None:
    """VAT as 0, 5, 8 or 10: "10", "10%", or an Excel percent cell (0.1)."""
    if value is None:
        return None
    raw = cell_text(value)
    text = _SPACES.sub("", raw).removesuffix("%").replace(",", ".")
    if not text:
        return None
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        rate = Decimal(text)
        if not rate.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise CellError(f"'{raw}' is not a VAT rate (0, 5, 8 or 10).", "invalid_vat_rate") from None
    if 0 < rate < 1 and not raw.endswith("%"):
        rate *= 100  # an Excel cell formatted as percent holds 0.1 for 10%
    if rate != rate.to_integral_value():
        raise CellError(f"VAT must be 0, 5, 8 or 10 %, got {raw}.", "invalid_vat_rate")
    try:
        return check_vat_rate(int(rate))
    except InvalidInput as exc:
        raise CellError(exc.message, exc.code) from None


def split_media(text: str) -> list[str]:
    """URLs separated by ``|``, spaces or line breaks."""
    return [u for u in re.split(r"[|\s]+", text) if u]


# --------------------------------------------------------------------------------------- rows


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


def is_blank(cells: Sequence[object]) -> bool:
    return all(not cell_text(c) for c in cells)


def parse_row(
    row: int, cells: Sequence[object], header: Header
) -> tuple[CatalogRow, list[RowError]]:
    """Reads one data row; returns it with every problem it has on its own."""

    def cell(name: str) -> object:
        i = header.index.get(name)
        return cells[i] if i is not None and i < len(cells) else None

    out = CatalogRow(row=row)
    errors: list[RowError] = []

    def bad(name: str, message: str, code: str = "invalid_value") -> None:
        errors.append(RowError(row, header.label(name), message, code))

    out.sku = cell_text(cell("sku"))
    if not out.sku:
        bad("sku", "The SKU is missing; every row is one variant and needs its SKU.", "missing_sku")
    else:
        try:
            out.sku = check_sku(out.sku)
        except InvalidInput as exc:
            bad("sku", exc.message, exc.code)
    out.product_code = cell_text(cell("product_code"))
    if out.product_code:
        try:
            out.product_code = check_sku(out.product_code, field="product_code")
        except InvalidInput as exc:
            bad(
                "product_code",
                f"'{out.product_code}' is not a valid product code (letters, "
                "digits, . _ - /, up to 64).",
                exc.code,
            )
    for name in TEXT_PRODUCT_COLUMNS:
        setattr(out, name, cell_text(cell(name)))
    out.barcode = cell_text(cell("barcode"))
    media = cell_text(cell(MEDIA_COLUMN))
    out.media = split_media(media) if media else None

    for name in (*MONEY_COLUMNS, *QUANTITY_COLUMNS):
        try:
            parse = parse_money if name in MONEY_COLUMNS else parse_quantity
            setattr(out, name, parse(cell(name)))
        except CellError as exc:
            bad(name, exc.message, "invalid_price" if name in MONEY_COLUMNS else exc.code)
    try:
        out.vat_rate = parse_vat(cell("vat_rate"))
    except CellError as exc:
        bad("vat_rate", exc.message, exc.code)

    for n in header.attribute_slots:
        name = cell_text(cell(f"attribute_{n}"))
        value = cell_text(cell(f"value_{n}"))
        if value and not name:
            bad(
                f"value_{n}",
                f"Value '{value}' has no attribute name in attribute_{n} (e.g. Màu, Size).",
                "missing_attribute",
            )
        elif name and not value:
            bad(f"value_{n}", f"Attribute '{name}' has no value in value_{n}.", "missing_value")
        elif name:
            out.attributes.append(name)
            out.values.append(value)
            out.attribute_columns.append(f"attribute_{n}")
            if english := cell_text(cell(f"attribute_{n}{ENGLISH_SUFFIX}")):
                out.attributes_en[name] = english
            if english := cell_text(cell(f"value_{n}{ENGLISH_SUFFIX}")):
                out.values_en[name] = english
    if out.attributes:
        try:
            check_attribute_names(out.attributes)
        except InvalidInput as exc:
            at = MAX_ATTRIBUTES if len(out.attributes) > MAX_ATTRIBUTES else 0
            bad(out.attribute_columns[at], exc.message, exc.code)

    for code in header.warehouses:
        name = STOCK_PREFIX + code
        try:
            quantity = parse_quantity(cell(name))
        except CellError as exc:
            bad(name, exc.message, exc.code)
            continue
        if quantity is not None:
            out.stock[code] = quantity
    return out, errors


# ------------------------------------------------------------------------------ across rows


def product_key(code: str) -> str:
    """Product codes and SKUs are unique regardless of case, as in the catalogue."""
    return code.casefold()


def check_file(rows: Iterable[CatalogRow], header: Header) -> list[RowError]:
    """Problems between rows: a SKU or barcode twice, and rows of one product that disagree
    on its name, category, brand, description, images or attribute names."""
    errors: list[RowError] = []
    first_sku: dict[str, int] = {}
    first_barcode: dict[str, int] = {}
    groups: dict[str, list[CatalogRow]] = {}
    for r in rows:
        if r.sku:
            key = r.sku.casefold()
            if key in first_sku:
                errors.append(
                    RowError(
                        r.row,
                        header.label("sku"),
                        f"SKU {r.sku} is already on row {first_sku[key]}.",
                        "duplicate_sku",
                    )
                )
            else:
                first_sku[key] = r.row
        if r.barcode:
            if r.barcode in first_barcode:
                errors.append(
                    RowError(
                        r.row,
                        header.label("barcode"),
                        f"Barcode {r.barcode} is already on row {first_barcode[r.barcode]}.",
                        "duplicate_barcode",
                    )
                )
            else:
                first_barcode[r.barcode] = r.row
        if r.product_code:
            groups.setdefault(product_key(r.product_code), []).append(r)
    for members in groups.values():
        errors += _check_product_rows(members, header)
    return errors


def _check_product_rows(members: list[CatalogRow], header: Header) -> list[RowError]:
    errors: list[RowError] = []
    code = members[0].product_code
    for name in (*TEXT_PRODUCT_COLUMNS, "media"):
        first: CatalogRow | None = None
        for r in members:
            value = getattr(r, name)
            if not value:
                continue
            if first is None:
                first = r
            elif value != getattr(first, name):
                column = MEDIA_COLUMN if name == "media" else name
                errors.append(
                    RowError(
                        r.row,
                        header.label(column),
                        f"{column} of product {code} differs from row {first.row}; give it once "
                        "or the same on every row.",
                        "inconsistent_product",
                    )
                )
    named = [r for r in members if r.attributes]
    if named:
        ref = named[0]
        want = [fold(a) for a in ref.attributes]
        for r in named[1:]:
            if [fold(a) for a in r.attributes] != want:
                errors.append(
                    RowError(
                        r.row,
                        header.label(r.attribute_columns[0]),
                        f"Attribute names ({', '.join(r.attributes)}) differ from row {ref.row} "
                        f"({', '.join(ref.attributes)}) of product {code}.",
                        "inconsistent_attributes",
                    )
                )
    return errors


def merged_product_fields(members: Iterable[CatalogRow]) -> dict[str, object]:
    """The product columns of a product's rows: the first non-blank value of each."""
    out: dict[str, object] = {}
    for r in members:
        for name in (*TEXT_PRODUCT_COLUMNS, "media"):
            value = getattr(r, name)
            if value and name not in out:
                out[name] = value
    return out


def reference_attributes(members: Iterable[CatalogRow]) -> tuple[list[str], int | None]:
    """The attribute names the product's first naming row gives, and that row."""
    for r in members:
        if r.attributes:
            return list(r.attributes), r.row
    return [], None


# ------------------------------------------------------------------------------------ CSV


def read_csv(data: bytes) -> list[list[str]]:
    """Rows of a CSV file as Excel and Google Sheets write it: UTF-8 with or without the BOM
    Excel adds (or UTF-16 from "Unicode text"), comma, semicolon (Excel with a Vietnamese or
    European locale) or tab between cells. Records with line breaks inside quotes count as one
    row, as the spreadsheet shows them."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput(
                "The CSV file is not UTF-8. In Excel use Save As > 'CSV UTF-8 (Comma "
                "delimited)', or upload the .xlsx file.",
                field="content_base64",
                code="bad_encoding",
            ) from None
    if "\x00" in text:
        raise InvalidInput(
            "That does not look like a CSV file.", field="content_base64", code="bad_file"
        )
    first_line = next(iter(text.splitlines()), "")
    delimiter = max(",;\t", key=lambda d: len(next(csv.reader([first_line], delimiter=d), [])))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    filled = 0
    for record in reader:
        rows.append(record)
        filled += not is_blank(record)
        if filled > MAX_ROWS + 1:
            raise InvalidInput(
                f"The file has more than {MAX_ROWS} rows; split it.",
                field="content_base64",
                code="too_many_rows",
            )
    return rows


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with a BOM so Excel shows Vietnamese correctly when the file is double-clicked."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for r in rows:
        writer.writerow(["" if v is None else v for v in r])
    return buffer.getvalue().encode("utf-8-sig")

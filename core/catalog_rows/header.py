"""The header row: Vietnamese and English aliases of each column, attribute slots, stock
columns per warehouse, and what is wrong with the row."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.catalog_rows.cells import cell_text
from core.catalog_rows.columns import ENGLISH_SUFFIX, HEADER_ROW, MAX_COLUMNS, STOCK_PREFIX
from core.catalog_rows.errors import RowError
from core.text import fold

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

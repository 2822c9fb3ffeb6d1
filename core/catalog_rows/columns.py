"""The columns of a catalogue spreadsheet, in file order, and the limits of a file.

Product columns repeat on every row of the product (or are filled on one row only); the rest
belong to the row's variant. media_urls is a product column.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.catalog import MAX_ATTRIBUTES

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

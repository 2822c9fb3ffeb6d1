"""Checks across the rows of a file: a SKU or barcode twice, and rows of one product that
disagree; and what a product's rows say together."""

from __future__ import annotations

from collections.abc import Iterable

from core.catalog_rows.columns import MEDIA_COLUMN, TEXT_PRODUCT_COLUMNS
from core.catalog_rows.errors import RowError
from core.catalog_rows.header import Header
from core.catalog_rows.rows import CatalogRow
from core.text import fold


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

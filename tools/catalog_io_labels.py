"""The English label columns of catalogue import and export (docs/catalog-import.md).

``category_en`` is a product column; ``attribute_N_en`` and ``value_N_en`` give the English of
the row's attribute name and value in slot N. Like every column, a blank cell keeps what the
shop has: an import adds and changes labels, it does not remove them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from core.catalog import MAX_ATTRIBUTES
from core.catalog_rows import CatalogRow, merged_product_fields
from core.text import fold
from storage.models import Product


def _canonical(attributes: Sequence[str]) -> dict[str, str]:
    return {fold(a): a for a in attributes}


def attribute_labels(members: Iterable[CatalogRow], attributes: Sequence[str]) -> dict[str, str]:
    """The English attribute names the rows give (the first of each), by the product's names."""
    names = _canonical(attributes)
    out: dict[str, str] = {}
    for r in members:
        for name, english in r.attributes_en.items():
            out.setdefault(names.get(fold(name), name), english)
    return out


def value_labels(
    members: Iterable[CatalogRow], attributes: Sequence[str]
) -> dict[str, dict[str, str]]:
    """{attribute: {value: English}} from the rows' value_N_en cells."""
    names = _canonical(attributes)
    out: dict[str, dict[str, str]] = {}
    for r in members:
        for name, english in r.values_en.items():
            value = r.options.get(name)
            if value is not None:
                out.setdefault(names.get(fold(name), name), {}).setdefault(value, english)
    return out


def label_changes(product: Product, members: list[CatalogRow]) -> dict[str, Any]:
    """update_product arguments for the labels the rows give that the product lacks or differ."""
    current = product.labels_en or {}
    changes: dict[str, Any] = {}
    category = merged_product_fields(members).get("category_en")
    if category and category != current.get("category", ""):
        changes["category_en"] = category
    known = current.get("attributes") or {}
    names = {
        k: v for k, v in attribute_labels(members, product.attributes).items() if known.get(k) != v
    }
    if names:
        changes["attributes_en"] = names
    had = current.get("values") or {}
    values: dict[str, dict[str, str]] = {}
    for attr, by_value in value_labels(members, product.attributes).items():
        new = {v: e for v, e in by_value.items() if (had.get(attr) or {}).get(v) != e}
        if new:
            values[attr] = new
    if values:
        changes["values_en"] = values
    return changes


def export_labels(product: Product, pairs: Sequence[tuple[str, str]]) -> list[object]:
    """category_en, then attribute_N_en and value_N_en for the variant's (name, value) pairs;
    the labels as given, blank where none (the export does not invent any)."""
    labels = product.labels_en or {}
    cells: list[object] = [labels.get("category", "")]
    slots: list[object] = ["", ""] * MAX_ATTRIBUTES
    for n, (name, value) in enumerate(pairs[:MAX_ATTRIBUTES]):
        slots[2 * n] = (labels.get("attributes") or {}).get(name, "")
        slots[2 * n + 1] = ((labels.get("values") or {}).get(name) or {}).get(value, "")
    return cells + slots

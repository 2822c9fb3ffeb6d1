"""English labels on the catalogue's tools: checked on the way in, filled in on the way out.

The labels live on the product (``Product.labels_en``, shape in core/labels.py). Outputs give
every label with the Vietnamese as fallback, so a channel shows ``*_en`` fields in English and
never has to know which were given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.errors import InvalidInput
from core.labels import merged_labels
from storage import catalog as store
from tools.context import ToolContext

MAX_LABEL = 120


def check_keys(attributes: Iterable[str], given: Mapping[str, Any], field: str) -> None:
    """English labels are for the product's own attributes, and short."""
    known = set(attributes)
    for name, value in given.items():
        if name not in known:
            raise InvalidInput(
                f"'{name}' is not one of the product's attributes ({', '.join(known) or 'none'}).",
                field=f"{field}.{name}",
                code="unknown_attribute",
            )
        texts = value.values() if isinstance(value, Mapping) else [value]
        if any(len(str(t)) > MAX_LABEL for t in texts):
            raise InvalidInput(
                f"An English label is at most {MAX_LABEL} characters.", field=f"{field}.{name}"
            )


def values_from_variants(
    variants: Iterable[tuple[Mapping[str, str], Mapping[str, str]]],
) -> dict[str, dict[str, str]]:
    """{attribute: {value: English}} from each variant's (options, options_en)."""
    out: dict[str, dict[str, str]] = {}
    for options, options_en in variants:
        for name, english in options_en.items():
            if name in options and english.strip():
                out.setdefault(name, {})[options[name]] = english.strip()
    return out


def new_labels(
    current: Mapping[str, Any] | None,
    *,
    attributes: list[str],
    category: str | None,
    attribute_labels: Mapping[str, str] | None,
    values: Mapping[str, Mapping[str, str]] | None,
    field: str = "",
) -> dict[str, Any]:
    """``current`` with the given labels, after checking they name the product's attributes."""
    prefix = f"{field}." if field else ""
    check_keys(attributes, attribute_labels or {}, f"{prefix}attributes_en")
    check_keys(attributes, values or {}, f"{prefix}values_en")
    return merged_labels(current, category=category, attributes=attribute_labels, values=values)


async def category_labels(ctx: ToolContext) -> dict[str, str]:
    """Each category's English label: the first one given on an active product of it."""
    out: dict[str, str] = {}
    for category, labels in await store.active_category_labels(ctx.tx):
        english = (labels.get("category") or "").strip()
        if english and category not in out:
            out[category] = english
    return out

"""English labels for what the shop names in Vietnamese: categories, attribute names and values.

A product keeps its labels in one mapping (``Product.labels_en``)::

    {"category": "T-shirts",
     "attributes": {"Màu": "Colour"},
     "values": {"Màu": {"Đen": "Black", "Trắng": "White"}}}

Every label is optional: without one the Vietnamese is shown, in English too. Channels and
the chat flow render with ``label`` (or the helpers below) for the customer's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Labels = Mapping[str, Any]


def label(vietnamese: str, english: str | None, language: str) -> str:
    """The English label in English when there is one; otherwise the Vietnamese."""
    if language == "en" and english and english.strip():
        return english.strip()
    return vietnamese


def category_label(labels: Labels | None, category: str, language: str) -> str:
    return label(category, (labels or {}).get("category"), language)


def attribute_label(labels: Labels | None, name: str, language: str) -> str:
    return label(name, ((labels or {}).get("attributes") or {}).get(name), language)


def value_label(labels: Labels | None, attribute: str, value: str, language: str) -> str:
    values = ((labels or {}).get("values") or {}).get(attribute) or {}
    return label(value, values.get(value), language)


def options_label(
    labels: Labels | None, options: Mapping[str, str], language: str
) -> dict[str, str]:
    """``{"Màu": "Đen"}`` -> ``{"Màu": "Black"}`` in English (keys stay the Vietnamese names)."""
    return {name: value_label(labels, name, value, language) for name, value in options.items()}


def merged_labels(
    current: Labels | None,
    *,
    category: str | None = None,
    attributes: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """``current`` with the given labels set; an empty string removes a label."""
    out: dict[str, Any] = {
        "category": (current or {}).get("category", ""),
        "attributes": dict((current or {}).get("attributes") or {}),
        "values": {k: dict(v) for k, v in ((current or {}).get("values") or {}).items()},
    }
    if category is not None:
        out["category"] = category.strip()
    for name, english in (attributes or {}).items():
        _set(out["attributes"], name, english)
    for name, by_value in (values or {}).items():
        slot = out["values"].setdefault(name, {})
        for value, english in by_value.items():
            _set(slot, value, english)
        if not slot:
            del out["values"][name]
    return out


def _set(mapping: dict[str, str], key: str, english: str) -> None:
    if english.strip():
        mapping[key] = english.strip()
    else:
        mapping.pop(key, None)

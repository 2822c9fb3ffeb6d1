"""Catalogue rules: variant attributes, SKUs, prices."""

from __future__ import annotations

import re

from core.errors import InvalidInput
from core.money import VAT_RATES

MAX_ATTRIBUTES = 3
_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")


def check_attribute_names(names: list[str]) -> list[str]:
    cleaned = [n.strip() for n in names]
    if len(cleaned) > MAX_ATTRIBUTES:
        raise InvalidInput(
            f"A product has at most {MAX_ATTRIBUTES} variant attributes, got {len(cleaned)}.",
            field="attributes",
            code="too_many_attributes",
        )
    if any(not n for n in cleaned):
        raise InvalidInput("Attribute names cannot be empty.", field="attributes")
    if len({n.casefold() for n in cleaned}) != len(cleaned):
        raise InvalidInput("Attribute names must be different.", field="attributes")
    return cleaned


def check_variant_options(
    attribute_names: list[str], options: dict[str, str], *, field: str = "options"
) -> dict[str, str]:
    """A variant gives one value for each of its product's attributes, no more, no less."""
    if len(options) > MAX_ATTRIBUTES:
        raise InvalidInput(
            f"A variant has at most {MAX_ATTRIBUTES} attributes.",
            field=field,
            code="too_many_attributes",
        )
    if set(options) != set(attribute_names):
        raise InvalidInput(
            f"Variant options must give exactly the product attributes {attribute_names}, "
            f"got {sorted(options)}.",
            field=field,
        )
    cleaned = {k: v.strip() for k, v in options.items()}
    if any(not v for v in cleaned.values()):
        raise InvalidInput("Variant option values cannot be empty.", field=field)
    return {name: cleaned[name] for name in attribute_names}


def check_sku(sku: str, *, field: str = "sku") -> str:
    sku = sku.strip()
    if not _SKU.match(sku):
        raise InvalidInput(
            f"'{sku}' is not a valid SKU (letters, digits, . _ - /, up to 64).",
            field=field,
            code="invalid_sku",
        )
    return sku


def check_vat_rate(rate: int, *, field: str = "vat_rate") -> int:
    if rate not in VAT_RATES:
        raise InvalidInput(
            f"VAT rate must be one of {sorted(VAT_RATES)} %, got {rate}.",
            field=field,
            code="invalid_vat_rate",
        )
    return rate


def check_price(amount: int, *, field: str) -> int:
    if amount < 0:
        raise InvalidInput("Prices cannot be negative.", field=field, code="invalid_price")
    return amount


def variant_label(options: dict[str, str]) -> str:
    return " / ".join(options.values())


def variant_name(product_name: str, options: dict[str, str] | None) -> str:
    """How a variant is named on orders, receipts, counts and reports: "Áo thun - Trắng / M",
    the product name alone for a product without options."""
    label = variant_label(options or {})
    return f"{product_name} - {label}" if label else product_name

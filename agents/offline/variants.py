"""Choosing a variant one attribute at a time (Màu, then Size), offering only what is in stock.

Pure: works on the variants ``get_product`` returned. Choices travel in button payloads as
indexes into each attribute's list of values, so a button pressed later (or twice) still means
exactly what it showed, whatever the stored state says by then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VariantChoice:
    sku: str
    options: dict[str, str]
    label: str
    price: int
    available: int


@dataclass(frozen=True, slots=True)
class Option:
    index: int  # into the attribute's values
    value: str
    in_stock: bool


@dataclass(frozen=True, slots=True)
class Pick:
    """The customer must choose a value of ``attribute`` next."""

    attribute_index: int
    attribute: str
    options: tuple[Option, ...]
    chosen: tuple[int, ...]

    @property
    def in_stock(self) -> tuple[Option, ...]:
        return tuple(o for o in self.options if o.in_stock)

    @property
    def sold_out(self) -> tuple[Option, ...]:
        return tuple(o for o in self.options if not o.in_stock)


@dataclass(frozen=True, slots=True)
class Chosen:
    variant: VariantChoice
    chosen: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class NoMatch:
    """The choices do not name a variant (stale button, variant removed)."""

    chosen: tuple[int, ...]


def attribute_values(
    attributes: Sequence[str], variants: Sequence[VariantChoice]
) -> list[list[str]]:
    """Per attribute, its distinct values in the order the variants list them."""
    out: list[list[str]] = []
    for attr in attributes:
        seen: list[str] = []
        for v in variants:
            value = v.options.get(attr)
            if value is not None and value not in seen:
                seen.append(value)
        out.append(seen)
    return out


def next_choice(
    attributes: Sequence[str], variants: Sequence[VariantChoice], chosen: Sequence[int] = ()
) -> Pick | Chosen | NoMatch:
    """What to ask next given the values chosen so far. An attribute with a single possible
    in-stock value is chosen automatically (no one wants to press "Size: Free size")."""
    values = attribute_values(attributes, variants)
    picked = list(chosen)
    if len(picked) > len(attributes) or any(
        i < 0 or i >= len(values[k]) for k, i in enumerate(picked)
    ):
        return NoMatch(tuple(picked))
    while True:
        candidates = [
            v
            for v in variants
            if all(v.options.get(attributes[k]) == values[k][i] for k, i in enumerate(picked))
        ]
        if not candidates:
            return NoMatch(tuple(picked))
        k = len(picked)
        if k == len(attributes):
            return Chosen(candidates[0], tuple(picked))
        attr = attributes[k]
        options = tuple(
            Option(
                index=i,
                value=value,
                in_stock=any(v.available > 0 for v in candidates if v.options.get(attr) == value),
            )
            for i, value in enumerate(values[k])
            if any(v.options.get(attr) == value for v in candidates)
        )
        if len(options) == 1 and options[0].in_stock:
            picked.append(options[0].index)
            continue
        return Pick(k, attr, options, tuple(picked))


def chosen_label(
    attributes: Sequence[str], variants: Sequence[VariantChoice], chosen: Sequence[int]
) -> str:
    """'Đen' or 'Đen / M' for the values chosen so far."""
    values = attribute_values(attributes, variants)
    return " / ".join(values[k][i] for k, i in enumerate(chosen) if i < len(values[k]))

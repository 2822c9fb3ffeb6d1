"""Checks on a tool's raw arguments that pydantic's defaults do not make, for every tool at once.

Unknown fields are refused at every depth (a misspelt nested field, such as a variant's
``initial_stock`` for ``stock``, would otherwise be dropped without a word), naming the full
path; references are unambiguous. The runner calls these for every surface.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from core.errors import InvalidInput, PermissionDenied
from core.roles import Actor

Walker = Callable[[Any, str], None]


@functools.cache
def _walkers(model: type[BaseModel]) -> dict[str, Walker | None]:
    """A model's fields by name and by alias, each with what checks its value (None for a
    field no model can be under: most fields, which then cost nothing)."""
    out: dict[str, Walker | None] = {}
    for name, info in model.model_fields.items():
        walker = _walker(info.annotation)
        out[name] = walker
        for alias in (info.alias, info.validation_alias):
            if isinstance(alias, str):
                out[alias] = walker
    return out


def refuse_unknown_fields(model: type[BaseModel], data: Any, path: str = "") -> None:
    if not isinstance(data, Mapping) or model.model_config.get("extra") == "allow":
        return
    walkers = _walkers(model)
    for key, value in data.items():
        if key not in walkers or not isinstance(key, str):
            where = f"{path}.{key}" if path else str(key)
            expected = ", ".join(sorted(model.model_fields))
            raise InvalidInput(
                f"Unknown argument '{where}'. Expected: {expected}.",
                field=where,
                code="unknown_field",
                details={"unknown": [where]},
            )
        walker = walkers[key]
        if walker is not None and value is not None:
            walker(value, f"{path}.{key}" if path else key)


# By the annotation's identity (annotations may hold unhashable metadata); the annotation is
# kept with its walker, so the id stays its own.
_WALKERS: dict[int, tuple[Any, Walker | None]] = {}


def _walker(annotation: Any) -> Walker | None:
    """What follows a value into the models its annotation names (lists, dicts, optionals),
    worked out once per annotation; None when no model can be under it."""
    found = _WALKERS.get(id(annotation))
    if found is None or found[0] is not annotation:
        found = _WALKERS[id(annotation)] = (annotation, _make_walker(annotation))
    return found[1]


def _make_walker(annotation: Any) -> Walker | None:
    if annotation is None:
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        model = annotation
        return lambda value, path: refuse_unknown_fields(model, value, path)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _walker(args[0])
    if origin in (typing.Union, types.UnionType):
        members = [_walker(a) for a in args if a is not type(None)]
        if not members or any(m is None for m in members):
            return None  # a member that holds no model accepts any value
        return _union([m for m in members if m is not None])
    if isinstance(origin, type) and issubclass(origin, Mapping):
        inner = _walker(args[-1]) if args else None
        return None if inner is None else _each_value(inner)
    if isinstance(origin, type) and issubclass(origin, Sequence | set | frozenset):
        if origin is tuple and args and args[-1] is not Ellipsis:
            per_item = [_walker(a) for a in args]
            return None if all(w is None for w in per_item) else _each_position(per_item)
        inner = _walker(args[0]) if args else None
        return None if inner is None else _each_item(inner)
    return None


def _union(members: list[Walker]) -> Walker:
    """A value that fits any member is accepted; else the first member's refusal stands."""
    if len(members) == 1:
        return members[0]

    def walk(value: Any, path: str) -> None:
        first: InvalidInput | None = None
        for member in members:
            try:
                member(value, path)
                return
            except InvalidInput as exc:
                first = first or exc
        if first is not None:
            raise first

    return walk


def _each_value(inner: Walker) -> Walker:
    def walk(value: Any, path: str) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if item is not None:
                    inner(item, f"{path}.{key}")

    return walk


def _each_item(inner: Walker) -> Walker:
    def walk(value: Any, path: str) -> None:
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is not None:
                    inner(item, f"{path}.{i}")

    return walk


def _each_position(per_item: list[Walker | None]) -> Walker:
    def walk(value: Any, path: str) -> None:
        if isinstance(value, list):
            for i, item in enumerate(value):
                w = per_item[i] if i < len(per_item) else None
                if w is not None and item is not None:
                    w(item, f"{path}.{i}")

    return walk


def refuse_ambiguous_references(parsed: BaseModel, actor: Actor) -> None:
    """Rules on references that hold for every tool: a customer names no other customer, and
    an order is named by its id or its number, never both (had they disagreed, which one was
    meant could not be known)."""
    values = parsed.__dict__
    customer = values.get("customer_id")
    if actor.is_customer and customer is not None and customer != actor.customer_id:
        raise PermissionDenied(
            "A customer may not name another customer.", field="customer_id", code="not_yours"
        )
    if values.get("order_id") is None:
        return
    for name in ("number", "order_number"):
        if values.get(name) not in (None, ""):
            raise InvalidInput(
                f"Give order_id or {name}, not both.", field=name, code="ambiguous_order"
            )

"""Checks on a tool's raw arguments that pydantic's defaults do not make, for every tool at once.

Unknown fields are refused at every depth (a misspelt nested field, such as a variant's
``initial_stock`` for ``stock``, would otherwise be dropped without a word), naming the full
path; references are unambiguous. The runner calls these for every surface.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from core.errors import InvalidInput, PermissionDenied
from core.roles import Actor


@functools.cache
def _fields(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """A model's fields by name and by alias."""
    out = dict(model.model_fields)
    for info in model.model_fields.values():
        for alias in (info.alias, info.validation_alias):
            if isinstance(alias, str):
                out[alias] = info
    return out


def refuse_unknown_fields(model: type[BaseModel], data: Any, path: str = "") -> None:
    if not isinstance(data, Mapping) or model.model_config.get("extra") == "allow":
        return
    fields = _fields(model)
    for key, value in data.items():
        where = f"{path}.{key}" if path else str(key)
        info = fields.get(key) if isinstance(key, str) else None
        if info is None:
            expected = ", ".join(sorted(model.model_fields))
            raise InvalidInput(
                f"Unknown argument '{where}'. Expected: {expected}.",
                field=where,
                code="unknown_field",
                details={"unknown": [where]},
            )
        _walk(info.annotation, value, where)


def _walk(annotation: Any, value: Any, path: str) -> None:
    """Follows the value into the models its annotation names (lists, dicts, optionals)."""
    if annotation is None or value is None:
        return
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        refuse_unknown_fields(annotation, value, path)
        return
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        _walk(args[0], value, path)
    elif origin in (typing.Union, types.UnionType):
        _walk_union([a for a in args if a is not type(None)], value, path)
    elif isinstance(origin, type) and issubclass(origin, Mapping) and isinstance(value, Mapping):
        for key, item in value.items():
            _walk(args[-1] if args else None, item, f"{path}.{key}")
    elif (
        isinstance(origin, type)
        and issubclass(origin, Sequence | set | frozenset)
        and isinstance(value, list)
    ):
        fixed = origin is tuple and args and args[-1] is not Ellipsis
        for i, item in enumerate(value):
            inner = (args[i] if i < len(args) else None) if fixed else (args[0] if args else None)
            _walk(inner, item, f"{path}.{i}")


def _walk_union(members: list[Any], value: Any, path: str) -> None:
    """A value that fits any member is accepted; else the first member's refusal stands."""
    if len(members) == 1:
        _walk(members[0], value, path)
        return
    first: InvalidInput | None = None
    for member in members:
        try:
            _walk(member, value, path)
            return
        except InvalidInput as exc:
            first = first or exc
    if first is not None:
        raise first


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

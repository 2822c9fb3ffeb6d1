"""The customer agent's tools, generated from the registry's customer-safe tools.

Every tool the model sees is a registry tool whose roles include the customer; staff tools are
never offered. The full customer-safe schemas are ~16,000 characters (every optional staff and
marketplace field included), which costs tokens on every model call and distracts small
models, so the agent offers a curated subset with short descriptions and only the fields a
customer conversation needs. The argument models are still derived from the registry's input
models (same types, same constraints), and the tool runner validates the full model again, so
the two cannot drift apart silently.

Fields the model must not choose are not offered and are set by code (``fixed_args``): the
customer's identity comes from the actor, never from arguments.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, Field, ValidationError, create_model
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from core.errors import InvalidInput
from core.roles import Role
from tools.input_check import refuse_unknown_fields
from tools.registry import Registry, Tool

HANDOFF_TOOL = "request_handoff"  # the registry's, when tools/conversations.py provides it
LOCAL_HANDOFF_TOOL = "request_human"  # the agent's own stand-in otherwise


@dataclasses.dataclass(frozen=True)
class Exposure:
    """How one registry tool is offered to the customer agent."""

    description: str
    fields: tuple[str, ...]
    # Fields the model must give, although the registry model has a default for staff use.
    required: tuple[str, ...] = ()
    descriptions: Mapping[str, str] = dataclasses.field(default_factory=dict)


EXPOSED: dict[str, Exposure] = {
    "search_products": Exposure(
        "Find products by the customer's words; accents and typos are fine. match='fuzzy': "
        "confirm with the customer.",
        ("query", "in_stock_only", "limit"),
        descriptions={"query": "e.g. 'áo thun đen'"},
    ),
    "get_product": Exposure(
        "A product's variants: SKU, options, price, VAT rate, units available.",
        ("product_id", "code", "sku"),
    ),
    "quote_order": Exposure(
        "Price a basket: line prices, VAT, shipping, COD total; `short`: lines not in stock.",
        ("lines",),
    ),
    "place_order": Exposure(
        "Show the order's confirmation card to the customer; placed only when they confirm "
        "it. Call again to change it.",
        ("lines", "buyer_name", "buyer_phone", "address", "payment_method", "note"),
        required=("lines", "buyer_name", "buyer_phone", "address"),
        descriptions={"lines": "", "buyer_name": "", "payment_method": "cod or bank_transfer"},
    ),
    "get_order": Exposure(
        "One of the customer's own orders: status, lines, totals, payment.",
        ("number",),
        required=("number",),
    ),
    "get_payment_details": Exposure(
        "Bank transfer details of the customer's order (amount due, account, QR), shown to "
        "them after your answer; do not repeat them.",
        ("number",),
        required=("number",),
    ),
    "lookup_order": Exposure(
        "An order not among the customer's, by its number plus the phone it was placed with.",
        ("number", "phone"),
        descriptions={"number": "", "phone": ""},
    ),
    "list_orders": Exposure("The customer's own orders, newest first.", ("limit",)),
    "cancel_order": Exposure(
        "Show a card to cancel the customer's unshipped order, only when they ask to.",
        ("number", "reason"),
        required=("number",),
    ),
    HANDOFF_TOOL: Exposure(
        "Hand the conversation to a person from the shop (the customer asked for one, complains, "
        "wants a return, or needs what you cannot do).",
        ("reason",),
    ),
}


@dataclasses.dataclass(frozen=True)
class AgentTool:
    """A registry tool as offered: the model-facing argument model and the code-fixed args."""

    tool: Tool[Any, Any]
    exposure: Exposure
    args_model: type[BaseModel]

    @property
    def name(self) -> str:
        return self.tool.name

    def validate(self, args: Mapping[str, Any], fixed: Mapping[str, Any]) -> BaseModel:
        """The registry's input model from the model's offered arguments plus the fixed ones.

        An argument that is not offered is refused like the runner refuses unknown ones
        (InvalidInput ``unknown_field``), so the model learns the names it has, and a
        ``customer_id`` it was talked into sending is never honoured. Otherwise raises
        pydantic's ValidationError.
        """
        unknown = sorted(k for k in args if k not in self.exposure.fields)
        if unknown:
            raise InvalidInput(
                f"Unknown argument '{unknown[0]}'. Expected: {', '.join(self.exposure.fields)}.",
                field=unknown[0],
                code="unknown_field",
                details={"unknown": unknown},
            )
        refuse_unknown_fields(self.tool.input_model, args)  # nested ones too, with their path
        offered = dict(args)
        self.args_model.model_validate(offered)
        parsed: BaseModel = self.tool.input_model.model_validate({**offered, **fixed})
        return parsed


def args_model(t: Tool[Any, Any], exposure: Exposure) -> type[BaseModel]:
    """A pydantic model with the offered fields of the tool's input model (same annotations and
    constraints; descriptions shortened where the exposure says so)."""
    source = t.input_model.model_fields
    fields: dict[str, Any] = {}
    for name in exposure.fields:
        info = source[name]
        overrides: dict[str, Any] = {}
        if name in exposure.descriptions:
            overrides["description"] = exposure.descriptions[name]
        annotation = info.annotation
        if name in exposure.required:
            annotation = _not_none(annotation)
            merged = FieldInfo.merge_field_infos(info, **overrides)
            merged.default = PydanticUndefined
            merged.default_factory = None
            fields[name] = (annotation, merged)
        else:
            fields[name] = (
                annotation,
                FieldInfo.merge_field_infos(info, **overrides) if overrides else info,
            )
    camel = "".join(part.title() for part in t.name.split("_"))
    return create_model(f"{camel}Args", __doc__=exposure.description, **fields)


def _not_none(annotation: Any) -> Any:
    args = getattr(annotation, "__args__", None)
    if args and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def customer_tools(
    registry: Registry, exposed: Mapping[str, Exposure] = EXPOSED
) -> list[AgentTool]:
    """The curated customer-safe tools present in this registry, in the table's order.

    A tool in the table that is not customer-safe is not offered (its roles are the permission
    table, not this list).
    """
    out = []
    for name, exposure in exposed.items():
        if name not in registry:
            continue
        t = registry.get(name)
        if not t.customer_safe:
            continue
        out.append(AgentTool(t, exposure, args_model(t, exposure)))
    return out


# Arguments no agent chooses: handles set by code (a retry key), never offered to a model.
HIDDEN_FIELDS = frozenset({"idempotency_key"})


def role_tools(
    registry: Registry, role: Role, *, skip: Callable[[Tool[Any, Any]], bool]
) -> list[AgentTool]:
    """Every registry tool ``role`` may use (the registry's roles are the permission table), as
    the staff agent offers them: the tool's own description and input fields, minus handles
    set by code and the tools ``skip`` leaves out (e.g. file uploads)."""
    out = []
    for t in registry.for_role(role):
        if skip(t):
            continue
        exposure = Exposure(
            " ".join(t.description.split()),
            tuple(f for f in t.input_model.model_fields if f not in HIDDEN_FIELDS),
        )
        out.append(AgentTool(t, exposure, args_model(t, exposure)))
    return out


class HandoffArgs(BaseModel):
    """Hand the conversation to a person from the shop."""

    reason: str = Field(default="", max_length=300, description="What the customer needs")


LOCAL_HANDOFF_DESCRIPTION = EXPOSED[HANDOFF_TOOL].description


# ----------------------------------------------------------------------- the definitions sent

# Validation keywords the model need not read: every call is validated in full by the offered
# model and again by the registry's (errors go back to the model), so stating the limits in
# every request only costs tokens.
_UNREAD = frozenset(
    {
        "title",
        "maxLength",
        "minLength",
        "maxItems",
        "minItems",
        "maximum",
        "minimum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "pattern",
    }
)


def slim_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema as the model reads it: references inlined, validation limits and
    empty defaults dropped, ``X | None`` shown as ``X`` (null means "not given")."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(n) for n in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
        options = node.get("anyOf")
        if isinstance(options, list):
            rest = [o for o in options if o != {"type": "null"}]
            if len(rest) == 1:
                merged = {**{k: v for k, v in node.items() if k != "anyOf"}, **rest[0]}
                return walk(merged)
        out = {}
        for key, value in node.items():
            if key in _UNREAD or key == "$defs":
                continue
            if key == "default" or (key == "description" and not value):
                continue  # an omitted argument takes its default anyway
            out[key] = (
                walk(value) if key != "properties" else {k: walk(v) for k, v in value.items()}
            )
        return out

    slim: dict[str, Any] = walk(schema)
    return slim


def openai_tool(name: str, description: str, model: type[BaseModel]) -> dict[str, Any]:
    """One tool definition in OpenAI's function format, as LangChain's
    ``convert_to_openai_tool`` writes it, with the slim schema: every model call pays for the
    definitions, and the call is validated in full anyway (``AgentTool.validate``)."""
    schema = slim_schema(model.model_json_schema())
    parameters = {k: v for k, v in schema.items() if k not in ("title", "description")}
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


def tool_definitions(agent_tools: list[AgentTool], *, local_handoff: bool) -> list[dict[str, Any]]:
    """What the model is offered, in the order given; built once per agent and sent unchanged
    with every call. ``local_handoff``: the agent's own handoff tool is offered too."""
    out = [openai_tool(at.name, at.exposure.description, at.args_model) for at in agent_tools]
    if local_handoff:
        out.append(openai_tool(LOCAL_HANDOFF_TOOL, LOCAL_HANDOFF_DESCRIPTION, HandoffArgs))
    return out


def schema_chars(definitions: list[dict[str, Any]]) -> int:
    """Characters of the tool definitions as sent to the model."""
    return sum(len(json.dumps(d, ensure_ascii=False)) for d in definitions)


def validation_message(exc: ValidationError) -> dict[str, Any]:
    """Pydantic's error as the runner reports it (code, message, field), for the model."""
    from tools.runner import validation_error

    return validation_error(exc).to_dict()

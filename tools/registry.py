"""The tool registry: each domain operation once, with its schema, roles and description.

Agents, the staff chat, the CLI and the HTTP API are generated from this; none of them
implements an operation itself. The roles on each tool are the one permission table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from core.errors import NotFound
from core.roles import STAFF_ROLES, Role

if TYPE_CHECKING:
    from tools.context import ToolContext
    from tools.pending import Prepared

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out", bound=BaseModel)

# Role groups used in tool declarations (owner is in every staff group).
STAFF = STAFF_ROLES
MANAGERS = frozenset({Role.OWNER, Role.MANAGER})
SALES = frozenset({Role.OWNER, Role.MANAGER, Role.SALES})
WAREHOUSE = frozenset({Role.OWNER, Role.MANAGER, Role.WAREHOUSE})
ACCOUNTING = frozenset({Role.OWNER, Role.MANAGER, Role.ACCOUNTANT})
CUSTOMER = frozenset({Role.CUSTOMER})


def role_allowed(role: Role, roles: frozenset[Role]) -> bool:
    """The permission rule: the system (jobs, webhooks, the CLI's default) may do anything."""
    return role is Role.SYSTEM or role in roles


@dataclasses.dataclass(frozen=True)
class Tool(Generic[In, Out]):
    name: str
    description: str
    input_model: type[In]
    output_model: type[Out]
    roles: frozenset[Role]
    fn: Callable[[ToolContext, In], Awaitable[Out]]
    write: bool = True
    # Set for tools that move stock or money on someone's behalf: called by an agent (LLM or
    # button flow), the tool does not run; this builds the confirmation card and the exact
    # arguments that run once the same person confirms it (tools/pending.py).
    confirm: Callable[[ToolContext, In], Awaitable[Prepared]] | None = None

    @property
    def needs_confirmation(self) -> bool:
        return self.confirm is not None

    def allows(self, role: Role) -> bool:
        return role_allowed(role, self.roles)

    @property
    def customer_safe(self) -> bool:
        return Role.CUSTOMER in self.roles

    def input_schema(self) -> dict[str, Any]:
        return self.input_model.model_json_schema()

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "roles": sorted(r.value for r in self.roles),
            "write": self.write,
            "needs_confirmation": self.needs_confirmation,
            "input_schema": self.input_schema(),
        }


def tool(
    *,
    name: str,
    description: str,
    roles: Iterable[Role],
    write: bool = True,
    confirm: Callable[[ToolContext, Any], Awaitable[Prepared]] | None = None,
) -> Callable[[Callable[[ToolContext, In], Awaitable[Out]]], Tool[In, Out]]:
    """Declares a tool; input and output models come from the function's annotations.
    ``confirm``: the card builder of a tool an agent may only propose (see Tool.confirm)."""

    def wrap(fn: Callable[[ToolContext, In], Awaitable[Out]]) -> Tool[In, Out]:
        hints = fn.__annotations__
        params = [k for k in hints if k != "return"]
        input_model = _resolve(fn, hints[params[-1]])
        output_model = _resolve(fn, hints["return"])
        return Tool(
            name=name,
            description=" ".join(description.split()),
            input_model=input_model,
            output_model=output_model,
            roles=frozenset(roles),
            fn=fn,
            write=write,
            confirm=confirm,
        )

    return wrap


def _resolve(fn: Callable[..., Any], hint: Any) -> Any:
    if isinstance(hint, str):
        import sys

        return eval(hint, vars(sys.modules[fn.__module__]))
    return hint


class Registry:
    def __init__(self, tools: Iterable[Tool[Any, Any]] = ()) -> None:
        self._tools: dict[str, Tool[Any, Any]] = {}
        for t in tools:
            self.add(t)

    def add(self, t: Tool[Any, Any]) -> None:
        if t.name in self._tools:
            raise ValueError(f"tool {t.name} registered twice")
        self._tools[t.name] = t

    def get(self, name: str) -> Tool[Any, Any]:
        found = self._tools.get(name)
        if found is None:
            raise NotFound(f"There is no tool named '{name}'.", code="unknown_tool", field="name")
        return found

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def all(self) -> list[Tool[Any, Any]]:
        return sorted(self._tools.values(), key=lambda t: t.name)

    def for_role(self, role: Role) -> list[Tool[Any, Any]]:
        return [t for t in self.all() if t.allows(role)]

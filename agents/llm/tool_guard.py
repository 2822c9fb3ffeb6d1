"""What stands between a model's tool call and the shop: nothing the model asks for runs
unless it was offered, with arguments that validate, as the turn's actor.

* tool names that are not offered never run; a staff tool is passed to the runner, which
  refuses it for a customer and audits the attempt;
* arguments are validated against the offered model and the registry's (``AgentTool.validate``);
* calls whose arguments were not JSON (``repair_invalid_tool_calls``) are answered with an
  error, so the model can try again instead of the turn dying;
* any refusal, and any failure of the shop's side, goes back to the model as an error tool
  message with code, message and field, never as an exception out of the turn.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from langchain_core.messages import AIMessage, ToolCall, ToolMessage
from pydantic import ValidationError

from agents.llm.toolset import LOCAL_HANDOFF_TOOL, AgentTool, HandoffArgs, validation_message
from agents.llm.turn import ToolExecutor, TurnDeps, error_content
from core.errors import DomainError, NotFound, PermissionDenied
from tools.registry import Registry

log = logging.getLogger("shopbot.agents.llm")

INTERNAL_ERROR = {
    "code": "internal_error",
    "field": None,
    "message": "The shop system failed on this request. Apologise and offer to hand the "
    "conversation to a person.",
}


def repair_invalid_tool_calls(answer: AIMessage, deps: TurnDeps) -> AIMessage:
    """Tool calls with unparseable arguments become calls the guard answers with an error."""
    if not answer.invalid_tool_calls:
        return answer
    calls = list(answer.tool_calls)
    for bad in answer.invalid_tool_calls:
        call_id = bad.get("id") or f"call_{secrets.token_hex(6)}"
        deps.invalid_call_ids[call_id] = str(bad.get("error") or "not valid JSON")
        calls.append(
            {
                "name": bad.get("name") or "invalid_call",
                "args": {},
                "id": call_id,
                "type": "tool_call",
            }
        )
    return answer.model_copy(update={"tool_calls": calls, "invalid_tool_calls": []})


class ToolGuard:
    def __init__(
        self,
        offered: list[AgentTool],
        executor: ToolExecutor,
        registry: Registry,
        *,
        local_handoff: bool = False,
    ) -> None:
        """``local_handoff``: the agent's own handoff tool is offered (the registry has none)."""
        self.offered = {at.name: at for at in offered}
        self.executor = executor
        self.registry = registry
        self.local_handoff = local_handoff

    async def run(self, call: ToolCall, deps: TurnDeps) -> ToolMessage:
        """The tool message answering ``call``: the tool's result, or an error for the model."""
        name, call_id, args = call["name"], call["id"] or "", dict(call.get("args") or {})
        if call_id in deps.invalid_call_ids:
            return self._error(
                deps,
                name,
                call_id,
                {
                    "code": "invalid_json",
                    "field": None,
                    "message": "The arguments were not valid JSON "
                    f"({deps.invalid_call_ids[call_id]}). Send a JSON object matching the "
                    "tool's schema.",
                },
            )
        at = self.offered.get(name)
        try:
            if name == LOCAL_HANDOFF_TOOL and self.local_handoff:
                reason = HandoffArgs.model_validate(args).reason
                content = await self.executor.local_handoff({"reason": reason}, deps)
                return ToolMessage(content=content, name=name, tool_call_id=call_id)
            if at is None:
                return self._error(
                    deps, name, call_id, await self._refuse_unoffered(name, args, deps)
                )
            parsed = self.executor.parse(at, args, deps)
        except ValidationError as exc:
            return self._error(deps, name, call_id, validation_message(exc))
        except DomainError as exc:
            return self._error(deps, name, call_id, exc.to_dict())
        try:
            content = await self.executor.run(at, parsed, deps)
        except DomainError as exc:
            return self._error(deps, name, call_id, exc.to_dict())
        except Exception:  # the shop's failure (the arguments were checked above)
            log.exception("agent tool %s failed", name)
            return self._error(deps, name, call_id, INTERNAL_ERROR)
        return ToolMessage(content=content, name=name, tool_call_id=call_id)

    async def _refuse_unoffered(
        self, name: str, args: dict[str, Any], deps: TurnDeps
    ) -> dict[str, Any]:
        """A tool the model was not given never runs. A tool the actor's role may not use (a
        staff tool for a customer, a refund for the warehouse) goes to the runner, whose role
        check refuses it and writes the attempt to the audit log."""
        if name not in self.registry or self.registry.get(name).allows(deps.actor.role):
            return NotFound(
                f"There is no tool named '{name}'.", code="unknown_tool", field="name"
            ).to_dict()
        try:
            await self.executor.runner.call(name, args, deps.actor, surface=self.executor.surface)
        except DomainError as exc:
            return exc.to_dict()
        log.error("the runner let %s run %s, which its role may not use", deps.actor.label, name)
        return PermissionDenied(f"You may not use {name}.").to_dict()

    @staticmethod
    def _error(deps: TurnDeps, name: str, call_id: str, error: dict[str, Any]) -> ToolMessage:
        deps.executed.append((name, False))
        return ToolMessage(
            content=error_content(error), name=name, tool_call_id=call_id, status="error"
        )

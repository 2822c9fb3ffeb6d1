"""The audit log, read back: who called which tool, from where, and how it ended."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from storage import audit
from tools.context import ToolContext
from tools.registry import MANAGERS, tool


class AuditIn(BaseModel):
    limit: int = Field(default=20, ge=1, le=200)


class AuditRow(BaseModel):
    id: int
    at: datetime
    actor: str
    role: str
    tool: str
    surface: str
    outcome: str


class AuditOut(BaseModel):
    entries: list[AuditRow]


@tool(
    name="list_audit_log",
    description="The latest tool calls, newest first: who, which tool, from where, outcome.",
    roles=MANAGERS,
    write=False,
)
async def list_audit_log(ctx: ToolContext, inp: AuditIn) -> AuditOut:
    return AuditOut(
        entries=[
            AuditRow.model_validate(r, from_attributes=True)
            for r in await audit.latest(ctx.tx, inp.limit)
        ]
    )

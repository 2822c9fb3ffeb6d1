"""Warehouses: where stock is kept."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.errors import Conflict, InvalidInput
from core.phone import normalise_phone
from storage import warehouses
from storage.models import Warehouse
from tools.context import ToolContext
from tools.registry import MANAGERS, STAFF, tool
from tools.stock_ops import ensure_levels

WarehouseKind = Literal["main", "sub", "branch"]


class WarehouseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    address: str
    manager: str
    phone: str | None
    kind: WarehouseKind
    active: bool


class CreateWarehouseIn(BaseModel):
    code: str = Field(min_length=1, max_length=32, description="Short unique code, e.g. HCM1")
    name: str = Field(min_length=1, max_length=200)
    address: str = ""
    manager: str = Field(default="", max_length=200, description="Person in charge")
    phone: str | None = Field(default=None, max_length=20)
    kind: WarehouseKind = "main"


@tool(
    name="create_warehouse",
    description="Create a warehouse (main, sub or branch) where stock is kept.",
    roles=MANAGERS,
)
async def create_warehouse(ctx: ToolContext, inp: CreateWarehouseIn) -> WarehouseOut:
    code = inp.code.strip().upper()
    if not code:
        raise InvalidInput("The warehouse needs a code.", field="code")
    if not inp.name.strip():
        raise InvalidInput("The warehouse needs a name.", field="name")
    phone = normalise_phone(inp.phone) if inp.phone and inp.phone.strip() else None
    if await warehouses.code_taken(ctx.tx, code):
        raise Conflict(
            f"Warehouse code {code} is already used.", field="code", code="duplicate_code"
        )
    wh = Warehouse(
        code=code,
        name=inp.name.strip(),
        address=inp.address,
        manager=inp.manager,
        phone=phone,
        kind=inp.kind,
        active=True,
        created_at=ctx.now,
    )
    await warehouses.add(ctx.tx, wh)
    await ensure_levels(ctx, await warehouses.all_variant_ids(ctx.tx), [wh.id])
    return WarehouseOut.model_validate(wh)


class ListWarehousesIn(BaseModel):
    include_inactive: bool = False


class WarehouseSummary(WarehouseOut):
    on_hand: int
    reserved: int


class ListWarehousesOut(BaseModel):
    warehouses: list[WarehouseSummary]


@tool(
    name="list_warehouses",
    description="List warehouses with their total units on hand and reserved.",
    roles=STAFF,
    write=False,
)
async def list_warehouses(ctx: ToolContext, inp: ListWarehousesIn) -> ListWarehousesOut:
    rows = await warehouses.with_totals(ctx.tx, include_inactive=inp.include_inactive)
    return ListWarehousesOut(
        warehouses=[
            WarehouseSummary(**WarehouseOut.model_validate(w).model_dump(), on_hand=oh, reserved=rs)
            for w, oh, rs in rows
        ]
    )

"""Small read helpers shared by the tool modules."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select

from storage.base import Base
from tools.context import ToolContext

M = TypeVar("M", bound=Base)


async def children(ctx: ToolContext, model: type[M], parent: Any, parent_id: int) -> list[M]:
    """The rows of ``model`` whose ``parent`` column is ``parent_id``, in insertion order
    (order lines, purchase order lines, stocktake lines...)."""
    pk: Any = model.__table__.c.id  # type: ignore[attr-defined]
    result = await ctx.session.execute(select(model).where(parent == parent_id).order_by(pk))
    return list(result.scalars())

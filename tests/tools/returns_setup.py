"""What the return tests share: a customer of their own and an order line by SKU."""

from __future__ import annotations

from typing import Any

from storage.database import Database
from storage.models import (
    Customer,
)
from tests.factories import (
    in_tx,
)
from tools.context import ToolContext


async def new_customer(db: Database, name: str) -> int:
    async def run(ctx: ToolContext) -> int:
        c = Customer(name=name, language="vi", note="", created_at=ctx.now)
        ctx.tx.session.add(c)
        await ctx.tx.session.flush()
        return c.id

    return await in_tx(db, run)


def line_id(order: dict[str, Any], sku: str) -> int:
    [ln] = [ln for ln in order["lines"] if ln["sku"] == sku]
    return int(ln["id"])

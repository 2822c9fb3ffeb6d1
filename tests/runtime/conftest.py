"""An HTTP shop (tests/test_http.py's ``Shop``) with two warehouses and make_product's default
product, for the runtime tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from storage.database import Database
from storage.models import AuditEntry
from tests.conftest import Caller
from tests.factories import make_product, make_warehouses
from tests.test_http import Shop, make_shop
from tools.registry import Registry
from tools.runner import ToolRunner


async def seeded_shop(db: Database, db_url: str, registry: Registry) -> AsyncIterator[Shop]:
    async for shop in make_shop(db, db_url, registry):
        caller = Caller(ToolRunner(db, registry))
        await make_warehouses(caller)
        await make_product(caller)
        yield shop


@pytest.fixture
async def stocked(db: Database, db_url: str, registry: Registry) -> AsyncIterator[Shop]:
    async for shop in seeded_shop(db, db_url, registry):
        yield shop


async def audit_of(db: Database, tool: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(outcome, role, args) of the tool's audit rows, oldest first."""
    async with db.transaction(write=False) as tx:
        rows = await tx.session.execute(
            select(AuditEntry.outcome, AuditEntry.role, AuditEntry.args)
            .where(AuditEntry.tool == tool)
            .order_by(AuditEntry.id)
        )
        return [(str(o), str(r), dict(a)) for o, r, a in rows]

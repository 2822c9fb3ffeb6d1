"""What the tool runner does for every tool, whatever the tool."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.errors import InvalidInput
from storage.database import Database
from storage.models import AuditEntry
from tests.conftest import OWNER, Caller
from tests.factories import make_product, make_warehouses

HUGE = 2**70


@pytest.mark.parametrize(
    ("tool", "args", "field"),
    [
        ("get_product", {"product_id": HUGE}, "product_id"),
        ("get_product", {"product_id": str(HUGE)}, "product_id"),  # a number in a string too
    ],
)
async def test_a_number_beyond_64_bits_is_refused_naming_its_field(
    shop: Caller, db: Database, tool: str, args: dict[str, object], field: str
) -> None:
    await make_warehouses(shop)
    await make_product(shop, "AT01", "Áo thun")
    with pytest.raises(InvalidInput) as exc:
        await shop(tool, OWNER, **args)
    assert (exc.value.code, exc.value.field) == ("out_of_range", field)
    async with db.transaction(write=False) as tx:
        outcome = await tx.session.scalar(
            select(AuditEntry.outcome)
            .where(AuditEntry.tool == tool)
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
    assert outcome == "out_of_range"


async def test_a_nested_number_is_named_by_its_path(shop: Caller) -> None:
    await make_warehouses(shop)
    await make_product(shop, "AT01", "Áo thun")
    with pytest.raises(InvalidInput) as exc:
        await shop(
            "quote_order",
            OWNER,
            lines=[{"sku": "AT01-DEN-M", "quantity": 1}, {"sku": "AT01-DEN-M", "quantity": HUGE}],
        )
    assert exc.value.field == "lines.1.quantity"

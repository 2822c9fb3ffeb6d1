"""Driver errors are mapped in one place (storage/errors.py): real errors from real drivers."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.errors import Conflict, InvalidInput
from storage.database import Database
from storage.errors import classify


async def raised(db: Database, statement: str) -> BaseException:
    with pytest.raises(Exception) as info:  # the driver's own class: what is mapped
        async with db.transaction() as tx:
            await tx.session.execute(text(statement))
    return info.value


async def test_a_duplicate_is_a_retryable_conflict_that_names_no_table(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.session.execute(
            text(
                "INSERT INTO warehouses (code, name, kind, address, manager, active, created_at) "
                "VALUES ('HCM', 'x', 'main', '', '', true, CURRENT_TIMESTAMP)"
            )
        )
    exc = await raised(
        db,
        "INSERT INTO warehouses (code, name, kind, address, manager, active, created_at) "
        "VALUES ('HCM', 'y', 'main', '', '', true, CURRENT_TIMESTAMP)",
    )
    mapped = classify(exc)
    assert mapped is not None
    assert mapped.retryable
    err = mapped.domain_error()
    assert isinstance(err, Conflict)
    assert err.code == "duplicate"
    assert "warehouses" not in str(err.to_dict())


async def test_a_number_out_of_range_is_invalid_input(db: Database, backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite integers are 64-bit and the runner refuses larger ones first")
    exc = await raised(db, "SELECT CAST(2147483648 AS integer)")
    mapped = classify(exc)
    assert mapped is not None
    assert not mapped.retryable
    err = mapped.domain_error()
    assert isinstance(err, InvalidInput)
    assert err.code == "out_of_range"


async def test_a_foreign_key_failure_names_no_table_or_constraint(db: Database) -> None:
    exc = await raised(
        db,
        "INSERT INTO stock_levels (variant_id, warehouse_id, on_hand, reserved) "
        "VALUES (999999, 999999, 0, 0)",
    )
    mapped = classify(exc)
    assert mapped is not None
    err = mapped.domain_error()
    assert err.code == "invalid_reference"
    assert "stock_levels" not in str(err.to_dict())
    assert "fk_" not in str(err.to_dict())


def test_errors_of_our_own_code_are_not_driver_errors() -> None:
    assert classify(ValueError("x")) is None

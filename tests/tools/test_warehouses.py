from __future__ import annotations

import pytest

from core.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from core.roles import Actor, Role
from tests.conftest import Caller


async def test_create_and_list_warehouses(shop: Caller) -> None:
    made = await shop("create_warehouse", code="hcm1", name="Kho Quận 7", kind="main")
    assert made["code"] == "HCM1"
    await shop("create_warehouse", code="HN1", name="Kho Cầu Giấy", kind="branch")
    listed = await shop("list_warehouses")
    assert [w["code"] for w in listed["warehouses"]] == ["HCM1", "HN1"]
    assert listed["warehouses"][0]["on_hand"] == 0


async def test_duplicate_code_is_refused(shop: Caller) -> None:
    await shop("create_warehouse", code="HCM1", name="A")
    with pytest.raises(Conflict) as err:
        await shop("create_warehouse", code="hcm1", name="B")
    assert err.value.field == "code"


async def test_blank_code_or_name_is_refused(shop: Caller) -> None:
    with pytest.raises(InvalidInput) as err:
        await shop("create_warehouse", code="   ", name="Kho")
    assert err.value.field == "code"
    with pytest.raises(InvalidInput) as err:
        await shop("create_warehouse", code="HCM", name="  ")
    assert err.value.field == "name"
    assert (await shop("list_warehouses"))["warehouses"] == []


async def test_bad_kind_names_the_field(shop: Caller) -> None:
    with pytest.raises(InvalidInput) as err:
        await shop("create_warehouse", code="X", name="X", kind="garage")
    assert err.value.field == "kind"


async def test_too_long_phone_or_manager_is_refused_naming_the_field(shop: Caller) -> None:
    with pytest.raises(InvalidInput) as err:
        await shop("create_warehouse", code="X", name="X", phone="0912 345 678 (anh Nam, kho)")
    assert err.value.field == "phone"
    with pytest.raises(InvalidInput) as err:
        await shop("create_warehouse", code="X", name="X", manager="Nguyễn Văn A " * 20)
    assert err.value.field == "manager"
    assert (await shop("list_warehouses"))["warehouses"] == []


async def test_warehouse_role_cannot_create_warehouses(shop: Caller) -> None:
    with pytest.raises(PermissionDenied):
        await shop("create_warehouse", Actor(role=Role.WAREHOUSE), code="X", name="X")


async def test_audit_keeps_sizes_of_uploads_not_their_bytes(shop: Caller, runner: object) -> None:
    import base64

    from sqlalchemy import select

    from storage.models import AuditEntry
    from tools.runner import ToolRunner

    assert isinstance(runner, ToolRunner)
    blob = base64.b64encode(b"sku;name\n" + b"x" * 5000).decode()
    with pytest.raises(DomainError):  # the file is bad; the audit row is the point
        await shop("import_catalog", filename="a.csv", content_base64=blob)
    async with runner.db.transaction(write=False) as tx:
        args = (
            await tx.session.execute(
                select(AuditEntry.args).where(AuditEntry.tool == "import_catalog")
            )
        ).scalar_one()
    assert args["content_base64"] == f"<{len(blob)} characters>"
    assert args["filename"] == "a.csv"

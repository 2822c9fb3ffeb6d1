"""Smaller edges: phones are phones, references are unambiguous, database refusals speak the
domain's words (no schema names), and an unmigrated database says how to fix it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from pydantic import BaseModel
from sqlalchemy import insert
from typer.testing import CliRunner

from bot.cli import app as cli_app
from bot.container import Container, load_settings
from bot.http.app import create_app
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.roles import Actor
from storage.database import Database
from storage.models import CustomerPhone
from tests.conftest import SYSTEM, Caller
from tests.factories import make_order, make_stocked_shop
from tools import build_registry
from tools.context import ToolContext
from tools.registry import MANAGERS, Registry, tool
from tools.runner import ToolRunner


async def test_a_warehouse_phone_must_be_a_phone(shop: Caller) -> None:
    with pytest.raises(InvalidInput) as bad:
        await shop("create_warehouse", code="HCM", name="Kho", phone="abc-xyz")
    assert (bad.value.field, bad.value.code) == ("phone", "invalid_phone")
    made = await shop("create_warehouse", code="HCM", name="Kho", phone="0912 345 678")
    assert made["phone"] == "+84912345678"


async def test_a_customer_may_not_name_another_customer(shop: Caller) -> None:
    an = await shop("create_customer", name="An", phones=["0912345678"])
    binh = await shop("create_customer", name="Bình", phones=["0987654321"])
    me = Actor.customer(an["id"])
    with pytest.raises(PermissionDenied) as refused:
        await shop("update_customer", me, customer_id=binh["id"], name="Đổi tên")
    assert refused.value.field == "customer_id"
    assert (await shop("get_customer", customer_id=an["id"]))["name"] == "An"
    assert (await shop("get_customer", customer_id=binh["id"]))["name"] == "Bình"
    renamed = await shop("update_customer", me, customer_id=an["id"], name="An Nguyễn")
    assert renamed["name"] == "An Nguyễn"


async def test_an_order_is_named_by_id_or_number_never_both(shop: Caller) -> None:
    await make_stocked_shop(shop)
    first = await make_order(shop, {"AT01-DEN-M": 1})
    second = await make_order(shop, {"AT01-DEN-M": 1})
    for name in ("get_order", "confirm_order", "cancel_order", "update_order"):
        with pytest.raises(InvalidInput) as both:
            await shop(name, order_id=first["id"], number=second["number"])
        assert (both.value.code, both.value.field) == ("ambiguous_order", "number"), name
    with pytest.raises(InvalidInput) as both:
        await shop(
            "create_return",
            order_id=first["id"],
            order_number=first["number"],
            lines=[{"sku": "AT01-DEN-M", "quantity": 1}],
            reason="Sai size",
        )
    assert both.value.code == "ambiguous_order"
    assert (await shop("get_order", number=second["number"]))["id"] == second["id"]
    assert (await shop("get_order", order_id=first["id"]))["id"] == first["id"]


class PhoneIn(BaseModel):
    customer_id: int


class PhoneOut(BaseModel):
    ok: bool


@tool(name="attach_phone", description="test: writes a row the schema refuses", roles=MANAGERS)
async def attach_phone(ctx: ToolContext, inp: PhoneIn) -> PhoneOut:
    await ctx.tx.session.execute(
        insert(CustomerPhone).values(customer_id=inp.customer_id, phone="+84912345678")
    )
    return PhoneOut(ok=True)


async def test_a_constraint_failure_is_a_clean_refusal_without_schema_names(db: Database) -> None:
    runner = ToolRunner(db, Registry([*build_registry().all(), attach_phone]))
    with pytest.raises(Conflict) as refused:
        await runner.call("attach_phone", {"customer_id": 999}, SYSTEM)
    said = json.dumps(refused.value.to_dict()).lower()
    assert refused.value.code == "invalid_reference"
    for schema_word in ("customer_phones", "customers", "foreign key", "fk_", "constraint"):
        assert schema_word not in said


def test_the_cli_on_a_database_never_migrated_says_to_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(
        cli_app, ["tool", "call", "list_warehouses"], env={"SHOPBOT_DATABASE_URL": url}
    )
    assert result.exit_code == 2, result.output
    err = json.loads(result.stdout)["error"]
    assert err["code"] == "database_not_migrated"
    assert "shopbot db upgrade" in err["message"]


async def test_the_api_on_a_database_never_migrated_says_to_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    container = Container.create(load_settings(database_url=url, _env_file=None))
    transport = httpx.ASGITransport(app=create_app(container), raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
            resp = await client.post(
                "/api/tools/list_warehouses", headers={"Authorization": "Bearer sb_" + "x" * 40}
            )
    finally:
        await container.aclose()
    assert resp.status_code == 503
    err = resp.json()["error"]
    assert err["code"] == "database_not_migrated"
    assert "shopbot db upgrade" in err["message"]

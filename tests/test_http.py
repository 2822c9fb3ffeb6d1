"""The HTTP API against a migrated database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import select

from bot.container import Container, load_settings
from bot.http.app import create_app
from bot.settings import SettingsError
from core.roles import Actor, Role
from storage.database import Database
from storage.models import AuditEntry
from tools.context import ToolContext
from tools.registry import MANAGERS, Registry, tool


class Shop:
    """An app on the test database plus keys for an owner and a warehouse clerk."""

    def __init__(
        self, container: Container, client: httpx.AsyncClient, app: FastAPI | None = None
    ) -> None:
        self.container = container
        self.client = client
        self.app = app
        self.keys: dict[str, str] = {}

    async def add_staff(self, name: str, role: str) -> str:
        system = Actor.system()
        await self.container.runner.call("add_staff", {"name": name, "role": role}, system)
        made = await self.container.runner.call("create_api_key", {"staff_name": name}, system)
        key: str = made.api_key  # type: ignore[attr-defined]
        self.keys[role] = key
        return key

    async def post(
        self,
        tool_name: str,
        body: Any = None,
        *,
        role: str | None = "owner",
        key: str | None = None,
    ) -> httpx.Response:
        headers = {}
        if key is None and role is not None:
            key = self.keys[role]
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        if body is None:
            return await self.client.post(f"/api/tools/{tool_name}", headers=headers)
        return await self.client.post(f"/api/tools/{tool_name}", json=body, headers=headers)


async def make_shop(db: Database, db_url: str, registry: Registry) -> AsyncIterator[Shop]:
    settings = load_settings(database_url=db_url, _env_file=None)
    container = Container.create(settings, db=db, registry=registry)
    app = create_app(container)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
        shop = Shop(container, client, app)
        await shop.add_staff("Hạnh", "owner")
        await shop.add_staff("Bảo", "warehouse")
        yield shop


@pytest.fixture
async def api(db: Database, db_url: str, registry: Registry) -> AsyncIterator[Shop]:
    async for shop in make_shop(db, db_url, registry):
        yield shop


def error(resp: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = resp.json()
    assert set(body) == {"error"}
    err: dict[str, Any] = body["error"]
    assert {"code", "message", "field"} <= set(err)
    return err


# --- health and docs ---------------------------------------------------------------------------


async def test_healthz(api: Shop, backend: str) -> None:
    resp = await api.client.get("/healthz")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ok"
    assert body["version"]
    assert body["database"] == ("sqlite" if backend == "sqlite" else "postgresql")


async def test_healthz_reports_an_unreachable_database(api: Shop) -> None:
    broken = Database("postgresql://nobody:hunter2@127.0.0.1:1/nowhere")
    real, api.container.db = api.container.db, broken
    try:
        resp = await api.client.get("/healthz")
    finally:
        api.container.db = real
        await broken.dispose()
    assert resp.status_code == 503
    assert resp.json()["status"] == "unavailable"
    assert "hunter2" not in resp.text


async def test_openapi_has_a_typed_route_per_tool(api: Shop) -> None:
    spec = (await api.client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    for t in api.container.registry.all():
        op = spec["paths"][f"/api/tools/{t.name}"]["post"]
        assert op["operationId"] == t.name
        ok = op["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok["$ref"].rsplit("/", 1)[-1] in schemas
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
        required = t.input_model.model_json_schema().get("required")
        if required:
            ref = body["schema"]["$ref"].rsplit("/", 1)[-1]
            assert set(schemas[ref]["required"]) == set(required)
        assert {"401", "403", "422"} <= set(op["responses"])
    assert "/api/tools/{name}" not in spec["paths"]
    home = await api.client.get("/")  # the customer web chat (bot/web); the API docs stay below
    assert home.status_code == 200
    assert "/chat/static/chat.js" in home.text
    docs = await api.client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


# --- authentication and roles ------------------------------------------------------------------


async def test_missing_key_is_401(api: Shop) -> None:
    resp = await api.post("list_warehouses", role=None)
    assert resp.status_code == 401
    assert error(resp)["code"] == "invalid_api_key"
    assert resp.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("key", ["sb_wrong", "wrong", "sb_" + "A" * 43])
async def test_bad_key_is_401(api: Shop, key: str) -> None:
    resp = await api.post("list_warehouses", key=key)
    assert resp.status_code == 401
    assert error(resp)["code"] == "invalid_api_key"


async def test_authentication_comes_before_validation(api: Shop) -> None:
    resp = await api.post("create_warehouse", {"kind": "garage"}, role=None)
    assert resp.status_code == 401


async def test_revoked_key_is_401(api: Shop) -> None:
    key = api.keys["warehouse"]
    assert (await api.post("list_warehouses", role="warehouse")).status_code == 200
    resp = await api.post("revoke_api_key", {"prefix": key[:11]})
    assert resp.status_code == 200, resp.text
    assert (await api.post("list_warehouses", role="warehouse")).status_code == 401


async def test_role_denied_is_403(api: Shop) -> None:
    resp = await api.post("create_warehouse", {"code": "X", "name": "X"}, role="warehouse")
    assert resp.status_code == 403
    assert error(resp)["code"] == "permission_denied"
    assert error(resp)["message"] == "The warehouse role may not use create_warehouse."


async def test_tool_list_follows_the_role(api: Shop) -> None:
    resp = await api.client.get(
        "/api/tools", headers={"Authorization": f"Bearer {api.keys['warehouse']}"}
    )
    assert resp.status_code == 200
    names = [t["name"] for t in resp.json()["tools"]]
    assert names == [t.name for t in api.container.registry.for_role(Role.WAREHOUSE)]
    assert "list_warehouses" in names
    assert "create_warehouse" not in names
    assert "add_staff" not in names
    owner = await api.client.get(
        "/api/tools", headers={"Authorization": f"Bearer {api.keys['owner']}"}
    )
    assert "add_staff" in [t["name"] for t in owner.json()["tools"]]
    assert (await api.client.get("/api/tools")).status_code == 401


# --- calls -------------------------------------------------------------------------------------


async def test_success_is_200_and_audited_as_http(api: Shop, db: Database) -> None:
    resp = await api.post("create_warehouse", {"code": "hcm", "name": "Kho Quận 7"})
    assert resp.status_code == 200
    assert resp.json()["code"] == "HCM"
    listed = await api.post("list_warehouses", role="warehouse")  # no body: all defaults
    assert listed.status_code == 200
    assert [w["name"] for w in listed.json()["warehouses"]] == ["Kho Quận 7"]
    async with db.transaction(write=False) as tx:
        rows = (
            (
                await tx.session.execute(
                    select(AuditEntry).where(AuditEntry.tool == "create_warehouse")
                )
            )
            .scalars()
            .all()
        )
    assert [(r.surface, r.role, r.outcome) for r in rows] == [("http", "owner", "ok")]
    assert rows[0].actor.startswith("owner:")


@pytest.mark.parametrize(
    ("body", "field"),
    [({"code": "X", "name": "X", "kind": "garage"}, "kind"), ({"code": "X"}, "name")],
)
async def test_invalid_input_is_422_with_the_field(api: Shop, body: Any, field: str) -> None:
    resp = await api.post("create_warehouse", body)
    assert resp.status_code == 422
    err = error(resp)
    assert (err["code"], err["field"]) == ("invalid_input", field)
    assert err["message"].startswith(f"{field}: ")


async def test_malformed_json_is_422(api: Shop) -> None:
    resp = await api.client.post(
        "/api/tools/create_warehouse",
        content=b'{"code": ',
        headers={
            "Authorization": f"Bearer {api.keys['owner']}",
            "content-type": "application/json",
        },
    )
    assert resp.status_code == 422
    assert error(resp)["code"] == "invalid_input"


async def test_unknown_sku_is_404_with_the_field(api: Shop) -> None:
    resp = await api.post(
        "create_order", {"buyer_name": "An", "lines": [{"sku": "NOPE", "quantity": 1}]}
    )
    assert resp.status_code == 404
    assert (error(resp)["code"], error(resp)["field"]) == ("unknown_sku", "lines.0.sku")


async def test_conflict_is_409(api: Shop) -> None:
    body = {"code": "HN", "name": "Kho Cầu Giấy"}
    assert (await api.post("create_warehouse", body)).status_code == 200
    resp = await api.post("create_warehouse", body)
    assert resp.status_code == 409
    assert (error(resp)["code"], error(resp)["field"]) == ("duplicate_code", "code")


async def test_unknown_tool_is_404_after_auth(api: Shop) -> None:
    resp = await api.post("make_coffee", {})
    assert resp.status_code == 404
    assert error(resp)["code"] == "unknown_tool"
    assert (await api.post("make_coffee", {}, role=None)).status_code == 401


class BoomIn(BaseModel):
    pass


class BoomOut(BaseModel):
    ok: bool


@tool(name="boom", description="Fails unexpectedly.", roles=MANAGERS)
async def boom(ctx: ToolContext, inp: BoomIn) -> BoomOut:
    raise RuntimeError("postgresql://shop:hunter2@db failed")


async def test_unexpected_error_is_a_generic_500(
    db: Database, db_url: str, registry: Registry
) -> None:
    with_boom = Registry([*registry.all(), boom])
    async for shop in make_shop(db, db_url, with_boom):
        resp = await shop.post("boom", {})
        assert resp.status_code == 500
        assert error(resp)["code"] == "internal_error"
        assert "hunter2" not in resp.text
        assert "Traceback" not in resp.text


# --- app factory -------------------------------------------------------------------------------


async def test_lifespan_closes_the_database(db: Database, db_url: str, registry: Registry) -> None:
    container = Container.create(
        load_settings(database_url=db_url, _env_file=None), db=db, registry=registry
    )
    closed: list[bool] = []

    async def aclose() -> None:
        closed.append(True)

    container.aclose = aclose  # type: ignore[method-assign]
    app = create_app(container)
    async with app.router.lifespan_context(app):
        assert closed == []
    assert closed == [True]


async def test_factory_reads_settings_at_call_time(
    monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    monkeypatch.chdir(os.path.dirname(__file__))  # no .env here
    monkeypatch.setenv("SHOPBOT_DATABASE_URL", db_url)
    monkeypatch.setenv("SHOPBOT_SHOP_NAME", "Tiệm Mây")
    app = create_app()
    container: Container = app.state.container
    try:
        assert container.settings.database_url == db_url
        assert app.title.startswith("Tiệm Mây")
    finally:
        await container.aclose()
    monkeypatch.setenv("SHOPBOT_PORT", "abc")
    with pytest.raises(SettingsError, match=r"^SHOPBOT_PORT: "):
        create_app()


async def test_invalid_body_is_refused_and_still_audited(api: Shop) -> None:
    """The runner audits every call; a body FastAPI refuses before the runner must not escape."""
    from sqlalchemy import select

    from storage.models import AuditEntry

    body = {"code": "X", "name": "Y", "kind": "garage"}
    resp = await api.post("create_warehouse", body)
    assert resp.status_code == 422
    assert error(resp)["field"] == "kind"
    async with api.container.db.transaction(write=False) as tx:
        rows = (
            await tx.session.execute(
                select(AuditEntry.tool, AuditEntry.outcome, AuditEntry.surface, AuditEntry.args)
            )
        ).all()
    assert ("create_warehouse", "invalid_input", "http", body) in [tuple(r) for r in rows]


async def test_a_misspelt_argument_is_422_not_silently_ignored(api: Shop) -> None:
    """As on the CLI and for the agents: a field the tool does not have is named, not dropped
    (a misspelt field of a write tool would otherwise answer 200 and change nothing)."""
    resp = await api.post("create_warehouse", {"code": "HN", "name": "Kho", "adress": "Cầu Giấy"})
    assert resp.status_code == 422
    assert (error(resp)["code"], error(resp)["field"]) == ("unknown_field", "adress")
    listed = await api.post("list_warehouses", {"include_inactve": True})
    assert listed.status_code == 422
    assert error(listed)["field"] == "include_inactve"
    assert (await api.post("list_warehouses", {})).status_code == 200


async def test_unknown_paths_and_methods_answer_in_the_error_shape(api: Shop) -> None:
    wrong_method = await api.client.get("/api/tools/list_warehouses")
    assert wrong_method.status_code == 405
    assert error(wrong_method)["code"] == "method_not_allowed"
    missing = await api.client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert error(missing)["code"] == "not_found"

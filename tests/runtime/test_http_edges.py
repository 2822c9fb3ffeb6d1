"""The HTTP edge: body size limit, integer query ranges, the role check before validation."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.container import Container, load_settings
from bot.http.app import create_app
from storage.database import Database
from tests.runtime.conftest import audit_of
from tests.test_http import Shop, error
from tools.registry import Registry

LIMIT = 10_000
CHUNK = 1_000


@pytest.fixture
async def api(db: Database, db_url: str, registry: Registry) -> AsyncIterator[Shop]:
    settings = load_settings(database_url=db_url, max_body_bytes=LIMIT, _env_file=None)
    container = Container.create(settings, db=db, registry=registry)
    transport = httpx.ASGITransport(app=create_app(container), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
        shop = Shop(container, client)
        await shop.add_staff("Hạnh", "owner")
        await shop.add_staff("Bảo", "warehouse")
        yield shop


class Body:
    """A streamed request body that counts how much of it the server pulled."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"code": "X", "name": "'
        for _ in range(self.chunks):
            self.pulled += 1
            yield b"x" * CHUNK
        yield b'"}'


def owner(api: Shop) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.keys['owner']}", "Content-Type": "application/json"}


async def test_a_declared_oversized_body_is_refused_before_any_of_it_is_read(api: Shop) -> None:
    body = Body(1_000)
    resp = await api.client.post(
        "/api/tools/create_warehouse",
        content=body,
        headers={**owner(api), "Content-Length": str(1_000 * CHUNK)},
    )
    assert resp.status_code == 413
    assert error(resp)["code"] == "payload_too_large"
    assert body.pulled == 0


async def test_a_streamed_oversized_body_is_refused_at_the_limit(api: Shop) -> None:
    body = Body(1_000)  # a megabyte, sent without Content-Length
    resp = await api.client.post("/api/tools/create_warehouse", content=body, headers=owner(api))
    assert resp.status_code == 413
    assert error(resp)["code"] == "payload_too_large"
    assert body.pulled <= LIMIT // CHUNK + 1
    small = await api.post("create_warehouse", {"code": "HCM", "name": "Kho"})
    assert small.status_code == 200, small.text


@pytest.mark.parametrize("after_id", ["9223372036854775808", "-1", "99999999999999999999999"])
async def test_an_out_of_range_query_integer_is_422(api: Shop, after_id: str) -> None:
    resp = await api.client.get(
        "/api/chat/history", params={"session_id": "s" * 24, "after_id": after_id}
    )
    assert resp.status_code == 422
    assert error(resp)["field"] == "after_id"


async def test_a_role_that_may_not_use_a_tool_hears_403_before_its_input_is_checked(
    api: Shop, db: Database
) -> None:
    resp = await api.post("create_product", {"code": 5, "bogus": True}, role="warehouse")
    assert resp.status_code == 403
    assert error(resp)["code"] == "permission_denied"
    allowed_but_invalid = await api.post("adjust_stock", {"sku": 5}, role="warehouse")
    assert allowed_but_invalid.status_code == 422
    rows = await audit_of(db, "create_product")
    assert [(outcome, role) for outcome, role, _ in rows] == [("permission_denied", "warehouse")]

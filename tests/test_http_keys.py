"""The API key cache: revocation within its time to live, new keys at once (bot/http/keys.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.http.keys import ACCESS_TOOLS, KEY_CACHE_SECONDS, KeyCache
from core.roles import Actor
from storage.database import Database
from tests.test_http import Shop, error, make_shop
from tools.registry import Registry
from tools.runner import ToolRunner


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def api(db: Database, db_url: str, registry: Registry) -> AsyncIterator[Shop]:
    async for shop in make_shop(db, db_url, registry):
        yield shop


@pytest.fixture
def clock(api: Shop) -> Clock:
    """The app's key cache on a clock the test moves."""
    assert api.app is not None
    keys: KeyCache = api.app.state.api_keys
    fake = Clock()
    keys.clock = fake
    return fake


@pytest.fixture
async def elsewhere(db: Database, registry: Registry) -> AsyncIterator[ToolRunner]:
    """Another runner on the same database: the CLI or a second server, whose commits this
    app's cache does not hear about."""
    runner = ToolRunner(db, registry)
    yield runner
    await runner.aclose()


async def test_a_key_revoked_elsewhere_stops_working_after_the_cache_time(
    api: Shop, clock: Clock, elsewhere: ToolRunner
) -> None:
    key = api.keys["warehouse"]
    assert (await api.post("list_warehouses", role="warehouse")).status_code == 200
    await elsewhere.call("revoke_api_key", {"prefix": key[:11]}, Actor.system())
    clock.now += KEY_CACHE_SECONDS - 0.5
    assert (await api.post("list_warehouses", role="warehouse")).status_code == 200
    clock.now += 1.0
    resp = await api.post("list_warehouses", role="warehouse")
    assert resp.status_code == 401
    assert error(resp)["code"] == "invalid_api_key"


async def test_a_staff_member_removed_elsewhere_loses_access_after_the_cache_time(
    api: Shop, clock: Clock, elsewhere: ToolRunner
) -> None:
    assert (await api.post("list_warehouses", role="warehouse")).status_code == 200
    await elsewhere.call("remove_staff", {"name": "Bảo"}, Actor.system())
    clock.now += KEY_CACHE_SECONDS + 0.5
    assert (await api.post("list_warehouses", role="warehouse")).status_code == 401


async def test_a_new_key_works_at_once_even_after_a_refusal(
    api: Shop, clock: Clock, elsewhere: ToolRunner
) -> None:
    assert (await api.post("list_warehouses", key="sb_" + "x" * 43)).status_code == 401
    await elsewhere.call("add_staff", {"name": "Chi", "role": "sales"}, Actor.system())
    made = await elsewhere.call("create_api_key", {"staff_name": "Chi"}, Actor.system())
    key: str = made.api_key  # type: ignore[attr-defined]
    resp = await api.post("list_warehouses", key=key)
    assert resp.status_code == 200, resp.text


async def test_revoking_through_this_server_takes_effect_at_once(api: Shop, clock: Clock) -> None:
    key = api.keys["warehouse"]
    assert (await api.post("list_warehouses", role="warehouse")).status_code == 200
    assert (await api.post("revoke_api_key", {"prefix": key[:11]})).status_code == 200
    assert (await api.post("list_warehouses", role="warehouse")).status_code == 401
    assert (await api.post("list_warehouses")).status_code == 200  # the owner's key still works
    await api.add_staff("Chi", "sales")
    assert (await api.post("list_warehouses", role="sales")).status_code == 200
    removed = await api.post("remove_staff", {"name": "Chi"})
    assert removed.status_code == 200, removed.text
    assert (await api.post("list_warehouses", role="sales")).status_code == 401


def test_the_tools_that_end_access_exist(registry: Registry) -> None:
    assert all(name in registry and registry.get(name).write for name in ACCESS_TOOLS)

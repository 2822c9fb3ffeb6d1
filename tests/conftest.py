"""Shared fixtures: a migrated database per test on SQLite, and on PostgreSQL when configured.

SQLite: the schema is migrated once per session into a template file that each test copies.
PostgreSQL (``SHOPBOT_TEST_POSTGRES_URL``): the schema is rebuilt from the migrations once per
session, and each test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from core.roles import Actor, Role
from storage.database import Database
from storage.migrate import upgrade
from tools import build_registry
from tools.config import ToolConfig
from tools.registry import Registry
from tools.runner import ToolRunner

PG_URL = os.environ.get("SHOPBOT_TEST_POSTGRES_URL")

OWNER = Actor(role=Role.OWNER, staff_id=1, name="owner")
SYSTEM = Actor.system()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        backends = ["sqlite"] + (["postgres"] if PG_URL else [])
        metafunc.parametrize("backend", backends, scope="session")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> Iterator[str]:
    """A private database per test session on the configured server, so parallel runs (and
    other people's) never truncate each other's tables; dropped at the end."""
    assert PG_URL
    from sqlalchemy.engine import make_url

    server = make_url(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    name = f"shopbot_test_{os.getpid()}_{secrets.token_hex(3)}"
    _admin(server, f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(server: Any, statement: str) -> None:
    async def run() -> None:
        db = Database(server.render_as_string(hide_password=False))
        try:
            async with db.engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(statement))
        finally:
            await db.dispose()

    asyncio.run(run())


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "shop.db"
        shutil.copy(template, target)
        yield f"sqlite:///{target}"
    else:
        yield request.getfixturevalue("postgres_ready")


@pytest.fixture
async def db(db_url: str, backend: str) -> AsyncIterator[Database]:
    database = Database(db_url, pool_size=20)
    if backend == "postgres":
        async with database.engine.begin() as conn:
            names = (
                (
                    await conn.execute(
                        text(
                            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                            "AND tablename <> 'alembic_version'"
                        )
                    )
                )
                .scalars()
                .all()
            )
            await conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def registry() -> Registry:
    return build_registry()


@pytest.fixture
def config() -> ToolConfig:
    return ToolConfig()


@pytest.fixture
def runner(db: Database, registry: Registry, config: ToolConfig) -> ToolRunner:
    return ToolRunner(db, registry, config)


class Caller:
    """``await shop("create_order", actor, field=value...)`` returning a plain dict."""

    def __init__(self, runner: ToolRunner) -> None:
        self.runner = runner

    async def __call__(self, name: str, actor: Actor = OWNER, /, **args: Any) -> dict[str, Any]:
        result = await self.runner.call(name, args, actor, surface="test")
        return result.model_dump(mode="json")


@pytest.fixture
def shop(runner: ToolRunner) -> Caller:
    return Caller(runner)

"""Web chat fixtures: a small catalogue made with the tools, and the chat API over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from agents.conversation import ChatService
from bot.container import Container, load_settings
from bot.web import chat_router
from bot.web.ratelimit import RateLimiter
from storage.database import Database
from tests.conftest import Caller
from tests.factories import make_product, make_warehouses
from tools.registry import Registry


async def make_catalogue(shop: Caller) -> None:
    """Áo thun (Màu x Size, one sold-out combination), a jean and a sold-out polo."""
    await make_warehouses(shop)
    await make_product(
        shop,
        "AT01",
        "Áo thun cotton basic",
        category="Áo thun",
        brand="Coolmate",
        variants=[
            {"sku": "AT01-DE-M", "options": {"Màu": "Đen", "Size": "M"}},
            {
                "sku": "AT01-DE-L",
                "options": {"Màu": "Đen", "Size": "L"},
                "stock": [{"warehouse_code": "HCM", "quantity": 0}],
            },
            {"sku": "AT01-TR-M", "options": {"Màu": "Trắng", "Size": "M"}},
        ],
        sale_price=149_000,
    )
    await make_product(
        shop,
        "QJ01",
        "Quần jean slim fit",
        category="Quần jean",
        variants=[{"sku": "QJ01-30", "options": {"Size": "30"}}],
        sale_price=599_000,
    )
    await make_product(
        shop,
        "PL01",
        "Áo polo cá sấu",
        category="Áo thun",
        stock={},
        variants=[{"sku": "PL01-XN-M", "options": {"Màu": "Xanh navy", "Size": "M"}}],
    )


def offline_settings(db_url: str, **overrides: Any) -> Any:
    """Settings without any LLM, whatever the environment says."""
    return load_settings(
        database_url=db_url, llm_api_key=None, llm_base_url=None, _env_file=None, **overrides
    )


@pytest.fixture
async def catalogue(shop: Caller) -> None:
    await make_catalogue(shop)


@pytest.fixture
def container(db: Database, db_url: str, registry: Registry) -> Container:
    return Container.create(offline_settings(db_url), db=db, registry=registry)


@pytest.fixture
def chat(container: Container) -> ChatService:
    return ChatService(container.runner, container.db, shop_name="Shop Test")


@pytest.fixture
async def client(container: Container, chat: ChatService) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(chat_router(container, chat=chat, limiter=RateLimiter(burst=1000)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as c:
        yield c

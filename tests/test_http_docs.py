"""/docs and /redoc work with no internet: every asset they reference is served by the app."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from storage.database import Database
from tests.test_http import Shop, make_shop
from tools.registry import Registry


@pytest.fixture
async def api(db: Database, db_url: str, registry: Registry) -> AsyncIterator[Shop]:
    async for shop in make_shop(db, db_url, registry):
        yield shop


def _referenced(html: str) -> list[str]:
    return re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", html)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_reference_only_assets_the_app_serves(api: Shop, page: str) -> None:
    resp = await api.client.get(page)
    assert resp.status_code == 200
    refs = _referenced(resp.text)
    assert refs, resp.text
    for ref in refs:
        assert ref.startswith("/"), f"{page} loads {ref} from elsewhere"
        asset = await api.client.get(ref)
        assert asset.status_code == 200, ref
        assert asset.content
    assert "fonts.googleapis" not in resp.text


async def test_docs_assets_are_cached_and_unknown_ones_are_404(api: Shop) -> None:
    page = (await api.client.get("/docs")).text
    script = next(r for r in _referenced(page) if r.endswith("swagger-ui-bundle.js"))
    resp = await api.client.get(script)
    assert resp.headers["content-type"].startswith("text/javascript")
    assert "max-age=31536000" in resp.headers["cache-control"]
    missing = await api.client.get(script.rsplit("/", 1)[0] + "/secrets.txt")
    assert missing.status_code == 404


@pytest.mark.parametrize("path", ["/favicon.ico", "/favicon.png"])
async def test_every_page_has_a_favicon(api: Shop, path: str) -> None:
    resp = await api.client.get(path)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "image/png"
    assert resp.content.startswith(b"\x89PNG")


async def test_the_chat_page_names_its_favicon(api: Shop) -> None:
    page = await api.client.get("/")
    assert '<link rel="icon" type="image/png" href="/favicon.png">' in page.text

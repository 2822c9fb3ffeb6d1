"""Product images: uploaded by staff over the tools API, checked, stored with a thumbnail, and
served by the app under a stable URL with long caching."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from bot.container import Container, load_settings
from bot.http.app import create_app
from storage.database import Database
from tests.test_http import Shop, error
from tools.registry import Registry


@pytest.fixture
async def api(db: Database, db_url: str, registry: Registry, tmp_path: Path) -> AsyncIterator[Shop]:
    settings = load_settings(database_url=db_url, media_dir=str(tmp_path / "media"), _env_file=None)
    container = Container.create(settings, db=db, registry=registry)
    transport = httpx.ASGITransport(app=create_app(container), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
        shop = Shop(container, client)
        await shop.add_staff("Hạnh", "owner")
        await shop.add_staff("Bảo", "warehouse")
        await shop.post(
            "create_product",
            {
                "code": "AT01",
                "name": "Áo thun",
                "variants": [{"sku": "AT01", "sale_price": 100_000}],
                "media": ["https://example.com/a.jpg"],
            },
        )
        yield shop


def picture(fmt: str, size: tuple[int, int] = (800, 600), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 60)).save(out, format=fmt)
    return out.getvalue()


async def upload(api: Shop, data: bytes, **more: Any) -> httpx.Response:
    body = {"code": "AT01", "content_base64": base64.b64encode(data).decode(), **more}
    return await api.post("upload_product_image", body)


@pytest.mark.parametrize(
    ("fmt", "ext", "mime"),
    [("JPEG", "jpg", "image/jpeg"), ("PNG", "png", "image/png"), ("WEBP", "webp", "image/webp")],
)
async def test_an_uploaded_image_is_served_with_a_thumbnail(
    api: Shop, fmt: str, ext: str, mime: str
) -> None:
    resp = await upload(api, picture(fmt), main=True)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["url"].startswith("/media/")
    assert out["url"].endswith(f".{ext}")
    assert (out["content_type"], out["width"], out["height"]) == (mime, 800, 600)
    assert out["media"] == [out["url"], "https://example.com/a.jpg"]

    image = await api.client.get(out["url"])
    assert image.status_code == 200
    assert image.headers["content-type"] == mime
    assert "immutable" in image.headers["cache-control"]
    assert image.content == picture(fmt)
    thumb = await api.client.get(out["thumbnail_url"])
    assert thumb.status_code == 200
    assert Image.open(io.BytesIO(thumb.content)).size == (320, 240)

    product = (await api.post("get_product", {"code": "AT01"})).json()
    assert (product["image_url"], product["thumbnail_url"]) == (out["url"], out["thumbnail_url"])
    hit = (await api.post("search_products", {"query": "ao thun"})).json()["results"][0]
    assert hit["thumbnail_url"] == out["thumbnail_url"]


async def test_the_same_picture_twice_is_one_image(api: Shop) -> None:
    first = (await upload(api, picture("PNG"))).json()
    again = (await upload(api, picture("PNG"))).json()
    assert again["url"] == first["url"]
    assert again["media"] == ["https://example.com/a.jpg", first["url"]]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (picture("GIF", mode="P"), "invalid_image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "invalid_image"),
        (picture("PNG")[:200], "invalid_image"),  # cut short
        (b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024), "image_too_large"),
    ],
)
async def test_what_is_not_a_jpeg_png_or_webp_in_bounds_is_refused(
    api: Shop, data: bytes, code: str
) -> None:
    resp = await upload(api, data)
    assert resp.status_code == 422
    assert (error(resp)["code"], error(resp)["field"]) == (code, "content_base64")
    product = (await api.post("get_product", {"code": "AT01"})).json()
    assert product["media"] == ["https://example.com/a.jpg"]


async def test_only_catalogue_editors_upload(api: Shop) -> None:
    resp = await api.post(
        "upload_product_image",
        {"code": "AT01", "content_base64": base64.b64encode(picture("PNG")).decode()},
        role="warehouse",
    )
    assert resp.status_code == 403


@pytest.mark.parametrize(
    "path",
    ["/media/../pyproject.toml", "/media/thumbs/x.jpg", "/media/" + "0" * 32 + ".jpg"],
)
async def test_nothing_but_stored_images_is_served(api: Shop, path: str) -> None:
    assert (await api.client.get(path)).status_code == 404

"""API docs that work with no internet, and the site's favicon.

FastAPI's own /docs and /redoc pages load Swagger UI and ReDoc from a CDN, so on a shop's
offline machine (or behind a strict firewall) they are blank. The same assets ship in the
fastapi-offline package; these routes serve them from it, with long caching (they change only
with the package, whose version is in the URL). The one outside address left is ReDoc's own
"by Redocly" logo, which its script hides when it cannot be loaded.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

DOCS_ASSETS: dict[str, str] = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
}
FAVICON = "/favicon.png"
_ASSETS_DIR = Path(str(files("fastapi_offline"))) / "static"
_LONG_CACHE = {"Cache-Control": "public, max-age=31536000, immutable"}


def assets_prefix() -> str:
    """The assets' URL carries the package version: a new release is a new URL."""
    return f"/docs/assets/{version('fastapi-offline')}"


@cache
def _asset(name: str) -> bytes:
    return (_ASSETS_DIR / name).read_bytes()


@cache
def favicon_png() -> bytes:
    return files("bot.web").joinpath("static", "favicon.png").read_bytes()


def add_docs_routes(app: FastAPI) -> None:
    """/docs (Swagger UI), /redoc, their assets, and /favicon.ico for every page.

    The app is created with ``docs_url=None, redoc_url=None`` so these take their place."""
    prefix = assets_prefix()
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API docs",
            swagger_js_url=f"{prefix}/swagger-ui-bundle.js",
            swagger_css_url=f"{prefix}/swagger-ui.css",
            swagger_favicon_url=FAVICON,
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} — ReDoc",
            redoc_js_url=f"{prefix}/redoc.standalone.js",
            redoc_favicon_url=FAVICON,
            with_google_fonts=False,
        )

    @app.get(prefix + "/{name}", include_in_schema=False)
    async def docs_asset(name: str) -> Response:
        media = DOCS_ASSETS.get(name)
        if media is None:
            return Response(status_code=404)
        return Response(_asset(name), media_type=media, headers=_LONG_CACHE)

    @app.get("/favicon.ico", include_in_schema=False)
    @app.get(FAVICON, include_in_schema=False)
    async def favicon() -> Response:
        return Response(
            favicon_png(),
            media_type="image/png",
            headers={"Cache-Control": "public, max-age=86400"},
        )

"""Uploaded product images and their thumbnails, served from SHOPBOT_MEDIA_DIR.

Names are content hashes (storage/media.py), so a URL always means the same bytes: browsers
and proxies may keep them for a year. Only names the store makes are served: no paths.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response

from storage.media import CONTENT_TYPES, THUMBS, MediaStore

IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


def add_media_routes(app: FastAPI, media_dir: str) -> None:
    store = MediaStore(media_dir)

    def serve(name: str, *, thumbnail: bool) -> Response:
        path = store.path(name, thumbnail=thumbnail)
        if path is None:
            return Response(status_code=404, headers={"Cache-Control": "no-store"})
        media_type = CONTENT_TYPES[name.rsplit(".", 1)[1]]
        return FileResponse(path, media_type=media_type, headers=IMMUTABLE)

    @app.get("/media/{name}", include_in_schema=False)
    async def image(name: str) -> Response:
        return serve(name, thumbnail=False)

    @app.get(f"/media/{THUMBS}/{{name}}", include_in_schema=False)
    async def thumbnail(name: str) -> Response:
        return serve(name, thumbnail=True)

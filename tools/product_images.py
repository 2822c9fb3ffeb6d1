"""upload_product_image: a staff member adds a picture to a product.

The file travels base64-encoded like catalogue files do; storage/media.py checks that it is a
JPEG, PNG or WebP within the limits, stores it under a name made from its content with a
thumbnail, and the product's ``media`` gets its URL (``/media/<name>``, served by the app with
long caching). Product outputs then carry ``image_url`` and ``thumbnail_url``.
"""

from __future__ import annotations

import base64
import binascii

from pydantic import BaseModel, Field

from core.errors import InvalidInput
from storage.media import MAX_IMAGE_BYTES, MediaStore
from tools.catalog import CATALOG_EDITORS, ProductRef, _find_product
from tools.context import ToolContext
from tools.registry import tool

MAX_MEDIA = 30  # as create_product allows


class UploadProductImageIn(ProductRef):
    content_base64: str = Field(
        min_length=1,
        max_length=MAX_IMAGE_BYTES * 4 // 3 + 16,
        description="The image's bytes, base64-encoded: JPEG, PNG or WebP, at most 5 MB",
    )
    filename: str = Field(default="", max_length=255, description="For people; not trusted")
    main: bool = Field(default=False, description="Make it the main image (shown on cards)")


class UploadProductImageOut(BaseModel):
    url: str = Field(description="Where the app serves the image, e.g. /media/3f2a...c1.jpg")
    thumbnail_url: str
    content_type: str
    width: int
    height: int
    size: int = Field(description="Bytes")
    media: list[str] = Field(description="The product's images now, main first")


@tool(
    name="upload_product_image",
    description="""Add a picture (JPEG, PNG or WebP, at most 5 MB, sent base64-encoded) to a
    product, named by product_id or code; main=true makes it the main image shown on cards.
    The same picture uploaded again is not added twice.""",
    roles=CATALOG_EDITORS,
)
async def upload_product_image(
    ctx: ToolContext, inp: UploadProductImageIn
) -> UploadProductImageOut:
    if ctx.config.media_dir is None:
        raise InvalidInput(
            "This shop stores no uploaded images (SHOPBOT_MEDIA_DIR).",
            field="content_base64",
            code="uploads_disabled",
        )
    product = await _find_product(ctx, inp)
    try:
        data = base64.b64decode(inp.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "content_base64 is not valid base64.", field="content_base64", code="bad_base64"
        ) from None
    stored = MediaStore(ctx.config.media_dir).save(data)
    media = [u for u in product.media if u != stored.url]
    if not inp.main and len(media) >= MAX_MEDIA:
        raise InvalidInput(
            f"A product has at most {MAX_MEDIA} images; remove one first (update_product).",
            field="content_base64",
            code="too_many_images",
        )
    media = [stored.url, *media] if inp.main else [*media, stored.url]
    product.media = media[:MAX_MEDIA]
    product.updated_at = ctx.now
    ctx.emit(
        "product.updated",
        f"product:{product.id}",
        {"product_id": product.id, "code": product.code, "fields": ["media"]},
    )
    return UploadProductImageOut(
        url=stored.url,
        thumbnail_url=stored.thumbnail_url,
        content_type=stored.content_type,
        width=stored.width,
        height=stored.height,
        size=stored.size,
        media=product.media,
    )

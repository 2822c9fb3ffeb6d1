"""Product images kept as files: checked, named by their content, with a thumbnail each.

Uploads are opened with Pillow, so a file is stored only if it really is a JPEG, PNG or WebP
(whatever its name says) within the size limits. A file is named by a hash of its bytes
(``3f2a...c1.jpg``), so its URL never changes meaning and can be cached for a year, and the
same picture uploaded twice is stored once. Each image gets a thumbnail for cards, at most
``THUMB_SIZE`` pixels on its longer side, in the same format.

Files are written before the upload's transaction commits: a rolled-back upload leaves a file
that nothing refers to, which is harmless (and reused if the same picture comes again).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from core.errors import InvalidInput

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # 8000 x 5000; larger is refused (decompression bombs)
THUMB_SIZE = 320
FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
CONTENT_TYPES = dict(FORMATS.values())
URL_PREFIX = "/media/"
THUMBS = "thumbs"
_NAME = re.compile(r"^[0-9a-f]{32}\.(?:jpg|png|webp)$")


@dataclass(frozen=True, slots=True)
class StoredImage:
    name: str  # e.g. 3f2a...c1.jpg
    content_type: str
    width: int
    height: int
    size: int

    @property
    def url(self) -> str:
        return f"{URL_PREFIX}{self.name}"

    @property
    def thumbnail_url(self) -> str:
        return thumbnail_url(self.url)


def thumbnail_url(url: str) -> str:
    """The thumbnail of a stored image's URL; other URLs (https://...) are their own."""
    if is_stored(url):
        return f"{URL_PREFIX}{THUMBS}/{url.removeprefix(URL_PREFIX)}"
    return url


def is_stored(url: str) -> bool:
    return url.startswith(URL_PREFIX) and bool(_NAME.match(url.removeprefix(URL_PREFIX)))


def valid_name(name: str) -> bool:
    """Only names this store makes are ever read back: no paths, no other files."""
    return bool(_NAME.match(name))


def check_image(data: bytes, field: str = "content_base64") -> tuple[str, Image.Image]:
    """(format, image) for a JPEG, PNG or WebP within the limits; InvalidInput otherwise."""
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidInput(
            f"The image is {len(data) // 1024} KB; at most {MAX_IMAGE_BYTES // (1024 * 1024)} MB.",
            field=field,
            code="image_too_large",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            probe.verify()  # structure and checksums; the image must be reopened after this
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput(
                    f"The image is {image.width} x {image.height} pixels; that is too large.",
                    field=field,
                    code="image_too_large",
                )
            image.load()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise InvalidInput(
            "That is not a JPEG, PNG or WebP image.", field=field, code="invalid_image"
        ) from None
    if image.format not in FORMATS:
        raise InvalidInput(
            f"{image.format or 'That'} images are not accepted; send a JPEG, PNG or WebP.",
            field=field,
            code="invalid_image",
        )
    return image.format, image


class MediaStore:
    """Image files under one directory (``SHOPBOT_MEDIA_DIR``)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def save(self, data: bytes, field: str = "content_base64") -> StoredImage:
        fmt, image = check_image(data, field)
        ext, content_type = FORMATS[fmt]
        name = f"{hashlib.sha256(data).hexdigest()[:32]}.{ext}"
        self._write(self.root / name, data)
        self._write(self.root / THUMBS / name, _thumbnail(image, fmt))
        return StoredImage(name, content_type, image.width, image.height, len(data))

    def path(self, name: str, *, thumbnail: bool = False) -> Path | None:
        """Where a stored image (or its thumbnail) is; None for names this store never made."""
        if not valid_name(name):
            return None
        path = self.root / THUMBS / name if thumbnail else self.root / name
        return path if path.is_file() else None

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        if path.exists():
            return  # content-addressed: already there
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # atomic: a reader never sees half a file


def _thumbnail(image: Image.Image, fmt: str) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIZE, THUMB_SIZE))
    if fmt == "JPEG" and thumb.mode not in ("RGB", "L"):
        thumb = thumb.convert("RGB")
    out = io.BytesIO()
    thumb.save(out, format=fmt, **({"quality": 85} if fmt in ("JPEG", "WEBP") else {}))
    return out.getvalue()

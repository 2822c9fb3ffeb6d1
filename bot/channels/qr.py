"""Payment QR codes (VietQR) as images: drawn here as PNG, uploaded with the message where the
platform takes uploads (Telegram, Messenger), or fetched by the platform from our URL (Zalo)."""

from __future__ import annotations

import functools
import io
from urllib.parse import quote

import segno

QR_PATH = "/api/channels/qr.png"


@functools.lru_cache(maxsize=256)
def qr_png_bytes(data: str) -> bytes:
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


def qr_image_url(public_url: str, qr: str) -> str:
    """Where the platform fetches a payment QR as PNG (bot/channels/routes.py draws it)."""
    return f"{public_url}{QR_PATH}?data={quote(qr, safe='')}"

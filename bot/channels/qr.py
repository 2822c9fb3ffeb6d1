"""Payment QR codes (VietQR) as images, drawn in one place for every surface: PNG uploaded with
the message where the platform takes uploads (Telegram, Messenger), PNG fetched by the
platform from our URL (Zalo), SVG on the web chat's page. Each payload is drawn once (a resend,
a retry or a page reload costs nothing)."""

from __future__ import annotations

import functools
import io
from urllib.parse import quote

import segno

QR_PATH = "/api/channels/qr.png"
# A send body's payment QR, drawn and uploaded as the message's image at delivery (the body is
# stored as JSON, so it carries the payload, not the picture).
QR_KEY = "qr"


@functools.lru_cache(maxsize=256)
def qr_png_bytes(data: str) -> bytes:
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


@functools.lru_cache(maxsize=256)
def qr_svg_bytes(data: str) -> bytes:
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False)
    return out.getvalue()


def qr_image_url(public_url: str, qr: str) -> str:
    """Where the platform fetches a payment QR as PNG (bot/channels/routes.py draws it)."""
    return f"{public_url}{QR_PATH}?data={quote(qr, safe='')}"

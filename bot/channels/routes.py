"""The platforms' webhooks. A platform that is off has no route (404); a delivery without a
valid signature or secret gets 401 and changes nothing; a valid one is stored and queued,
and answered at once (the conversation runs in the background)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from bot.channels.hub import ChannelHub
from bot.channels.qr import QR_PATH, qr_png_bytes
from bot.channels.runtime import ChannelRuntime
from bot.channels.telegram import TelegramChannel
from core.vietqr import is_payload

log = logging.getLogger("shopbot.channels")


def _refused(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        status_code=status, content={"error": {"code": code, "message": message, "field": None}}
    )


def _receiver(rt: ChannelRuntime) -> Any:
    async def receive(request: Request) -> Response:
        raw = await request.body()
        if not rt.channel.verify(request.headers, raw):
            return _refused(401, "bad_signature", "The delivery's signature does not match.")
        try:
            update = json.loads(raw)
        except ValueError:
            return _refused(400, "bad_json", "The body is not JSON.")
        if not isinstance(update, dict):
            return _refused(400, "bad_json", "The body is not a JSON object.")
        await rt.accept(update)
        return JSONResponse({"ok": True})

    return receive


async def qr_png(data: str = Query(max_length=512)) -> Response:
    """A payment QR (VietQR) as PNG for platforms that show images by URL. Only checksummed
    EMVCo payloads are drawn: this is not a QR service for anything else."""
    if not is_payload(data):
        return _refused(422, "invalid_qr", "Not a payment QR payload.")
    return Response(
        qr_png_bytes(data), media_type="image/png", headers={"Cache-Control": "max-age=86400"}
    )


def _challenger(check: Callable[[dict[str, str]], str | None]) -> Any:
    """Messenger's GET verification: the challenge back when the verify token matches."""

    async def challenge(request: Request) -> Response:
        answer = check(dict(request.query_params))
        if answer is None:
            return PlainTextResponse("Forbidden", status_code=403)
        return PlainTextResponse(answer)

    return challenge


def channel_router(hub: ChannelHub) -> APIRouter:
    router = APIRouter(tags=["channels"])
    if hub.runtimes:
        router.add_api_route(QR_PATH, qr_png, methods=["GET"], include_in_schema=False)
    for rt in hub.runtimes.values():
        channel = rt.channel
        if isinstance(channel, TelegramChannel) and not hub.public_url:
            continue  # long polling: no webhook to answer
        router.add_api_route(
            channel.webhook_path,
            _receiver(rt),
            methods=["POST"],
            include_in_schema=False,
            name=f"webhook_{channel.name}",
        )
        check = getattr(channel, "subscription_challenge", None)
        if check is not None:
            router.add_api_route(
                channel.webhook_path,
                _challenger(check),
                methods=["GET"],
                include_in_schema=False,
                name=f"webhook_{channel.name}_verify",
            )
    return router

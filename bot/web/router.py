"""Web chat: the customer's page at ``/`` and its JSON API, on the conversation service.

Messages take the platforms' path through the web channel (bot/channels/web.py): the request
parsed into ``Incoming``, the conversation service's turn, the replies rendered to the page's
JSON; the HTTP response is their delivery. Kept here: the per-session and per-address rate
limits, the history poll and its paging, the payment QR drawing, the page itself.

The page makes a random session id once and keeps it in localStorage; the server binds it to
channel "web" and chat_id = that id, so it is the customer's identity on this channel (treat
it like a session cookie). No staff key is involved: what a web customer can do is exactly
what ``Actor.customer`` may do through the tools.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from html import escape
from importlib.resources import files
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from agents.conversation import ChatService
from agents.types import Responder
from bot.channels.base import PLAIN
from bot.channels.qr import qr_svg_bytes
from bot.channels.web import SESSION_PATTERN, ChatIn, ChatOut, HistoryOut, WebChannel
from bot.container import Container
from bot.settings import Settings
from bot.web.ratelimit import RateLimiter
from core.vietqr import is_payload

log = logging.getLogger("shopbot.web")

MAX_ID = 2**63 - 1  # ids are 64-bit: a larger one is a 422, not a driver overflow
STATIC: dict[str, str] = {"chat.js": "text/javascript", "chat.css": "text/css"}
# The page loads only its own script and style; product images may come from anywhere.
CSP = (
    "default-src 'self'; img-src 'self' https: http: data:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class ChatConfig(BaseModel):
    shop_name: str
    default_language: str
    sandboxed: bool


def integrations_sandboxed(settings: Settings) -> bool:
    """Whether payments and carriers are test doubles, so orders here are not real. There are
    no live integrations yet, so True unless a setting (``integrations_sandbox``) says no."""
    value = getattr(settings, "integrations_sandbox", None)
    return True if value is None else bool(value)


def default_responder(container: Container) -> Responder | None:
    """The LLM customer agent when an endpoint is configured, else None (offline flow only)."""
    try:
        from agents.llm import LLMConfig, build_customer_responder
    except ImportError:  # pragma: no cover - the LLM package is optional at runtime
        log.warning("agents.llm is not importable; the web chat uses the offline flow only")
        return None
    config = LLMConfig.from_settings(container.settings)
    if not config.configured:
        return None
    return build_customer_responder(config, container.runner)


def default_chat(container: Container) -> ChatService:
    """The app's one conversation service: the web chat and every platform channel answer
    through it, so they share one LLM agent (one HTTP client, one circuit breaker: an LLM
    found down on Telegram is down for the web chat too) and one set of per-chat locks."""
    settings = container.settings
    return ChatService(
        container.runner,
        container.db,
        responder=default_responder(container),
        shop_name=settings.shop_name,
        default_language=settings.default_language,
    )


def freeze_startup_heap() -> None:
    """Moves what start-up built (modules, the agent graph, prompts, the registry: objects
    that live as long as the process) out of the cyclic garbage collector's view. Otherwise
    every full collection walks all of it: with LangChain loaded that is a pause of ~190 ms on
    a 2-CPU machine, taken by whichever customers' turns are running (the p99 of the chat load
    test was made of these pauses). Reference counting still frees these objects; only cycles
    among them stay until exit. A process that froze its heap already (a pre-forking server
    does before forking, or an earlier app in the same process) is left as it is."""
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()


@cache
def _asset(name: str) -> str:
    return files("bot.web").joinpath("static", name).read_text(encoding="utf-8")


def _too_many(bucket: RateLimiter, key: str) -> JSONResponse:
    return JSONResponse(
        status_code=429,
        headers={"Retry-After": str(bucket.retry_after(key))},
        content={
            "error": {
                "code": "rate_limited",
                "message": "Too many messages; wait a moment.",
                "field": None,
            }
        },
    )


def chat_router(
    container: Container,
    *,
    chat: ChatService | None = None,
    responder: Responder | Literal["default"] | None = "default",
    limiter: RateLimiter | None = None,
    address_limiter: RateLimiter | None = None,
    sandboxed: bool | None = None,
) -> APIRouter:
    """The page and its API. ``chat`` or ``responder`` may be given by tests; by default the
    LLM responder is built from the settings (and closed with the app)."""
    settings = container.settings
    service = chat or _service(container, responder)
    config = ChatConfig(
        shop_name=settings.shop_name,
        default_language=settings.default_language,
        sandboxed=integrations_sandboxed(settings) if sandboxed is None else sandboxed,
    )
    by_address = address_limiter or _address_limiter(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        freeze_startup_heap()
        try:
            yield
        finally:
            closer = getattr(service.responder, "aclose", None)
            if closer is not None:
                await closer()

    router = APIRouter(lifespan=lifespan)
    _add_page(router, config)
    _add_messages(router, service, WebChannel(), limiter or RateLimiter(), by_address)
    _add_qr(router, by_address)
    return router


def _service(container: Container, responder: Responder | Literal["default"] | None) -> ChatService:
    if responder == "default":
        return default_chat(container)
    settings = container.settings
    return ChatService(
        container.runner,
        container.db,
        responder=responder,
        shop_name=settings.shop_name,
        default_language=settings.default_language,
    )


def _address_limiter(settings: Settings) -> RateLimiter | None:
    """A script that makes a new session id per message escapes the session's bucket (and
    makes a customer and a conversation each time); its address's bucket still empties."""
    per_minute = settings.web_chat_per_address_per_minute
    return RateLimiter(burst=per_minute, per_minute=per_minute) if per_minute else None


def _add_page(router: APIRouter, config: ChatConfig) -> None:
    @router.get("/", include_in_schema=False)
    async def page() -> HTMLResponse:
        html = (
            _asset("index.html")
            .replace("{{SHOP_NAME}}", escape(config.shop_name))
            .replace("{{LANG}}", config.default_language)
            .replace("{{SANDBOXED}}", "true" if config.sandboxed else "false")
        )
        return HTMLResponse(
            html, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"}
        )

    @router.get("/chat/static/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        media = STATIC.get(name)
        if media is None:
            return Response(status_code=404)
        return Response(
            _asset(name), media_type=media, headers={"Cache-Control": "public, max-age=300"}
        )

    @router.get("/api/chat/config", tags=["web chat"])
    async def chat_config() -> ChatConfig:
        """What the chat page shows besides the conversation."""
        return config


def _add_messages(
    router: APIRouter,
    service: ChatService,
    web: WebChannel,
    limits: RateLimiter,
    by_address: RateLimiter | None,
) -> None:
    """The conversation: parse -> the conversation service -> render, as on the platforms,
    with the HTTP response as the delivery and the history poll for what comes later."""

    @router.post("/api/chat/messages", tags=["web chat"], response_model=ChatOut)
    async def post_message(body: ChatIn, request: Request) -> Any:
        """One customer message (typed text or a pressed button's payload) -> the replies."""
        address = request.client.host if request.client else ""
        for bucket, key in ((limits, body.session_id), (by_address, address)):
            if bucket is not None and not bucket.allow(key):
                return _too_many(bucket, key)
        turn = await service.handle_turn(web.incoming(body))
        # The turn knows the mode it left the chat in; it is read again only after a failure.
        mode = turn.mode if turn.mode is not None else await service.mode("web", body.session_id)
        (shown,) = await web.render(body.session_id, turn.replies, PLAIN)
        return JSONResponse({**shown, "mode": mode})

    @router.get("/api/chat/history", tags=["web chat"])
    async def history(
        session_id: str = Query(pattern=SESSION_PATTERN),
        after_id: int = Query(default=0, ge=0, le=MAX_ID),
    ) -> HistoryOut:
        """The session's latest messages: restores the page after a reload, and brings staff
        answers while the chat is handed off."""
        found = await service.transcript("web", session_id, after_id=after_id, limit=50)
        return web.history(found)


def _add_qr(router: APIRouter, by_address: RateLimiter | None) -> None:
    @router.get("/api/chat/qr.svg", tags=["web chat"])
    async def qr_code(request: Request, data: str = Query(max_length=512)) -> Response:
        """A payment QR code (VietQR) from a reply's ``qr``, drawn as SVG. Only checksummed
        EMVCo payloads are drawn: this is not a QR service for anything else."""
        address = request.client.host if request.client else ""
        if by_address is not None and not by_address.allow(address):
            return _too_many(by_address, address)
        if not is_payload(data):
            return JSONResponse(
                status_code=422,
                content={
                    "error": {
                        "code": "invalid_qr",
                        "message": "Not a payment QR payload.",
                        "field": "data",
                    }
                },
            )
        return Response(
            qr_svg_bytes(data),
            media_type="image/svg+xml",
            headers={"Cache-Control": "public, max-age=86400"},
        )

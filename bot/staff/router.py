"""The staff page: ``/staff`` and its JSON API, on the staff desk (agents/staff).

Log in with a staff API key or a one-time link (``shopbot staff login NAME`` prints
``/staff#login=...``: the secret travels in the fragment, which browsers never send to a
server, and the page posts it once). The session is a cookie (HttpOnly, SameSite=Strict,
path /staff, Secure over HTTPS) holding a random secret whose hash is stored; every POST but
the login also carries the session's CSRF token in ``X-CSRF-Token``, and a POST from another
origin is refused. What a viewer sees and may press is their role's, from the registry.
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases built
# inside ``staff_router`` as objects, not as names it cannot resolve.
import json
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from html import escape
from importlib.resources import files
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from agents.staff.assistant import StaffAgent, answer_text
from agents.staff.cards import OrderCard
from agents.staff.desk import DeskReply, EditOrder, StaffDesk
from bot.container import Container
from bot.staff.live import LiveFeed, StreamClosed, close_streams_on_stop
from core.errors import DomainError, PermissionDenied
from core.roles import Actor
from tools.staff_access import OpenedSession, actor_for_session

log = logging.getLogger("shopbot.staff")

COOKIE = "shopbot_staff"
SURFACE = "staff_page"
STATIC: dict[str, str] = {"staff.js": "text/javascript", "staff.css": "text/css"}
CSP = (
    "default-src 'self'; img-src 'self' https: http: data:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
KEEPALIVE_SECONDS = 15.0


class LoginIn(BaseModel):
    api_key: str | None = Field(default=None, max_length=200)
    login_secret: str | None = Field(default=None, max_length=100)


class Me(BaseModel):
    name: str
    role: str
    staff_id: int | None
    csrf: str


class PressIn(BaseModel):
    payload: str = Field(max_length=64)


class CommandIn(BaseModel):
    text: str = Field(min_length=1, max_length=1000)


class ReplyIn(BaseModel):
    text: str = Field(default="", max_length=4000)
    product_code: str | None = Field(default=None, max_length=64)
    order_number: str | None = Field(default=None, max_length=20)


class CardsOut(BaseModel):
    cards: list[OrderCard]


@cache
def _asset(name: str) -> str:
    return files("bot.staff").joinpath("static", name).read_text(encoding="utf-8")


def _error(exc: DomainError) -> JSONResponse:
    return JSONResponse(status_code=exc.http_status, content={"error": exc.to_dict()})


def _same_origin(request: Request) -> None:
    """A browser always sends Origin on a cross-site POST; it must be this server."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise PermissionDenied("Cross-site request refused.", code="cross_site")


def default_staff_agent(container: Container) -> StaffAgent | None:
    """The staff LLM agent when an endpoint is configured; None: commands and buttons only."""
    from agents.llm import LLMConfig

    config = LLMConfig.from_settings(container.settings)
    return StaffAgent(config, container.runner) if config.configured else None


def staff_router(container: Container, *, feed: LiveFeed | None = None) -> APIRouter:
    """The page, its log-in and the desk's API, with the live feed and the staff agent
    living as long as the app."""
    desk = StaffDesk(
        container.runner, language=container.settings.default_language, surface=SURFACE
    )
    live = feed or LiveFeed(container.db)
    agent = default_staff_agent(container)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        live.start()
        restore = close_streams_on_stop(live)
        try:
            yield
        finally:
            restore()
            await live.aclose()
            if agent is not None:
                await agent.aclose()

    router = APIRouter(lifespan=lifespan)
    guards = _Guards(container)
    _add_page(router, container.settings.shop_name)
    _add_login(router, container, guards)
    _add_desk(router, desk, agent, guards)
    _add_events(router, live, guards)
    return router


class _Guards:
    """Who is asking: the session cookie's staff member (``viewer``), and for a POST also
    the same origin and the session's CSRF token (``poster``)."""

    def __init__(self, container: Container) -> None:
        self.db = container.db

        async def session(request: Request) -> tuple[Actor, str]:
            return await actor_for_session(self.db, request.cookies.get(COOKIE))

        async def viewer(found: Annotated[tuple[Actor, str], Depends(session)]) -> Actor:
            return found[0]

        async def poster(
            request: Request, found: Annotated[tuple[Actor, str], Depends(session)]
        ) -> Actor:
            """A state-changing request: same origin and the session's CSRF token."""
            _same_origin(request)
            sent = request.headers.get("x-csrf-token", "")
            if not secrets.compare_digest(sent.encode(), found[1].encode()):
                raise PermissionDenied("Missing or wrong CSRF token.", code="csrf")
            return found[0]

        self.session = session
        self.viewer = viewer
        self.poster = poster


def _add_page(router: APIRouter, shop_name: str) -> None:
    @router.get("/staff", include_in_schema=False)
    async def page() -> HTMLResponse:
        html = _asset("index.html").replace("{{SHOP_NAME}}", escape(shop_name))
        return HTMLResponse(
            html, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"}
        )

    @router.get("/staff/static/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        media = STATIC.get(name)
        if media is None:
            return Response(status_code=404)
        return Response(_asset(name), media_type=media, headers={"Cache-Control": "no-cache"})


def _add_login(router: APIRouter, container: Container, guards: _Guards) -> None:
    Session = Annotated[tuple[Actor, str], Depends(guards.session)]
    Poster = Annotated[Actor, Depends(guards.poster)]

    @router.post("/staff/api/login", tags=["staff page"])
    async def login(body: LoginIn, request: Request) -> Any:
        try:
            _same_origin(request)
            opened = await container.runner.call(
                "open_staff_session", body.model_dump(), Actor.system(), surface=SURFACE
            )
        except DomainError as exc:
            return _error(exc)
        assert isinstance(opened, OpenedSession)
        resp = JSONResponse(
            Me(
                name=opened.name, role=opened.role, staff_id=opened.staff_id, csrf=opened.csrf
            ).model_dump()
        )
        resp.set_cookie(
            COOKIE,
            opened.session_secret,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/staff",
            expires=opened.expires_at,
        )
        return resp

    @router.post("/staff/api/logout", tags=["staff page"])
    async def logout(request: Request, _actor: Poster) -> Any:
        await container.runner.call(
            "close_staff_session",
            {"session_secret": request.cookies.get(COOKIE, "")},
            Actor.system(),
            surface=SURFACE,
        )
        resp = JSONResponse({"ok": True})
        resp.delete_cookie(COOKIE, path="/staff")
        return resp

    @router.get("/staff/api/me", tags=["staff page"])
    async def me(found: Session) -> Me:
        actor, csrf = found
        return Me(name=actor.name, role=actor.role.value, staff_id=actor.staff_id, csrf=csrf)


def _add_desk(
    router: APIRouter, desk: StaffDesk, agent: StaffAgent | None, guards: _Guards
) -> None:
    Viewer = Annotated[Actor, Depends(guards.viewer)]
    Poster = Annotated[Actor, Depends(guards.poster)]

    @router.get("/staff/api/orders", tags=["staff page"])
    async def orders(actor: Viewer) -> CardsOut:
        return CardsOut(cards=await desk.open_cards(actor))

    @router.get("/staff/api/orders/{order_id}", tags=["staff page"])
    async def order(order_id: int, actor: Viewer) -> OrderCard:
        return await desk.card(actor, order_id)

    @router.get("/staff/api/inbox", tags=["staff page"])
    async def inbox(actor: Viewer) -> DeskReply:
        return await desk.guarded(desk.inbox(actor))

    @router.post("/staff/api/press", tags=["staff page"])
    async def press(body: PressIn, actor: Poster) -> DeskReply:
        return await desk.press(actor, body.payload)

    @router.post("/staff/api/orders/{order_id}/edit", tags=["staff page"])
    async def edit(order_id: int, body: EditOrder, actor: Poster) -> DeskReply:
        return await desk.edit_order(actor, order_id, body)

    @router.post("/staff/api/command", tags=["staff page"])
    async def command(body: CommandIn, actor: Poster) -> DeskReply:
        """A /command, or free text for the staff agent (the /help line without an LLM).
        What the agent would change comes back in ``confirmations``: nothing has run yet."""
        return await answer_text(desk, agent, actor, body.text)

    @router.post("/staff/api/handoffs/{handoff_id}/reply", tags=["staff page"])
    async def reply(handoff_id: int, body: ReplyIn, actor: Poster) -> DeskReply:
        return await desk.reply(
            actor,
            handoff_id,
            text=body.text,
            product_code=body.product_code or None,
            order_number=body.order_number or None,
        )


def _add_events(router: APIRouter, live: LiveFeed, guards: _Guards) -> None:
    Viewer = Annotated[Actor, Depends(guards.viewer)]

    @router.get("/staff/api/events", tags=["staff page"])
    async def events(request: Request, _actor: Viewer) -> StreamingResponse:
        """Server-sent events: ``order`` (an order changed: re-fetch its card), ``inbox``
        (the handoff inbox changed) and ``hello`` (the feed is live: re-read the lists)."""
        queue = live.subscribe()

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 2000\n\n"
                while not await request.is_disconnected():
                    item = await live.next_notice(queue, KEEPALIVE_SECONDS)
                    if item is None:
                        yield ": keep-alive\n\n"
                        continue
                    yield f"event: {item['type']}\ndata: {json.dumps(item)}\n\n"
            except StreamClosed:
                return
            finally:
                live.unsubscribe(queue)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

"""FastAPI app factory: the tool registry over HTTP, authenticated by staff API keys.

Routes are generated from the registry (one typed POST per tool), so /docs always shows every
tool with its input and output schema and no operation is implemented here. Errors keep one
shape everywhere: ``{"error": {"code", "message", "field"}}`` with the status of the DomainError.
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bot.channels.app import install_channels
from bot.channels.hub import ChannelHub
from bot.container import Container, load_settings
from bot.http.docs import add_docs_routes
from bot.http.keys import BearerDep, KeyCache
from bot.http.limits import BodyLimit
from bot.http.media import add_media_routes
from bot.http.reminders import install_reminders
from bot.http.tool_routes import SURFACE, add_tool_routes
from bot.settings import Settings, proxy_list
from bot.staff import staff_router
from bot.web import chat_router
from bot.web.router import default_chat
from core.errors import DomainError, InvalidInput, Unavailable
from core.roles import Actor
from storage.errors import domain_error_for
from storage.media import MAX_IMAGE_BYTES

log = logging.getLogger("shopbot.http")


@functools.cache
def app_version() -> str:
    """Read once: the lookup scans site-packages on disk, too slow for every health check."""
    try:
        return version("shopbot")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0.0.0"


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None
    details: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: str
    version: str
    database: str


class ToolInfo(BaseModel):
    name: str
    description: str
    roles: list[str]
    write: bool
    input_schema: dict[str, Any]


class ToolList(BaseModel):
    tools: list[ToolInfo]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or invalid API key"},
    403: {"model": ErrorBody, "description": "Your role may not use this tool"},
    404: {"model": ErrorBody, "description": "Unknown tool or record"},
    409: {"model": ErrorBody, "description": "Conflict (duplicate, stock, state)"},
    422: {"model": ErrorBody, "description": "Invalid input; `field` names the culprit"},
    503: {"model": ErrorBody, "description": "Database busy (see Retry-After) or not migrated"},
}


def error_response(status: int, err: dict[str, Any]) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": err})


# --- dependencies ------------------------------------------------------------------------------


async def get_container(request: Request) -> Container:
    """Async: FastAPI runs a plain ``def`` dependency in a worker thread on every request."""
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


async def current_actor(request: Request, creds: BearerDep) -> Actor:
    """The staff member behind the bearer key; 401 for a missing, unknown or revoked key."""
    keys: KeyCache = request.app.state.api_keys
    return await keys.actor(creds.credentials if creds else None)


CurrentActor = Annotated[Actor, Depends(current_actor)]


# --- error handling ----------------------------------------------------------------------------


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    resp = error_response(exc.http_status, exc.to_dict())
    if exc.http_status == 401:
        resp.headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, Unavailable) and exc.retry_after is not None:
        resp.headers["Retry-After"] = str(exc.retry_after)
    return resp


async def _driver_error(request: Request, exc: Exception) -> JSONResponse:
    """A database error outside the runner (key lookup, web chat): mapped as the runner maps
    it (busy, no schema, constraints), or the generic 500 for anything else."""
    err = domain_error_for(exc)
    if err is None:
        raise exc
    return await _domain_error(request, err)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own refusals (no such path, wrong method) in the same error shape."""
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    resp = error_response(exc.status_code, {"code": code, "message": exc.detail, "field": None})
    resp.headers.update(exc.headers or {})
    return resp


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's validation of the other routes' parameters (the tool routes leave theirs to the
    runner), reshaped like the runner's InvalidInput (same field paths)."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "message": str(e.get("msg"))}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"field": "", "message": "invalid request"}
    field = first["field"] or None
    if first["message"].startswith("JSON decode error"):
        field = None
    err = InvalidInput(
        f"{field}: {first['message']}" if field else first["message"],
        field=field,
        details={"errors": errors},
    )
    return error_response(422, err.to_dict())


class CatchAll:
    """Last line: an unexpected exception becomes a generic 500 body. The traceback goes to the
    server log only; the response never carries exception text (it may hold SQL or secrets)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            body = json.dumps(
                {
                    "error": {
                        "code": "internal_error",
                        "message": "Something went wrong on our side.",
                        "field": None,
                    }
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})


# --- routes ------------------------------------------------------------------------------------


def _add_fixed_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["meta"], responses={503: {"model": Health}})
    async def healthz(container: ContainerDep) -> Any:
        """Liveness and database reachability, for load balancers and `make run` checks."""
        try:
            await container.db.ping()  # a read: never waits for a writer
        except Exception:
            log.exception("health check: database unreachable")
            return JSONResponse(
                status_code=503,
                content=Health(
                    status="unavailable",
                    version=app_version(),
                    database=container.db.dialect,
                ).model_dump(),
            )
        return Health(status="ok", version=app_version(), database=container.db.dialect)

    @app.get("/api/tools", tags=["meta"], responses=ERROR_RESPONSES)
    async def list_tools(container: ContainerDep, actor: CurrentActor) -> ToolList:
        """The tools the caller's role may use, with their input schemas."""
        return ToolList(
            tools=[ToolInfo(**t.describe()) for t in container.registry.for_role(actor.role)]
        )


def _add_fallback_route(app: FastAPI) -> None:
    """Registered last: Starlette matches routes in order, so typed tool routes win."""

    @app.post("/api/tools/{name}", include_in_schema=False)
    async def unknown_tool(name: str, container: ContainerDep, actor: CurrentActor) -> Any:
        # Every registered tool has its own route above; this only answers for unknown names,
        # through the runner so the refusal is audited like any other call.
        return await container.runner.call(name, {}, actor, surface=SURFACE)


def create_app(source: Settings | Container | None = None) -> FastAPI:
    """Builds the app. With no argument (uvicorn ``--factory``) the settings are loaded here, at
    start, not at import. The app owns the container: its lifespan closes the database."""
    if source is None:
        source = load_settings()
    container = source if isinstance(source, Container) else Container.create(source)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await container.aclose()

    app = FastAPI(
        title=f"{container.settings.shop_name} — shopbot API",
        version=app_version(),
        description="Every shopbot tool as an endpoint. Authenticate with "
        "`Authorization: Bearer <staff API key>`; your role decides which tools you may call.",
        lifespan=lifespan,
        docs_url=None,  # served from local assets by add_docs_routes: no CDN
        redoc_url=None,
    )
    app.state.container = container
    app.state.api_keys = keys = KeyCache(container.db)
    container.runner.on_commit(keys.tool_committed)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _driver_error)
    app.add_exception_handler(sqlite3.Error, _driver_error)
    app.add_middleware(CatchAll)
    if proxies := proxy_list(container.settings.trusted_proxies):
        # Only then is the client's address taken from X-Forwarded-For (uvicorn itself is run
        # with proxy_headers=False: by default it believes any proxy at 127.0.0.1).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
    app.add_middleware(
        BodyLimit,
        max_bytes=container.settings.max_body_bytes,
        # An image upload is base64 JSON: the image limit plus room for the other fields.
        per_path={"/api/tools/upload_product_image": MAX_IMAGE_BYTES * 4 // 3 + 64 * 1024},
    )
    # One conversation service for the web chat and the platforms (one LLM agent, one
    # breaker, one set of per-chat locks); the web chat's router closes its agent.
    chat = default_chat(container)
    app.include_router(chat_router(container, chat=chat))  # the customer web chat at /
    app.include_router(staff_router(container))  # the staff page at /staff (bot/staff)
    # Telegram, Messenger, Zalo OA and order notifications
    install_channels(app, container, hub=ChannelHub.build(container, chat))
    install_reminders(app, container)  # "we have not forgotten you" to waiting customers
    _add_fixed_routes(app)
    add_docs_routes(app)
    add_media_routes(app, container.settings.media_dir)
    add_tool_routes(app, container, ERROR_RESPONSES)
    _add_fallback_route(app)
    return app

"""One POST route per tool: documented from its types, served without FastAPI's request cycle.

The OpenAPI document comes from a typed signature (the input model as the body, the output
model as the response), so /docs shows every tool's schemas. Serving a call does not go
through that signature: FastAPI would solve its dependencies, validate the body against the
input model and then validate the runner's result against the output model again, all of which
the runner already does (its validation is the one every surface shares: unknown fields at any
depth, control characters, huge integers). ``ToolRoute`` parses the JSON body once, takes the
caller from the key cache, hands the arguments to the runner and writes the output model's JSON
straight into the response. The answers are those of the typed route: the caller's role is
checked before the input (403 before 422), a body that is not a JSON object is refused as FastAPI
refused it, and every refusal of a known caller is audited.
"""

from __future__ import annotations

import email.message
import functools
import inspect
import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Body, FastAPI, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from bot.container import Container
from bot.http.keys import BearerDep, KeyCache, bearer_key
from core.errors import DomainError, InvalidInput
from core.roles import Actor
from tools.registry import Tool

SURFACE = "http"
PREFIX = "/api/tools/"
NOT_AN_OBJECT = "Input should be a valid dictionary or object to extract fields from"


class _NoBody:
    """No body was sent (FastAPI's ``Undefined``); distinct from a JSON ``null``."""


NO_BODY = _NoBody()


class ToolRoute(APIRoute):
    """A tool's route: FastAPI documents it from the endpoint's signature; requests are served
    by ``serve_tool`` (the endpoint itself is never called)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        name = self.operation_id
        assert name is not None  # add_tool_routes sets it to the tool's name

        async def handle(request: Request) -> Response:
            return await serve_tool(request, name)

        return handle


class ToolIndex(BaseRoute):
    """Placed first in the router: finds a tool's route by its path in a dict. Starlette tries
    routes in order, and the tool routes came after the chat, staff, channel and docs routers
    (a regular expression or a nested router each): about 45 tries per call."""

    def __init__(self, routes: dict[str, ToolRoute]) -> None:
        self.routes = routes

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        route = self.routes.get(scope["path"]) if scope["type"] == "http" else None
        if route is None:
            return Match.NONE, {}
        return route.matches(scope)  # PARTIAL for another method: the router answers 405

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.routes[scope["path"]].handle(scope, receive, send)


async def serve_tool(request: Request, name: str) -> Response:
    container: Container = request.app.state.container
    keys: KeyCache = request.app.state.api_keys
    key = bearer_key(request.headers.get("authorization"))
    t = container.registry.get(name)
    sent = await _json_body(request, container, keys, key, name)
    actor = await keys.actor(key)
    if not t.allows(actor.role):  # refused (and audited) by the runner, before any input check
        await container.runner.call(name, _as_sent(sent), actor, surface=SURFACE)
    if isinstance(sent, _NoBody) or (sent is None and not _body_required(t)):
        if _body_required(t):
            await _refuse(container, actor, name, None, "Field required")
        sent = {}
    if not isinstance(sent, dict):
        await _refuse(container, actor, name, sent, NOT_AN_OBJECT)
    result = await container.runner.call(name, sent, actor, surface=SURFACE)
    return Response(_output_json(t).dump_json(result, by_alias=True), media_type="application/json")


async def _json_body(
    request: Request, container: Container, keys: KeyCache, key: str | None, name: str
) -> Any:
    """The body as FastAPI reads it: JSON when declared as JSON, else the bytes (which no tool
    accepts); ``NO_BODY`` when empty. Undecodable JSON is refused before authentication (as
    FastAPI does), still audited when the key is good."""
    raw = await request.body()
    if not raw:
        return NO_BODY
    if not _declares_json(request.headers.get("content-type")):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        err = InvalidInput(
            "JSON decode error",
            field=None,
            details={"errors": [{"field": str(exc.pos), "message": "JSON decode error"}]},
        )
        try:
            actor = await keys.actor(key)
        except DomainError:
            raise err from None  # not authenticated: nothing to attribute
        await container.runner.record_refusal(actor, name, {"body": exc.doc[:2000]}, SURFACE, err)
        raise err from None
    except ValueError:  # not UTF-8/16/32
        raise HTTPException(400, "There was an error parsing the body") from None


def _as_sent(sent: object) -> dict[str, Any]:
    """The arguments a refused caller sent, for the audit row: JSON whatever the content type."""
    if isinstance(sent, bytes):
        try:
            sent = json.loads(sent)
        except ValueError:
            return {}
    return sent if isinstance(sent, dict) else {}


@functools.lru_cache(maxsize=64)
def _declares_json(content_type: str | None) -> bool:
    """``application/json`` or ``application/*+json``, parameters allowed (FastAPI's rule)."""
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


async def _refuse(
    container: Container, actor: Actor, name: str, sent: object, message: str
) -> None:
    """A body that is no JSON object at all, refused in FastAPI's words and audited."""
    err = InvalidInput(message, field=None, details={"errors": [{"field": "", "message": message}]})
    await container.runner.record_refusal(actor, name, {"body": str(sent)[:2000]}, SURFACE, err)
    raise err


@functools.cache
def _body_required(t: Tool[Any, Any]) -> bool:
    """A tool whose input has no required field may be called with no body at all."""
    model: type[BaseModel] = t.input_model
    return any(f.is_required() for f in model.model_fields.values())


@functools.cache
def _output_json(t: Tool[Any, Any]) -> TypeAdapter[Any]:
    """Writes the output model as FastAPI wrote a ``response_model`` (by alias), without
    validating the runner's result a second time."""
    return TypeAdapter(t.output_model)


def _documented_endpoint(t: Tool[Any, Any]) -> Callable[..., Any]:
    """The signature FastAPI documents: the bearer key (the security scheme), the input model as
    the JSON body (optional when no field is required) and the output model as the response."""

    async def endpoint(**_: Any) -> Any:
        raise AssertionError("served by ToolRoute.get_route_handler")

    model = t.input_model
    body = Annotated[model, Body()] if _body_required(t) else Annotated[model | None, Body()]
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        parameters=[
            inspect.Parameter("creds", inspect.Parameter.KEYWORD_ONLY, annotation=BearerDep),
            inspect.Parameter(
                "body",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=body,
                default=inspect.Parameter.empty if _body_required(t) else None,
            ),
        ],
        return_annotation=t.output_model,
    )
    endpoint.__name__ = f"tool_{t.name}"
    return endpoint


def _tag(t: Tool[Any, Any]) -> str:
    return t.fn.__module__.rsplit(".", 1)[-1]


def add_tool_routes(
    app: FastAPI, container: Container, responses: dict[int | str, dict[str, Any]]
) -> None:
    index: dict[str, ToolRoute] = {}
    for t in container.registry.all():
        roles = ", ".join(sorted(r.value for r in t.roles)) or "system only"
        app.router.add_api_route(
            f"{PREFIX}{t.name}",
            _documented_endpoint(t),
            methods=["POST"],
            response_model=t.output_model,
            summary=t.name,
            description=f"{t.description}\n\nRoles: {roles}.",
            operation_id=t.name,
            tags=[_tag(t)],
            responses=responses,
            route_class_override=ToolRoute,
        )
        route = app.router.routes[-1]
        assert isinstance(route, ToolRoute)
        index[route.path] = route
    app.router.routes.insert(0, ToolIndex(index))

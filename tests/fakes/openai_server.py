"""A fake OpenAI-compatible chat completions server for tests, at the HTTP boundary.

The agent under test talks to it with the real ``ChatOpenAI`` client over real HTTP, so the
request the fake sees is exactly what OpenAI would see. The fake refuses what OpenAI refuses
(no or wrong bearer key, missing ``model``/``messages``, malformed tool definitions, tool
messages that answer no tool call, unknown request arguments) in OpenAI's error shape, and
answers from a script: each request consumes the next scripted step (an assistant text, tool
calls, an HTTP error, or a hang past the client's timeout).

Like the scripted model double of openai-agents, it fails the test when a scripted step is left
unused or when a request arrives with no step left: those are recorded as problems and raised
by ``verify()`` at fixture teardown, because the agent under test may well swallow the HTTP
error the fake answered with (that is its job) and the test would otherwise pass.

Benchmarks need the opposite: an endless stream of plain answers with a model-like latency.
``FakeOpenAI(default=Text(..., latency=0.3))`` answers that step whenever the script is empty
(no problem recorded), counts what it served, and exposes ``GET /_fake/stats``. Run it in its
own process (``python -m tests.fakes.openai_server --latency 0.3``) so the fake's work does not
share the interpreter lock of the process being measured. Without ``default`` nothing changes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import re
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
# Request arguments the chat completions endpoint knows; anything else is a 400 there.
KNOWN_ARGS = frozenset(
    {
        "model",
        "messages",
        "audio",
        "frequency_penalty",
        "function_call",
        "functions",
        "logit_bias",
        "logprobs",
        "max_completion_tokens",
        "max_tokens",
        "metadata",
        "modalities",
        "n",
        "parallel_tool_calls",
        "prediction",
        "presence_penalty",
        "prompt_cache_key",
        "reasoning_effort",
        "response_format",
        "safety_identifier",
        "seed",
        "service_tier",
        "stop",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "user",
        "verbosity",
        "web_search_options",
    }
)


# --------------------------------------------------------------------------------- the script


@dataclass(frozen=True)
class Text:
    """The assistant answers with text and stops."""

    content: str
    latency: float = 0.0


@dataclass(frozen=True)
class Call:
    """One tool call. ``arguments`` as a dict is sent as JSON; a str is sent as is (so a test
    can send malformed JSON or wrong types exactly as a model would)."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class ToolCalls:
    """The assistant calls tools. A call to a tool the request did not offer is a mistake in
    the script unless ``allow_unoffered`` (a model that names a tool it was never given)."""

    calls: tuple[Call, ...]
    content: str | None = None
    latency: float = 0.0
    allow_unoffered: bool = False

    def __init__(
        self,
        *calls: Call,
        content: str | None = None,
        latency: float = 0.0,
        allow_unoffered: bool = False,
    ) -> None:
        object.__setattr__(self, "calls", tuple(calls))
        object.__setattr__(self, "content", content)
        object.__setattr__(self, "latency", latency)
        object.__setattr__(self, "allow_unoffered", allow_unoffered)


@dataclass(frozen=True)
class Fail:
    """An HTTP error in OpenAI's shape: 500, 503, 429 (with Retry-After), 401..."""

    status: int = 500
    message: str = "The server had an error while processing your request."
    type: str = "server_error"
    code: str | None = None
    retry_after: float | None = None
    latency: float = 0.0


@dataclass(frozen=True)
class Hang:
    """Sleeps past the client's timeout (the client gives up first), then answers 500."""

    seconds: float = 5.0


Step = Text | ToolCalls | Fail | Hang
StepFn = Callable[["RecordedRequest"], Step]


# ---------------------------------------------------------------------------- what was asked


@dataclass
class RecordedRequest:
    """One request as received: headers, body, and helpers to read it."""

    headers: dict[str, str]
    body: dict[str, Any]
    at: float

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])

    @property
    def tools(self) -> list[dict[str, Any]]:
        return list(self.body.get("tools") or [])

    @property
    def tool_names(self) -> list[str]:
        return [t["function"]["name"] for t in self.tools]

    def system_text(self) -> str:
        return "\n".join(
            _text(m.get("content"))
            for m in self.messages
            if m.get("role") in ("system", "developer")
        )

    def tool_results(self, name: str | None = None) -> list[tuple[str, str]]:
        """(tool name, content) of every tool message, oldest first (optionally one tool's)."""
        names: dict[str, str] = {}
        out = []
        for m in self.messages:
            for c in m.get("tool_calls") or []:
                names[c["id"]] = c["function"]["name"]
            if m.get("role") == "tool":
                tool = names.get(m.get("tool_call_id", ""), "?")
                if name is None or tool == name:
                    out.append((tool, _text(m.get("content"))))
        return out

    def last_tool_json(self, name: str) -> Any:
        """The last result of tool ``name`` parsed as JSON (the agent sends JSON results)."""
        results = self.tool_results(name)
        if not results:
            raise LookupError(f"no {name} result in the request")
        return json.loads(results[-1][1])

    def last_user_text(self) -> str:
        for m in reversed(self.messages):
            if m.get("role") == "user":
                return _text(m.get("content"))
        return ""


class Conversation:
    """A benchmark's model: the same tool-calling conversation for every chat, stateless.

    Each request gets the step for the number of tool rounds since its last user message
    (step 0 answers the user, step 1 the first tool results, ...), so any number of chats can
    run at once; after the last step the default text answers. A string argument
    ``"$tool:path.to.value"`` is read from that tool's last result in the request (e.g.
    ``"$search_products:results.0.product_id"``), as a model would copy an id it was shown.
    The file form (``--script``) is a JSON list of ``{"text": ...}`` or ``{"calls": [{"name":
    ..., "arguments": {...}}]}`` items.
    """

    def __init__(self, steps: list[dict[str, Any]], latency: float) -> None:
        for i, item in enumerate(steps):
            if not isinstance(item, dict) or not ({"text", "calls"} & item.keys()):
                raise ValueError(f"script step {i} needs 'text' or 'calls'")
        self.steps = steps
        self.latency = latency

    def __call__(self, req: RecordedRequest, fallback: Text) -> Step:
        rounds = 0
        for m in reversed(req.messages):
            if m.get("role") == "user":
                break
            if m.get("role") == "assistant" and m.get("tool_calls"):
                rounds += 1
        if rounds >= len(self.steps):
            return fallback
        item = self.steps[rounds]
        if "text" in item:
            return Text(str(item["text"]), latency=self.latency)
        calls = tuple(
            Call(c["name"], _resolve(c.get("arguments") or {}, req)) for c in item["calls"]
        )
        return ToolCalls(*calls, latency=self.latency)


def _resolve(value: Any, req: RecordedRequest) -> Any:
    if isinstance(value, dict):
        return {k: _resolve(v, req) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, req) for v in value]
    if isinstance(value, str) and value.startswith("$") and ":" in value:
        tool, _, path = value[1:].partition(":")
        found: Any = req.last_tool_json(tool)
        for part in path.split(".") if path else []:
            found = found[int(part)] if isinstance(found, list) else found[part]
        return found
    return value


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


class ContractError(Exception):
    """A request OpenAI would refuse; becomes a 4xx in OpenAI's error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = (
            status,
            message,
            type_,
            code,
            param,
        )


def error_body(
    message: str, type_: str, code: str | None, param: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


# ----------------------------------------------------------------------------- the validation


def check_request(body: Any) -> None:
    """Raises ContractError for what the real endpoint refuses."""
    if not isinstance(body, dict):
        raise ContractError(400, "We could not parse the JSON body of your request.")
    unknown = sorted(set(body) - KNOWN_ARGS)
    if unknown:
        raise ContractError(400, f"Unrecognized request argument supplied: {unknown[0]}")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ContractError(400, "you must provide a model parameter", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ContractError(
            400,
            "Invalid 'messages': empty array. Expected an array with minimum length 1.",
            code="empty_array",
            param="messages",
        )
    _check_messages(messages)
    tools = body.get("tools")
    names = _check_tools(tools) if tools is not None else set()
    _check_tool_choice(body.get("tool_choice"), names)
    temperature = body.get("temperature")
    if temperature is not None and not (
        isinstance(temperature, int | float) and 0 <= temperature <= 2
    ):
        raise ContractError(
            400,
            "Invalid 'temperature': expected a number between 0 and 2.",
            code="decimal_above_max_value",
            param="temperature",
        )
    if body.get("n") not in (None, 1):
        raise ContractError(400, "This fake answers one choice only (n=1).", param="n")


def _check_messages(messages: list[Any]) -> None:
    open_calls: list[str] = []  # tool call ids still waiting for their tool message
    for i, m in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            raise ContractError(400, f"Invalid value for '{where}.role'.", param=f"{where}.role")
        role = m["role"]
        if open_calls and role != "tool":
            raise ContractError(
                400,
                "An assistant message with 'tool_calls' must be followed by tool messages "
                f"responding to each 'tool_call_id'. The following tool_call_ids did not have "
                f"response messages: {', '.join(open_calls)}",
                param="messages",
            )
        if role == "tool":
            call_id = m.get("tool_call_id")
            if not isinstance(call_id, str) or call_id not in open_calls:
                raise ContractError(
                    400,
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceeding message with 'tool_calls'.",
                    param=f"{where}.role",
                )
            open_calls.remove(call_id)
            if not isinstance(m.get("content"), str | list):
                raise ContractError(
                    400, f"Missing required parameter: '{where}.content'.", param=f"{where}.content"
                )
        elif role == "assistant":
            calls = m.get("tool_calls") or []
            if m.get("content") is None and not calls:
                raise ContractError(
                    400, f"Missing required parameter: '{where}.content'.", param=f"{where}.content"
                )
            for c in calls:
                fn = c.get("function") if isinstance(c, dict) else None
                if (
                    not isinstance(fn, dict)
                    or c.get("type") != "function"
                    or not isinstance(c.get("id"), str)
                    or not isinstance(fn.get("arguments"), str)
                    or not TOOL_NAME.match(str(fn.get("name", "")))
                ):
                    raise ContractError(
                        400, f"Invalid '{where}.tool_calls'.", param=f"{where}.tool_calls"
                    )
                open_calls.append(c["id"])
        elif not isinstance(m.get("content"), str | list):
            raise ContractError(
                400, f"Missing required parameter: '{where}.content'.", param=f"{where}.content"
            )
    if open_calls:
        raise ContractError(
            400,
            "An assistant message with 'tool_calls' must be followed by tool messages "
            f"responding to each 'tool_call_id'. The following tool_call_ids did not have "
            f"response messages: {', '.join(open_calls)}",
            param="messages",
        )


def _check_tools(tools: Any) -> set[str]:
    if not isinstance(tools, list):
        raise ContractError(400, "Invalid type for 'tools': expected an array.", param="tools")
    if len(tools) > 128:
        raise ContractError(400, "Invalid 'tools': array too long (128 at most).", param="tools")
    names: set[str] = set()
    for i, t in enumerate(tools):
        where = f"tools[{i}]"
        fn = t.get("function") if isinstance(t, dict) else None
        if not isinstance(t, dict) or t.get("type") != "function" or not isinstance(fn, dict):
            raise ContractError(400, f"Invalid value for '{where}'.", param=where)
        name = fn.get("name")
        if not isinstance(name, str) or not TOOL_NAME.match(name):
            raise ContractError(
                400,
                f"Invalid '{where}.function.name': string does not match "
                "pattern '^[a-zA-Z0-9_-]+$'.",
                param=f"{where}.function.name",
            )
        if "description" in fn and not isinstance(fn["description"], str):
            raise ContractError(
                400,
                f"Invalid type for '{where}.function.description'.",
                param=f"{where}.function.description",
            )
        params = fn.get("parameters")
        if params is not None and (not isinstance(params, dict) or params.get("type") != "object"):
            raise ContractError(
                400,
                f"Invalid schema for function '{name}': schema must be a "
                "JSON Schema of 'type: \"object\"'.",
                code="invalid_function_parameters",
                param=f"{where}.function.parameters",
            )
        names.add(name)
    return names


def _check_tool_choice(choice: Any, names: set[str]) -> None:
    if choice is None or choice in ("none", "auto", "required"):
        return
    if isinstance(choice, dict) and choice.get("type") == "function":
        name = (choice.get("function") or {}).get("name")
        if name in names:
            return
    raise ContractError(400, "Invalid value for 'tool_choice'.", param="tool_choice")


# -------------------------------------------------------------------------------- the server


class FakeOpenAI:
    """The scripted state one test works with; the server thread reads it under a lock.

    ``default``: the step served when the script is empty (benchmarks); None keeps the strict
    test behaviour (an unscripted request is a problem). In default mode only the first
    ``keep_requests`` requests are kept, so a long benchmark does not hoard request bodies;
    ``served`` counts them all.
    """

    def __init__(
        self,
        api_key: str,
        *,
        default: Text | None = None,
        keep_requests: int = 1000,
        conversation: Conversation | None = None,
    ) -> None:
        self.api_key = api_key
        self.base_url = ""
        self.default = default
        self.conversation = conversation  # default mode only: steps by tool round
        self.request_chars = 0  # default mode: body sizes, for prompt-size benchmarks
        self.request_chars_max = 0
        self.keep_requests = keep_requests
        self.served = 0  # requests that reached the script (valid, authenticated)
        self.handling_seconds = 0.0  # time spent answering them, latency included
        self._lock = threading.Lock()
        self._steps: list[Step | StepFn] = []
        self.requests: list[RecordedRequest] = []
        self.rejected: list[tuple[int, dict[str, Any]]] = []  # 4xx answers (status, body)
        self.problems: list[str] = []
        self.closing = False  # set at shutdown: hanging handlers give up

    def script(self, *steps: Step | StepFn) -> None:
        """Appends steps; a callable step is called with the request to build its answer
        (e.g. to place the order with the quote token the tool returned)."""
        with self._lock:
            self._steps.extend(steps)

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._steps)

    def reset(self) -> None:
        with self._lock:
            self._steps.clear()
            self.requests.clear()
            self.rejected.clear()
            self.problems.clear()

    def verify(self) -> None:
        """Fails the test for unused steps and for requests that found no step."""
        with self._lock:
            problems = list(self.problems)
            if self._steps:
                problems.append(
                    f"{len(self._steps)} scripted step(s) left unused: "
                    f"{[_describe(s) for s in self._steps]}"
                )
        if problems:
            pytest.fail("fake OpenAI server: " + "; ".join(problems), pytrace=False)

    def stats(self) -> dict[str, Any]:
        """What a benchmark reads from outside the process (``GET /_fake/stats``)."""
        with self._lock:
            return {
                "served": self.served,
                "handling_seconds": self.handling_seconds,
                "rejected": len(self.rejected),
                "problems": list(self.problems),
                "request_chars": self.request_chars,
                "request_chars_max": self.request_chars_max,
            }

    def _next(self, req: RecordedRequest) -> Step | None:
        with self._lock:
            self.served += 1
            if self.default is None or len(self.requests) < self.keep_requests:
                self.requests.append(req)
            if not self._steps and self.default is not None:
                size = len(json.dumps(req.body, ensure_ascii=False))
                self.request_chars += size
                self.request_chars_max = max(self.request_chars_max, size)
                if self.conversation is None:
                    return self.default
                conversation, default = self.conversation, self.default
                step: Step | StepFn | None = None
            elif not self._steps:
                self.problems.append(
                    f"request #{len(self.requests)} arrived with no scripted step left "
                    f"(last user text: {req.last_user_text()[:80]!r})"
                )
                return None
            else:
                step = self._steps.pop(0)
        if step is None:
            try:
                return conversation(req, default)
            except (LookupError, ValueError, TypeError, KeyError, IndexError) as exc:
                self._problem(f"conversation step failed: {type(exc).__name__}: {exc}")
                return None
        if callable(step):
            try:
                step = step(req)
            except Exception as exc:
                with self._lock:
                    self.problems.append(
                        f"scripted step for request #{len(self.requests)} "
                        f"failed: {type(exc).__name__}: {exc}"
                    )
                return None
        return step

    def _handled(self, seconds: float) -> None:
        with self._lock:
            self.handling_seconds += seconds

    def _problem(self, text: str) -> None:
        with self._lock:
            self.problems.append(text)


def _describe(step: Any) -> str:
    if isinstance(step, Text):
        return f"Text({step.content[:30]!r})"
    if isinstance(step, ToolCalls):
        return f"ToolCalls({[c.name for c in step.calls]})"
    return type(step).__name__ if not callable(step) else getattr(step, "__name__", "fn")


def _completion(model: str, step: Text | ToolCalls) -> dict[str, Any]:
    if isinstance(step, Text):
        message: dict[str, Any] = {"role": "assistant", "content": step.content, "refusal": None}
        finish = "stop"
        completion_tokens = max(1, len(step.content) // 4)
    else:
        message = {
            "role": "assistant",
            "content": step.content,
            "refusal": None,
            "tool_calls": [
                {
                    "id": c.id or f"call_{secrets.token_hex(8)}",
                    "type": "function",
                    "function": {
                        "name": c.name,
                        "arguments": c.arguments
                        if isinstance(c.arguments, str)
                        else json.dumps(c.arguments, ensure_ascii=False),
                    },
                }
                for c in step.calls
            ],
        }
        finish = "tool_calls"
        completion_tokens = 10 * len(step.calls)
    return {
        "id": f"chatcmpl-{secrets.token_hex(12)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": 100,
            "completion_tokens": completion_tokens,
            "total_tokens": 100 + completion_tokens,
        },
        "system_fingerprint": "fp_fake",
    }


def build_app(fake: FakeOpenAI) -> Starlette:
    def refuse(
        status: int,
        message: str,
        type_: str,
        code: str | None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> JSONResponse:
        body = error_body(message, type_, code, param)
        if 400 <= status < 500 and status != 429:
            fake.rejected.append((status, body))
        return JSONResponse(body, status_code=status, headers=headers)

    async def completions(request: Request) -> JSONResponse:
        started = time.monotonic()
        try:
            return await answer(request)
        finally:
            fake._handled(time.monotonic() - started)

    async def answer(request: Request) -> JSONResponse:
        auth = request.headers.get("authorization", "")
        if auth != f"Bearer {fake.api_key}":
            return refuse(
                401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
            )
        try:
            body = json.loads(await request.body())
        except ValueError:
            return refuse(
                400,
                "We could not parse the JSON body of your request.",
                "invalid_request_error",
                None,
            )
        try:
            check_request(body)
        except ContractError as exc:
            return refuse(exc.status, exc.message, exc.type, exc.code, exc.param)
        if body.get("stream"):
            fake._problem("the client asked for streaming, which this fake does not script")
            return refuse(400, "stream is not supported by the fake", "invalid_request_error", None)
        req = RecordedRequest(dict(request.headers), body, time.monotonic())
        step = fake._next(req)
        if step is None:
            return refuse(500, "No scripted step left.", "server_error", None)
        if isinstance(step, Hang):
            deadline = time.monotonic() + step.seconds
            while time.monotonic() < deadline and not fake.closing:  # noqa: ASYNC110 (set from the test thread)
                await asyncio.sleep(0.02)
            return refuse(500, "The fake hung on purpose.", "server_error", None)
        if step.latency:
            await asyncio.sleep(step.latency)
        if isinstance(step, Fail):
            headers = {"retry-after": str(step.retry_after)} if step.retry_after else None
            return refuse(step.status, step.message, step.type, step.code, headers=headers)
        if isinstance(step, ToolCalls) and not step.allow_unoffered:
            offered = set(req.tool_names)
            for c in step.calls:
                if c.name not in offered:
                    fake._problem(
                        f"scripted call to {c.name}, which the request did not offer "
                        f"(offered: {sorted(offered)})"
                    )
        return JSONResponse(_completion(body["model"], step))

    async def not_found(request: Request) -> JSONResponse:
        return refuse(
            404, f"Invalid URL ({request.method} {request.url.path})", "invalid_request_error", None
        )

    async def stats(_request: Request) -> JSONResponse:
        return JSONResponse(fake.stats())

    # The stats route exists only in default (benchmark) mode: the strict fake stays a 404
    # for every path OpenAI does not have.
    bench_routes = [Route("/_fake/stats", stats, methods=["GET"])] if fake.default else []
    return Starlette(
        routes=[
            Route("/v1/chat/completions", completions, methods=["POST"]),
            *bench_routes,
            Route("/{path:path}", not_found, methods=["GET", "POST", "PUT", "DELETE"]),
        ]
    )


class FakeOpenAIServer:
    """Runs the app with uvicorn on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, api_key: str = "sk-test-fake", *, default: Text | None = None) -> None:
        self.fake = FakeOpenAI(api_key, default=default)
        config = uvicorn.Config(
            build_app(self.fake),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=60,  # no idle-close racing the client's pooled connection
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="fake-openai", daemon=True)

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake OpenAI server did not start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.fake.base_url = f"http://127.0.0.1:{port}/v1"
        return self

    def stop(self) -> None:
        self.fake.closing = True
        self._server.should_exit = True
        self._thread.join(timeout=5)


@contextlib.contextmanager
def running_server(api_key: str = "sk-test-fake") -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer(api_key).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def openai_server() -> Iterator[FakeOpenAIServer]:
    """One server per test session; each test gets it reset through ``fake_openai``."""
    with running_server() as server:
        yield server


@pytest.fixture
def fake_openai(openai_server: FakeOpenAIServer) -> Iterator[FakeOpenAI]:
    """The fake for one test: an empty script, and a failed test if the script is not used
    up exactly (checked after the test body)."""
    fake = openai_server.fake
    fake.reset()
    yield fake
    fake.verify()
    fake.reset()


# ------------------------------------------------------------------ a process of its own


def serve_forever(
    *,
    api_key: str,
    reply: str,
    latency: float,
    host: str = "127.0.0.1",
    port: int = 0,
    conversation: Conversation | None = None,
) -> None:
    """Runs the fake in default mode in this process until SIGINT/SIGTERM (uvicorn handles
    both). The listening socket is bound before anything is printed, so the line
    ``READY <base_url>`` on stdout means connections are accepted (queued until uvicorn runs)."""
    # Nothing kept, and the start-up heap frozen: a benchmark's "LLM" must not add garbage
    # collection pauses of its own to the latency it is used to measure.
    fake = FakeOpenAI(
        api_key,
        default=Text(reply, latency=latency),
        keep_requests=0,
        conversation=conversation,
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(4096)
    bound = sock.getsockname()[1]
    fake.base_url = f"http://{host}:{bound}/v1"
    config = uvicorn.Config(
        build_app(fake),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
        timeout_keep_alive=60,
        backlog=4096,
    )
    server = uvicorn.Server(config)
    gc.collect()
    gc.freeze()
    print(f"READY {fake.base_url}", flush=True)
    server.run(sockets=[sock])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The fake OpenAI server, answering one text.")
    parser.add_argument("--api-key", default="sk-test-fake")
    parser.add_argument("--reply", default="Dạ, shop còn hàng ạ. Bạn cần size nào ạ?")
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per completion")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument(
        "--script", help="a JSON file: the tool-calling conversation every chat gets (Conversation)"
    )
    args = parser.parse_args(argv)
    if args.latency < 0:
        parser.error("--latency must be >= 0")
    conversation = None
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            conversation = Conversation(json.load(f), args.latency)
    serve_forever(
        api_key=args.api_key,
        reply=args.reply,
        latency=args.latency,
        port=args.port,
        conversation=conversation,
    )


if __name__ == "__main__":
    main(sys.argv[1:])

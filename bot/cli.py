"""The `shopbot` command line. Every command goes through the registry and runner.

Output contract for scripts: results are JSON on stdout; a refusal prints
``{"error": {"code", "message", "field"}}`` on stdout and exits with code 2; a bad setting prints
``error: SHOPBOT_X: ...`` on stderr and exits with 2 as well. No command prints a traceback
(set SHOPBOT_LOG_LEVEL=DEBUG to see them in the log).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import functools
import importlib
import inspect
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel

from bot.container import Container, SettingsError, configure_logging, load_settings
from bot.settings import Settings
from core.errors import DomainError, InvalidInput
from core.roles import Actor, Role
from storage.base import utcnow
from storage.errors import domain_error_for

if TYPE_CHECKING:
    import uvicorn
from workers.handoff_reminders import remind_once, run_forever

T = TypeVar("T")

SURFACE = "cli"
EXIT_REFUSED = 2
EXIT_INTERNAL = 1

app = typer.Typer(
    name="shopbot",
    help="Chat-first order and inventory system for Vietnamese online sellers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
tool_app = typer.Typer(
    help="List and call tools (the same operations as the chat and API).", no_args_is_help=True
)
staff_app = typer.Typer(help="Staff members and their API keys.", no_args_is_help=True)
catalog_app = typer.Typer(help="Catalogue import and export (CSV or Excel).", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks.", no_args_is_help=True)
outbox_app = typer.Typer(
    help="The outbox of domain events: its consumers and its size.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(tool_app, name="tool")
app.add_typer(staff_app, name="staff")
app.add_typer(catalog_app, name="catalog")
app.add_typer(bench_app, name="bench")
app.add_typer(outbox_app, name="outbox")


# --- output and errors -------------------------------------------------------------------------


def emit(value: Any) -> None:
    """JSON on stdout; Vietnamese text stays readable (no \\u escapes)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def fail(err: dict[str, Any], code: int = EXIT_REFUSED) -> NoReturn:
    emit({"error": err})
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    """The only place the CLI reads configuration; a bad variable stops here, named."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        for line in str(exc).splitlines():
            typer.echo(f"error: {line}", err=True)
        raise typer.Exit(EXIT_REFUSED) from None
    configure_logging(settings.log_level, tracebacks=False)
    return settings


def run_with_container(
    work: Callable[[Container], Awaitable[T]], settings: Settings | None = None
) -> T:
    """Builds the container, runs ``work``, closes it; refusals become the error JSON, anything
    else a generic internal error (exit 1) without a traceback."""
    settings = settings or settings_or_exit()

    async def main() -> T:
        container = Container.create(settings)
        try:
            return await work(container)
        finally:
            await container.aclose()

    try:
        return asyncio.run(main())
    except DomainError as exc:
        fail(exc.to_dict())
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:  # never a traceback on a terminal
        mapped = domain_error_for(exc)  # busy, never migrated: said as a refusal
        if mapped is not None:
            fail(mapped.to_dict())
        fail(
            {
                "code": "internal_error",
                "field": None,
                "message": f"Unexpected {type(exc).__name__}; run with SHOPBOT_LOG_LEVEL=DEBUG "
                "for details.",
            },
            EXIT_INTERNAL,
        )


def call_tool(name: str, args: dict[str, Any], actor: Actor | None = None) -> dict[str, Any]:
    """One tool call through the runner (as the system actor unless told otherwise)."""

    async def work(c: Container) -> dict[str, Any]:
        result = await c.runner.call(name, args, actor or Actor.system(), surface=SURFACE)
        return result.model_dump(mode="json")

    return run_with_container(work)


def parse_actor(text: str) -> Actor:
    """``owner`` ... ``system``, or ``customer:ID`` (the id a channel would bind)."""
    value = text.strip().lower()
    if value.startswith("customer:"):
        ident = value.removeprefix("customer:")
        if not ident.isdigit():
            raise InvalidInput("--as customer:ID needs a numeric id.", field="as")
        return Actor.customer(int(ident))
    try:
        role = Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role if r is not Role.CUSTOMER)
        raise InvalidInput(f"--as must be one of {allowed} or customer:ID.", field="as") from None
    if role is Role.CUSTOMER:
        raise InvalidInput("--as customer needs an id: customer:ID.", field="as")
    if role is Role.SYSTEM:
        return Actor.system()
    return Actor(role=role, name="cli")


def parse_args_json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"--args is not valid JSON: {exc.msg} (at {exc.pos}).", field="args"
        ) from None
    if not isinstance(value, dict):
        raise InvalidInput('--args must be a JSON object, e.g. \'{"sku": "AT-01"}\'.', field="args")
    return value


# --- db, serve ---------------------------------------------------------------------------------


def _migrate(settings: Settings) -> str:
    from storage.migrate import upgrade

    try:
        return upgrade(settings.database_url)
    except Exception as exc:
        typer.echo(
            f"error: could not migrate {settings.safe_database_url}: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}",
            err=True,
        )
        raise typer.Exit(EXIT_INTERNAL) from None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations (creates the database on first run)."""
    settings = settings_or_exit()
    outcome = _migrate(settings)
    typer.echo(f"database at {settings.safe_database_url} {_SAID[outcome]}", err=True)


_SAID = {"created": "created", "upgraded": "upgraded", "up to date": "is up to date"}


@outbox_app.command("status")
def outbox_status() -> None:
    """Each consumer of the outbox, where it stands and how many events it has still to read."""
    from storage.outbox import consumers

    async def work(c: Container) -> list[dict[str, Any]]:
        return [dataclasses.asdict(state) for state in await consumers(c.db)]

    emit(run_with_container(work))


@outbox_app.command("prune")
def outbox_prune(
    days: Annotated[int, typer.Option(min=1, help="Keep events younger than this many days")] = 30,
) -> None:
    """Delete events older than DAYS that every consumer has read."""
    from storage.outbox import prune

    async def work(c: Container) -> dict[str, Any]:
        cutoff = utcnow() - timedelta(days=days)
        return {"deleted": await prune(c.db, cutoff), "older_than": cutoff.isoformat()}

    emit(run_with_container(work))


GRACEFUL_SHUTDOWN_SECONDS = 5
KEEP_ALIVE_SECONDS = 75


@app.command()
def serve(
    workers: Annotated[
        bool, typer.Option(help="Run the background workers in this process too")
    ] = True,
) -> None:
    """Run the HTTP API (migrates first). Docs at http://HOST:PORT/docs."""
    settings = settings_or_exit()
    settings.run_workers = workers
    configure_logging(settings.log_level, tracebacks=True)
    _migrate(settings)
    typer.echo(f"shopbot on http://{settings.host}:{settings.port} (API docs at /docs)", err=True)
    from bot.heap import FrozenSetupServer

    FrozenSetupServer(server_config(settings)).run()


def server_config(settings: Settings, *, port: int | None = None) -> uvicorn.Config:
    """How ``serve`` runs the app (tests start the same server on a free port)."""
    import uvicorn

    from bot.http.app import create_app

    return uvicorn.Config(
        functools.partial(create_app, settings),
        factory=True,
        host=settings.host,
        port=settings.port if port is None else port,
        log_level=settings.log_level.lower(),
        log_config=None,  # keep our logging set-up
        # Proxy headers are the app's business (SHOPBOT_TRUSTED_PROXIES); uvicorn's default
        # would believe X-Forwarded-For from anything at 127.0.0.1.
        proxy_headers=False,
        # Open staff pages hold a server-sent-events stream; without a limit a stop would wait
        # for every one of them to close.
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        # Longer than a reverse proxy keeps an idle upstream connection (nginx: 60 s), so the
        # server never closes a kept-alive connection just as the proxy reuses it (a 502 there;
        # a ReadError in the HTTP bench with uvicorn's 5 s).
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


def event_loop_runner() -> asyncio.Runner:
    """The loop ``serve`` gets from uvicorn: uvloop where it is installed (uvicorn[standard]
    brings it). A worker's turn is mostly socket writes and wake-ups (the database, the model,
    the platforms), which uvloop does in C: the chat bench's worker spent 15 % of its CPU in
    the standard loop's socket writes."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


@app.command()
def worker() -> None:
    """Run the background workers alone (order notifications to chat customers); start the
    server with --no-workers then."""
    from bot.channels.app import run_workers

    settings = settings_or_exit()
    configure_logging(settings.log_level, tracebacks=True)
    _migrate(settings)
    if not settings.channels_on():
        typer.echo("No chat channel is configured: there is nobody to notify.", err=True)
        raise typer.Exit(1)
    typer.echo(f"shopbot workers for {', '.join(settings.channels_on())}", err=True)
    with (
        contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError),  # Ctrl-C, SIGTERM
        event_loop_runner() as runner,
    ):
        runner.run(run_workers(settings))


# --- tools -------------------------------------------------------------------------------------


@tool_app.command("list")
def tool_list(
    as_json: Annotated[
        bool, typer.Option("--json", help="Full descriptions with input schemas")
    ] = False,
) -> None:
    """Every tool with its description, roles and input schema."""
    from tools import build_registry

    registry = build_registry()
    if as_json:
        emit([t.describe() for t in registry.all()])
        return
    width = max((len(t.name) for t in registry.all()), default=10)
    for t in registry.all():
        roles = ",".join(sorted(r.value for r in t.roles)) or "system"
        typer.echo(f"{t.name:<{width}}  [{roles}]  {t.description}")


@tool_app.command("call")
def tool_call(
    name: Annotated[str, typer.Argument(help="Tool name (see `shopbot tool list`)")],
    as_: Annotated[
        str,
        typer.Option("--as", help="owner|manager|sales|warehouse|accountant|system or customer:ID"),
    ] = "system",
    args: Annotated[str, typer.Option("--args", help="Tool input as a JSON object")] = "{}",
) -> None:
    """Call a tool and print its JSON result (errors: JSON on stdout, exit code 2)."""
    try:
        actor = parse_actor(as_)
        parsed = parse_args_json(args)
    except DomainError as exc:
        fail(exc.to_dict())
    emit(call_tool(name, parsed, actor))


# --- staff -------------------------------------------------------------------------------------


@staff_app.command("add")
def staff_add(
    name: Annotated[str, typer.Argument(help="The person's name")],
    role: Annotated[str, typer.Option("--role", help="owner|manager|sales|warehouse|accountant")],
    telegram_id: Annotated[
        int | None, typer.Option("--telegram-id", help="Their Telegram user id (staff bot)")
    ] = None,
) -> None:
    """Add a staff member."""
    args: dict[str, Any] = {"name": name, "role": role.strip().lower()}
    if telegram_id is not None:
        args["telegram_user_id"] = telegram_id
    emit(call_tool("add_staff", args))


@staff_app.command("remove")
def staff_remove(name: Annotated[str, typer.Argument(help="The staff member's name")]) -> None:
    """Remove a staff member: keys revoked, sessions closed, Telegram unlinked."""
    emit(call_tool("remove_staff", {"name": name}))


@staff_app.command("login")
def staff_login(
    name: Annotated[str, typer.Argument(help="The staff member's name")],
    minutes: Annotated[int, typer.Option("--minutes", help="How long the link is valid")] = 30,
) -> None:
    """A one-time link that logs this staff member in to the staff page."""
    settings = settings_or_exit()
    link = call_tool(
        "create_staff_link",
        {"staff_name": name, "purpose": "page_login", "valid_minutes": minutes},
    )
    link["url"] = f"http://{settings.host}:{settings.port}/staff#login={link['link_secret']}"
    emit(link)
    typer.echo("Open the url once, before it expires; it logs in only once.", err=True)


@staff_app.command("invite")
def staff_invite(
    name: Annotated[str, typer.Argument(help="The staff member's name")],
    hours: Annotated[int, typer.Option("--hours", help="How long the invite is valid")] = 24,
) -> None:
    """A one-time invite that links the Telegram account that opens it (staff bot /start)."""
    link = call_tool(
        "create_staff_link",
        {"staff_name": name, "purpose": "telegram_invite", "valid_minutes": hours * 60},
    )
    link["telegram_command"] = f"/start {link['link_secret']}"
    emit(link)


@staff_app.command("add-key")
def staff_add_key(
    name: Annotated[str, typer.Argument(help="The staff member's name")],
    label: Annotated[str, typer.Option("--label", help="What the key is for")] = "",
) -> None:
    """Create an API key for a staff member; it is printed once, keep it safe."""
    emit(call_tool("create_api_key", {"staff_name": name, "label": label}))
    typer.echo("This key is shown only once; shopbot stores only its hash.", err=True)


@staff_app.command("list")
def staff_list(
    include_inactive: Annotated[bool, typer.Option("--all", help="Include inactive staff")] = False,
) -> None:
    """Staff members with their roles and key prefixes."""
    emit(call_tool("list_staff", {"include_inactive": include_inactive}))


@staff_app.command("remind")
def staff_remind(
    loop: Annotated[bool, typer.Option("--loop", help="Keep running, a pass a minute")] = False,
) -> None:
    """Tell customers left waiting for a person that they are not forgotten (once each)."""
    settings = settings_or_exit()
    minutes = settings.handoff_reminder_minutes
    if minutes == 0:
        fail({"code": "disabled", "field": None, "message": "SHOPBOT_HANDOFF_REMINDER_MINUTES=0"})

    async def work(c: Container) -> list[int]:
        if loop:
            await run_forever(c.runner, after_minutes=minutes)
            return []
        return await remind_once(c.runner, after_minutes=minutes)

    emit({"reminded_handoff_ids": run_with_container(work, settings)})


# --- demo data, catalogue, bench ---------------------------------------------------------------


@app.command("demo-data")
def demo_data() -> None:
    """Load a demo Vietnamese shop through the tools (does nothing if already loaded)."""

    async def work(c: Container) -> dict[str, Any]:
        from bot.demo_data import load_demo_data

        return await load_demo_data(c.runner)

    emit(run_with_container(work))


_FORMATS = {".csv": "csv", ".xlsx": "xlsx"}


@catalog_app.command("import")
def catalog_import(
    file: Annotated[
        Path,
        typer.Argument(help="A .csv or .xlsx file", exists=True, dir_okay=False, readable=True),
    ],
    skip_bad_rows: Annotated[
        bool, typer.Option("--skip-bad-rows", help="Import the good rows, report the bad")
    ] = False,
) -> None:
    """Import products and variants from a CSV or Excel file."""
    content = base64.b64encode(file.read_bytes()).decode("ascii")
    emit(
        call_tool(
            "import_catalog",
            {"filename": file.name, "content_base64": content, "skip_bad_rows": skip_bad_rows},
        )
    )


@catalog_app.command("export")
def catalog_export(
    file: Annotated[Path, typer.Argument(help="Where to write: .csv or .xlsx")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv|xlsx (default: from the file's extension)")
    ] = None,
) -> None:
    """Export the catalogue to a CSV or Excel file."""
    chosen = (fmt or _FORMATS.get(file.suffix.lower(), "")).lower()
    if chosen not in ("csv", "xlsx"):
        fail(
            InvalidInput(
                "Give a .csv or .xlsx file, or --format csv|xlsx.", field="format"
            ).to_dict()
        )
    result = call_tool("export_catalog", {"format": chosen})
    data = base64.b64decode(result.get("content_base64", ""))
    file.write_bytes(data)
    emit(
        {
            "file": str(file),
            "format": chosen,
            "bytes": len(data),
            **{k: v for k, v in result.items() if k != "content_base64"},
        }
    )


BenchPostgresUrl = Annotated[
    str | None,
    typer.Option(
        "--postgres-url",
        envvar="SHOPBOT_BENCH_POSTGRES_URL",
        help="Also benchmark this disposable PostgreSQL database (its schema is dropped)",
    ),
]


@bench_app.command("orders")
def bench_orders(
    n: Annotated[int, typer.Option("--n", min=1, help="How many orders to place")] = 5000,
    postgres_url: BenchPostgresUrl = None,
) -> None:
    """Order throughput benchmark; it prints its own report (see docs/benchmarks.md)."""
    try:
        module = importlib.import_module("bench.orders")
        run_cli: Callable[..., Any] = module.run_cli
    except (ImportError, AttributeError):
        fail(
            {
                "code": "not_available",
                "field": None,
                "message": "The benchmark (bench.orders.run_cli) is not installed in this build.",
            }
        )
    result = run_cli(n=n, postgres_url=postgres_url)
    if inspect.isawaitable(result):
        result = asyncio.run(_await(result))
    if isinstance(result, int) and not isinstance(result, bool) and result:
        raise typer.Exit(result)


@bench_app.command("http")
def bench_http(
    n: Annotated[int, typer.Option("--n", min=100, help="Calls per tool and path")] = 2000,
) -> None:
    """create_order and get_product through uvicorn (50 clients) next to in-process."""
    from bench.http import run_cli as run_http_bench  # imported lazily: it starts a server

    run_http_bench(n)


@bench_app.command("waiting")
def bench_waiting(
    waiting: Annotated[int, typer.Option("--waiting", min=1, help="Orders waiting")] = 10_000,
    calls: Annotated[int, typer.Option("--calls", min=1, help="adjust_stock calls")] = 200,
    postgres_url: BenchPostgresUrl = None,
) -> None:
    """adjust_stock +1 with many orders waiting for the SKU and with none (docs/benchmarks.md)."""
    from bench.waiting import run_cli as run_waiting_bench

    run_waiting_bench(waiting=waiting, calls=calls, postgres_url=postgres_url)


@bench_app.command("agent")
def bench_agent(
    n: Annotated[int, typer.Option("--n", min=1, help="How many scripted orders to run")] = 20,
) -> None:
    """LLM calls per placed order and prompt size, against the local fake LLM server."""
    from bench.agent import run_cli as run_agent_bench  # imported lazily: it loads langchain

    run_agent_bench(n)


@bench_app.command("chat")
def bench_chat(
    customers: Annotated[
        int, typer.Option("--customers", min=1, help="Simulated customers chatting at once")
    ] = 500,
    messages: Annotated[
        int, typer.Option("--messages", min=1, help="Messages each customer sends")
    ] = 3,
    llm_latency: Annotated[
        float, typer.Option("--llm-latency", min=0.0, help="Seconds the fake LLM takes per call")
    ] = 0.3,
    think_min: Annotated[
        float, typer.Option("--think-min", min=0.0, help="Shortest think time, seconds")
    ] = 10.0,
    think_max: Annotated[
        float, typer.Option("--think-max", min=0.0, help="Longest think time, seconds")
    ] = 30.0,
    seed: Annotated[int, typer.Option("--seed", help="Think times and questions")] = 7,
) -> None:
    """Concurrent customers through the web chat API (real server, fake LLM in its own
    process): throughput, time our code adds beyond the LLM's, peak memory (see
    docs/benchmarks.md). Exits 1 when a message failed or the LLM calls per message could not
    be verified: then the latency numbers mean nothing. A missed target is only reported."""
    # Imported lazily: the bench pulls in httpx and the test suite's fake LLM server.
    from bench.chat import run_cli as run_chat_bench

    try:
        result = run_chat_bench(
            customers=customers,
            messages=messages,
            llm_latency=llm_latency,
            think_min=think_min,
            think_max=think_max,
            seed=seed,
        )
    except ValueError as exc:
        fail(InvalidInput(str(exc), field="think_max").to_dict())
    except RuntimeError as exc:  # a child process did not start; its log tail is the message
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_INTERNAL) from None
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the bench has cleaned up already
        typer.echo("bench chat: interrupted", err=True)
        raise typer.Exit(130) from None
    if result.errors or not result.calls_verified:
        raise typer.Exit(EXIT_INTERNAL)


async def _await(awaitable: Awaitable[T]) -> T:
    return await awaitable


def main() -> None:
    """Console-script entry point (``shopbot``). Anything that escapes a command (say a broken
    tool module at import) is one line on stderr, not a traceback."""
    try:
        app(prog_name="shopbot")
    except Exception as exc:
        typer.echo(f"error: unexpected {type(exc).__name__}: {str(exc)[:300]}", err=True)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()

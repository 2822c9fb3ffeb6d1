"""The `shopbot` CLI against a migrated temporary SQLite database (SHOPBOT_DATABASE_URL).

The contract scripts rely on: JSON on stdout, refusals as ``{"error": ...}`` with exit code 2,
no tracebacks, and every operation going through the registry and runner.
"""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import types
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import select
from typer.testing import CliRunner, Result

import bot.container
from bot.cli import app
from core.roles import Role
from storage.database import Database
from storage.models import AuditEntry
from tools import build_registry
from tools.context import ToolContext
from tools.registry import MANAGERS, Registry, tool
from tools.staff import actor_for_api_key


@pytest.fixture
def db_file(sqlite_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "cli.db"
    shutil.copy(sqlite_template, target)
    return target


class Cli:
    def __init__(self, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.url = url
        for name in ("SHOPBOT_LOG_LEVEL", "SHOPBOT_PORT"):
            monkeypatch.delenv(name, raising=False)

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Result:
        # Uploaded images (the demo's pictures) go beside the database, not into the checkout.
        media = str(Path(self.url.removeprefix("sqlite:///")).parent / "media")
        result = CliRunner().invoke(
            app,
            list(args),
            env={"SHOPBOT_DATABASE_URL": self.url, "SHOPBOT_MEDIA_DIR": media, **(env or {})},
        )
        assert "Traceback" not in result.output
        return result

    def json(self, *args: str, code: int = 0) -> Any:
        result = self(*args)
        assert result.exit_code == code, result.output
        return json.loads(result.stdout)


@pytest.fixture
def cli(db_file: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(f"sqlite:///{db_file}", monkeypatch)


def audit_rows(url: str) -> list[AuditEntry]:
    async def read() -> list[AuditEntry]:
        db = Database(url)
        try:
            async with db.transaction(write=False) as tx:
                return list((await tx.session.execute(select(AuditEntry))).scalars().all())
        finally:
            await db.dispose()

    return asyncio.run(read())


# --- tool list ---------------------------------------------------------------------------------


def test_tool_list_json_has_every_tool_with_its_schema(cli: Cli) -> None:
    listed = cli.json("tool", "list", "--json")
    registry = build_registry()
    assert [t["name"] for t in listed] == [t.name for t in registry.all()]
    by_name = {t["name"]: t for t in listed}
    for t in registry.all():
        entry = by_name[t.name]
        assert entry["input_schema"] == t.input_model.model_json_schema()
        assert entry["roles"] == sorted(r.value for r in t.roles)
        assert entry["description"] == t.description
    assert "code" in by_name["create_warehouse"]["input_schema"]["required"]


def test_tool_list_plain(cli: Cli) -> None:
    result = cli("tool", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(build_registry().all())
    assert any(line.startswith("create_warehouse ") and "owner" in line for line in lines)


# --- tool call ---------------------------------------------------------------------------------


def test_tool_call_prints_json_and_persists(cli: Cli) -> None:
    made = cli.json(
        "tool",
        "call",
        "create_warehouse",
        "--as",
        "owner",
        "--args",
        '{"code": "hcm", "name": "Kho Quận 7"}',
    )
    assert (made["code"], made["name"]) == ("HCM", "Kho Quận 7")
    listed = cli.json("tool", "call", "list_warehouses", "--as", "warehouse")
    assert [w["code"] for w in listed["warehouses"]] == ["HCM"]
    rows = audit_rows(cli.url)
    assert {(r.tool, r.surface, r.role) for r in rows} >= {
        ("create_warehouse", "cli", "owner"),
        ("list_warehouses", "cli", "warehouse"),
    }


def test_vietnamese_text_is_not_escaped(cli: Cli) -> None:
    result = cli(
        "tool", "call", "create_warehouse", "--args", '{"code": "HN", "name": "Kho Cầu Giấy"}'
    )
    assert "Kho Cầu Giấy" in result.stdout


def test_invalid_args_give_exit_2_and_the_field(cli: Cli) -> None:
    err = cli.json(
        "tool",
        "call",
        "create_warehouse",
        "--as",
        "owner",
        "--args",
        '{"code": "X", "name": "X", "kind": "garage"}',
        code=2,
    )
    assert err["error"]["code"] == "invalid_input"
    assert err["error"]["field"] == "kind"


def test_conflict_gives_exit_2(cli: Cli) -> None:
    args = '{"code": "HCM", "name": "A"}'
    cli.json("tool", "call", "create_warehouse", "--args", args)
    err = cli.json("tool", "call", "create_warehouse", "--args", args, code=2)
    assert (err["error"]["code"], err["error"]["field"]) == ("duplicate_code", "code")


def test_unknown_sku_gives_exit_2(cli: Cli) -> None:
    args = {"buyer_name": "An", "lines": [{"sku": "NO-SUCH-SKU", "quantity": 1}]}
    err = cli.json(
        "tool", "call", "create_order", "--as", "sales", "--args", json.dumps(args), code=2
    )
    assert err["error"]["code"] == "unknown_sku"
    assert err["error"]["field"] == "lines.0.sku"
    assert "NO-SUCH-SKU" in err["error"]["message"]


@pytest.mark.parametrize(
    ("args", "field"),
    [("{bad json", "args"), ("[1, 2]", "args"), ('"text"', "args")],
)
def test_bad_json_gives_exit_2(cli: Cli, args: str, field: str) -> None:
    err = cli.json("tool", "call", "list_warehouses", "--args", args, code=2)
    assert (err["error"]["code"], err["error"]["field"]) == ("invalid_input", field)


@pytest.mark.parametrize("role", ["boss", "customer", "customer:abc", ""])
def test_bad_role_gives_exit_2(cli: Cli, role: str) -> None:
    err = cli.json("tool", "call", "list_warehouses", "--as", role, code=2)
    assert err["error"]["field"] == "as"


def test_role_is_enforced(cli: Cli) -> None:
    err = cli.json(
        "tool",
        "call",
        "create_warehouse",
        "--as",
        "sales",
        "--args",
        '{"code": "X", "name": "X"}',
        code=2,
    )
    assert err["error"]["code"] == "permission_denied"
    err = cli.json("tool", "call", "list_warehouses", "--as", "customer:7", code=2)
    assert err["error"]["code"] == "permission_denied"


def test_unknown_tool_gives_exit_2(cli: Cli) -> None:
    err = cli.json("tool", "call", "make_coffee", code=2)
    assert err["error"]["code"] == "unknown_tool"


class BoomIn(BaseModel):
    pass


class BoomOut(BaseModel):
    ok: bool


@tool(name="boom", description="Fails unexpectedly.", roles=MANAGERS)
async def boom(ctx: ToolContext, inp: BoomIn) -> BoomOut:
    raise RuntimeError("password=hunter2 leaked in an exception")


class ImportIn(BaseModel):
    filename: str
    content_base64: str
    skip_bad_rows: bool = False


class ImportOut(BaseModel):
    filename: str
    size: int
    skip_bad_rows: bool


@tool(name="import_catalog", description="Test double.", roles=MANAGERS)
async def fake_import(ctx: ToolContext, inp: ImportIn) -> ImportOut:
    return ImportOut(
        filename=inp.filename,
        size=len(base64.b64decode(inp.content_base64)),
        skip_bad_rows=inp.skip_bad_rows,
    )


class ExportIn(BaseModel):
    format: str


class ExportOut(BaseModel):
    filename: str
    content_base64: str
    rows: int


@tool(name="export_catalog", description="Test double.", roles=MANAGERS, write=False)
async def fake_export(ctx: ToolContext, inp: ExportIn) -> ExportOut:
    body = f"format={inp.format}\n".encode()
    return ExportOut(
        filename=f"catalog.{inp.format}", content_base64=base64.b64encode(body).decode(), rows=1
    )


@pytest.fixture
def extra_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI builds its registry in the composition root; add test doubles there."""
    base = build_registry()
    extra = [boom] + [t for t in (fake_import, fake_export) if t.name not in base]
    others = [t for t in base.all() if t.name not in {e.name for e in extra}]
    monkeypatch.setattr(bot.container, "build_registry", lambda: Registry([*others, *extra]))


@pytest.mark.usefixtures("extra_tools")
def test_unexpected_error_is_one_json_line_without_secrets(cli: Cli) -> None:
    result = cli("tool", "call", "boom")
    assert result.exit_code == 1
    err = json.loads(result.stdout)["error"]
    assert err["code"] == "internal_error"
    assert "hunter2" not in result.output


# --- catalogue, bench --------------------------------------------------------------------------


def test_catalog_import_sends_the_file_through_the_tool(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        bot.container, "build_registry", lambda: Registry([fake_import, fake_export])
    )
    src = tmp_path / "hàng.csv"
    src.write_bytes(b"code,name\nAT01,Ao thun\n")
    out = cli.json("catalog", "import", str(src), "--skip-bad-rows")
    assert out == {"filename": "hàng.csv", "size": src.stat().st_size, "skip_bad_rows": True}


def test_catalog_export_writes_the_decoded_file(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        bot.container, "build_registry", lambda: Registry([fake_import, fake_export])
    )
    target = tmp_path / "out.xlsx"
    out = cli.json("catalog", "export", str(target))
    assert target.read_bytes() == b"format=xlsx\n"
    assert out["format"] == "xlsx"
    assert out["rows"] == 1
    assert "content_base64" not in out
    err = cli.json("catalog", "export", str(tmp_path / "out.pdf"), code=2)
    assert err["error"]["field"] == "format"


def test_bench_orders_calls_the_benchmark(monkeypatch: pytest.MonkeyPatch, cli: Cli) -> None:
    seen: dict[str, Any] = {}

    def run_cli(**kwargs: Any) -> int:
        seen.update(kwargs)
        return 0

    monkeypatch.setitem(
        __import__("sys").modules, "bench.orders", types.SimpleNamespace(run_cli=run_cli)
    )
    result = cli("bench", "orders", "--n", "25", "--postgres-url", "postgresql://x@h/db")
    assert result.exit_code == 0, result.output
    assert seen == {"n": 25, "postgres_url": "postgresql://x@h/db"}


# --- staff -------------------------------------------------------------------------------------


def test_staff_add_key_and_list(cli: Cli) -> None:
    added = cli.json("staff", "add", "Nguyễn Thị Hạnh", "--role", "owner")
    assert added["role"] == "owner"
    result = cli("staff", "add-key", "Nguyễn Thị Hạnh")
    assert result.exit_code == 0
    assert result.stdout.endswith("}\n")  # a shell prompt starts on its own line
    key = json.loads(result.stdout)["api_key"]
    assert "only once" in result.stderr
    listed = cli("staff", "list")
    assert key not in listed.stdout
    assert json.loads(listed.stdout)["staff"][0]["name"] == "Nguyễn Thị Hạnh"

    async def who() -> Role:
        db = Database(cli.url)
        try:
            return (await actor_for_api_key(db, key)).role
        finally:
            await db.dispose()

    assert asyncio.run(who()) is Role.OWNER
    assert all(key not in json.dumps(r.args) for r in audit_rows(cli.url))


def test_staff_add_with_telegram_remove_and_one_time_links(cli: Cli) -> None:
    cli.json("staff", "add", "Lan", "--role", "sales", "--telegram-id", "4242")
    login = cli.json("staff", "login", "Lan")
    assert login["url"].endswith("/staff#login=" + login["link_secret"])
    invite = cli.json("staff", "invite", "Lan")
    assert invite["telegram_command"] == "/start " + invite["link_secret"]
    assert all(login["link_secret"] not in json.dumps(r.args) for r in audit_rows(cli.url))
    removed = cli.json("staff", "remove", "Lan")
    assert removed["name"] == "Lan"
    assert cli.json("staff", "list")["staff"] == []
    assert cli.json("staff", "remind") == {"reminded_handoff_ids": []}


def test_staff_add_bad_role(cli: Cli) -> None:
    err = cli.json("staff", "add", "Nam", "--role", "king", code=2)
    assert err["error"]["field"] == "role"


# --- settings, db, demo data -------------------------------------------------------------------


def test_bad_setting_stops_with_the_variable_named(cli: Cli) -> None:
    result = cli("tool", "call", "list_warehouses", env={"SHOPBOT_LOG_LEVEL": "LOUD"})
    assert result.exit_code == 2
    assert result.stderr.startswith("error: SHOPBOT_LOG_LEVEL: ")
    assert result.stdout == ""


def test_db_upgrade_creates_a_fresh_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(f"sqlite:///{tmp_path}/nested/fresh.db", monkeypatch)
    first = cli("db", "upgrade")
    assert first.exit_code == 0
    assert first.stderr.rstrip().endswith("fresh.db created")
    assert (tmp_path / "nested" / "fresh.db").exists()
    assert cli.json("tool", "call", "list_warehouses") == {"warehouses": []}
    again = cli("db", "upgrade")  # idempotent
    assert again.exit_code == 0
    assert again.stderr.rstrip().endswith("fresh.db is up to date")


def test_demo_data_is_idempotent(cli: Cli) -> None:
    first = cli.json("demo-data")
    assert first["status"] in {"loaded", "partial"}
    assert first["created"]["warehouses"] == 2
    # The demo's pictures were drawn into SHOPBOT_MEDIA_DIR, with their thumbnails.
    media = Path(cli.url.removeprefix("sqlite:///")).parent / "media"
    assert len(list(media.glob("*.png"))) == len(list((media / "thumbs").glob("*.png"))) > 8
    listed = cli.json("tool", "call", "list_warehouses")
    assert {w["code"]: w["name"] for w in listed["warehouses"]} == {
        "HCM": "Kho Quận 7",
        "HN": "Kho Cầu Giấy",
    }
    second = cli.json("demo-data")
    if first["status"] == "loaded":
        assert second["status"] == "already_loaded"
    else:
        assert second["created"] == {}
        assert second["already_there"]["warehouses"] == 2
    assert cli.json("tool", "call", "list_warehouses") == listed


def test_outbox_status_and_prune(cli: Cli) -> None:
    assert cli("db", "upgrade").exit_code == 0
    assert cli("demo-data").exit_code == 0  # orders and stock moves write events
    status = cli("outbox", "status")
    assert status.exit_code == 0, status.output
    assert json.loads(status.output) == []  # no consumer yet
    pruned = cli("outbox", "prune", "--days", "1")
    assert pruned.exit_code == 0, pruned.output
    assert json.loads(pruned.output)["deleted"] == 0  # every event is younger than a day
    assert cli("outbox", "prune", "--days", "0").exit_code != 0  # refused: at least 1

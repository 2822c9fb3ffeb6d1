"""No private attributes of the libraries we build on (SQLAlchemy, asyncpg, openai,
langsmith...): they change without notice in a minor release. The tree is parsed, and every
``obj._name`` (or ``getattr(obj, "_name")``) whose name our own code never defines is a use of
someone else's private attribute."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "bot",
    "agents",
    "tools",
    "storage",
    "integrations",
    "core",
    "bench",
    "prompts",
    "workers",
    "tests",
)
# Underscore names that are documented public API: namedtuple's and SQLAlchemy Row's.
PUBLIC = frozenset({"_asdict", "_fields", "_mapping", "_make", "_replace", "_t", "_tuple"})


def sources() -> list[Path]:
    return [
        p
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if "migrations" not in p.parts
    ]


def names_we_define(trees: list[ast.AST]) -> set[str]:
    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.alias):
                names.add(node.asname or node.name.rsplit(".", 1)[-1])
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets
            ):
                names.update(
                    c.value
                    for c in ast.walk(node.value)
                    if isinstance(c, ast.Constant) and isinstance(c.value, str)
                )
    return names


def _private_module(module: str) -> bool:
    """``openai._types`` or ``langsmith._runtime_overrides``: a library's private module (our
    packages may have private modules of their own)."""
    top, *rest = module.split(".")
    return top not in PACKAGES and any(
        part.startswith("_") and not part.startswith("__") for part in rest
    )


def private_uses(path: Path, tree: ast.AST, ours: set[str]) -> list[str]:
    found = []
    for node in ast.walk(tree):
        modules: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        for module in modules:
            if _private_module(module):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {module}")
        name: str | None = None
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            name = node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            name = node.args[1].value
        if (
            name
            and name.startswith("_")
            and not name.startswith("__")
            and name not in ours
            and name not in PUBLIC
        ):
            found.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}: {name}")
    return found


def test_no_private_attributes_of_other_libraries() -> None:
    parsed = [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sources()]
    ours = names_we_define([t for _, t in parsed])
    uses = [use for p, t in parsed for use in private_uses(p, t, ours)]
    assert uses == []


def test_the_check_finds_a_private_attribute() -> None:
    tree = ast.parse("conn = engine.raw\nconn._start_transaction()\ngetattr(conn, '_started')")
    uses = private_uses(ROOT / "x.py", tree, names_we_define([tree]))
    assert sorted(u.rsplit(": ", 1)[-1] for u in uses) == ["_start_transaction", "_started"]


def test_the_check_finds_a_private_module_of_a_library() -> None:
    tree = ast.parse("from openai._types import NOT_GIVEN\nimport tools._helpers\n")
    uses = private_uses(ROOT / "x.py", tree, names_we_define([tree]))
    assert [u.rsplit(": ", 1)[-1] for u in uses] == ["openai._types"]

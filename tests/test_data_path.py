"""Issue 7's one data path: every SQL statement lives in storage/. Tools, agents and workers
call storage functions; they neither build SQL (the import-linter contract "tools, agents and
workers hold no SQL" in pyproject.toml forbids importing SQLAlchemy or the fast path) nor run
queries through the session or the raw driver (this file: calls an import check cannot see)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ABOVE_STORAGE = ("tools", "agents", "workers")

# A query method of the ORM session or the raw fast path, reached from any expression.
QUERY_CALL = re.compile(
    r"\.session\.(execute|scalar|scalars|get|get_one|stream|stream_scalars|refresh|merge)\("
    r"|\bctx\.sql\(\)|\.raw\(\)|populate_existing|\bSql\("
)


def _sources() -> list[Path]:
    return sorted(p for pkg in ABOVE_STORAGE for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_query_runs_above_storage(path: Path) -> None:
    hits = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if QUERY_CALL.search(line) and not line.lstrip().startswith("#")
    ]
    assert not hits, "SQL belongs in storage/ (docs/architecture.md):\n" + "\n".join(hits)


def test_the_pattern_catches_what_it_is_for() -> None:
    """The check would fail on the shapes it exists to stop (and not on storage calls)."""
    for line in (
        "rows = await ctx.tx.session.execute(select(Order))",
        "order = await ctx.tx.session.get(Order, 1, populate_existing=True)",
        "fast = await ctx.sql()",
        "await (await ctx.tx.raw()).execute(INSERT, {})",
        "INSERT = Sql(insert(Order))",
    ):
        assert QUERY_CALL.search(line), line
    for line in ("order = await orders.order_as_stored(ctx.tx, 1)", "ctx.tx.session.add(x)"):
        assert not QUERY_CALL.search(line), line

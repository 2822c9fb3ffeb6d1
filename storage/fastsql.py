"""Hot-path SQL: SQLAlchemy Core statements compiled once per dialect, run on the raw driver.

SQLAlchemy's per-execute work (coercion, cache keys, result set-up) costs about 100 µs a
statement on a small machine, ten times what SQLite needs for the statement itself. The order
path (reserve, insert order and lines, ledger, outbox, audit) runs a dozen statements, so it
uses this: SQL text and bind processors are derived from the Core statement once (so the
schema and the dialect's typing stay the single source), then executed on the DBAPI connection
of the same transaction. Results are plain tuples, as the driver gives them: JSON columns
come back as text (``json_value``, ``json_object``), booleans as 0/1 on SQLite; IN lists are
sized binds (``in_binds``, ``in_params``).
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import BindParameter, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

from storage.base import UTCDateTime


class CompiledSql:
    """SQL text plus a precomputed way to turn a parameter dict into positional arguments."""

    __slots__ = ("defaults", "names", "processors", "sql")

    def __init__(
        self,
        sql: str,
        names: tuple[str, ...],
        processors: list[tuple[int, Callable[[Any], Any]]],
        defaults: dict[str, Any],
    ) -> None:
        self.sql = sql
        self.names = names
        self.processors = processors  # (position, bind processor) where the type has one
        self.defaults = defaults

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        # Hot: runs for every statement of the order path.
        if self.defaults:
            params = {**self.defaults, **params}
        values = [params[n] for n in self.names]
        for i, proc in self.processors:
            v = values[i]
            if v is not None:
                values[i] = proc(v)
        return values


def _remember_last(proc: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A transaction binds the same timestamp (ctx.now) many times: convert it once."""
    last: list[Any] = [object(), None]

    def run(value: Any) -> Any:
        if value is last[0]:
            return last[1]
        out = proc(value)
        last[0], last[1] = value, out
        return out

    return run


_SHARED: dict[tuple[type, str], Callable[[Any], Any]] = {}


class Sql:
    """A Core statement plus its compiled form per dialect (compiled lazily, once)."""

    __slots__ = ("_cache", "stmt")

    def __init__(self, stmt: ClauseElement) -> None:
        self.stmt = stmt
        self._cache: dict[str, CompiledSql] = {}

    def compiled(self, dialect: Dialect) -> CompiledSql:
        key = dialect.name
        found = self._cache.get(key)
        if found is None:
            c: Any = self.stmt.compile(dialect=dialect)  # a SQLCompiler: positional binds
            names = tuple(c.positiontup or ())
            processors = []
            for i, n in enumerate(names):
                bind_type = c.binds[n].type
                proc = bind_type.dialect_impl(dialect).bind_processor(dialect)
                if proc is None:
                    continue
                if isinstance(bind_type, UTCDateTime):
                    # Every UTCDateTime column converts alike, so one memo serves them all and
                    # the call's timestamp is converted once, not once per statement.
                    memo_key = (type(bind_type), dialect.name)
                    proc = _SHARED.setdefault(memo_key, _remember_last(proc))
                else:
                    proc = _remember_last(proc)
                processors.append((i, proc))
            defaults = {n: c.binds[n].value for n in names if c.binds[n].value is not None}
            found = CompiledSql(c.string, names, processors, defaults)
            self._cache[key] = found
        return found


class FastExecutor:
    """Runs ``Sql`` on the transaction's raw DBAPI connection."""

    def __init__(self, dialect: Dialect, driver_connection: Any) -> None:
        self.dialect = dialect
        self.driver = driver_connection
        self._driver = driver_connection
        self._sqlite = dialect.name == "sqlite"
        # When set, every statement is appended as (sql, args, many): the benchmark replays an
        # order's exact statements on bare sqlite3 to measure the ceiling.
        self.trace: list[tuple[str, Any, bool]] | None = None

    async def fetch(
        self, sql: Sql, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        c = sql.compiled(self.dialect)
        args = c.args(params or {})
        if self.trace is not None:
            self.trace.append((c.sql, args, False))
        if self._sqlite:
            cur = sqlite3.Cursor(self._driver)
            try:
                return cur.execute(c.sql, args).fetchall()
            finally:
                cur.close()
        return [tuple(r) for r in await self._driver.fetch(c.sql, *args)]

    async def execute(self, sql: Sql, params: Mapping[str, Any] | None = None) -> int:
        """Runs a DML statement; returns the number of rows it changed."""
        c = sql.compiled(self.dialect)
        args = c.args(params or {})
        if self.trace is not None:
            self.trace.append((c.sql, args, False))
        if self._sqlite:
            cur = sqlite3.Cursor(self._driver)
            try:
                return cur.execute(c.sql, args).rowcount
            finally:
                cur.close()
        status: str = await self._driver.execute(c.sql, *args)
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def execute_many(self, sql: Sql, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        c = sql.compiled(self.dialect)
        all_args = [c.args(r) for r in rows]
        if self.trace is not None:
            self.trace.append((c.sql, all_args, True))
        if self._sqlite:
            cur = sqlite3.Cursor(self._driver)
            try:
                cur.executemany(c.sql, all_args)
            finally:
                cur.close()
            return
        await self._driver.executemany(c.sql, all_args)


# --- what every fast-path statement needs ------------------------------------------------------


@functools.cache
def _bind_names(name: str, count: int) -> tuple[str, ...]:
    return tuple(f"{name}{i}" for i in range(count))


def in_binds(name: str, count: int, type_: Any) -> list[BindParameter[Any]]:
    """The binds of ``column IN (:name0, ..., :name<count-1>)``: a compiled statement has a
    fixed number of parameters, so a statement is compiled per list length (cache the builder
    by ``count``; ``padded_length`` keeps the lengths few where lists may be long)."""
    return [bindparam(n, type_=type_) for n in _bind_names(name, count)]


def in_params(name: str, values: Sequence[Any], count: int | None = None) -> dict[str, Any]:
    """The parameters of ``in_binds(name, count)`` for ``values``; a longer ``count`` repeats
    the last value, which IN ignores."""
    if count is not None and count > len(values):
        values = [*values, *[values[-1]] * (count - len(values))]
    return dict(zip(_bind_names(name, len(values)), values, strict=True))


def padded_length(count: int) -> int:
    """The next power of two: a handful of compiled statements serve lists of any length."""
    return 1 << (count - 1).bit_length()


def json_value(value: Any) -> Any:
    """A JSON column as the fast path returns it (text on SQLite and on asyncpg without a JSON
    codec), decoded."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def json_object(value: Any) -> dict[str, Any]:
    """A JSON object column as a dict (an empty one for NULL or anything else)."""
    value = json_value(value)
    return dict(value) if isinstance(value, dict) else {}


# ON CONFLICT is dialect syntax: an upsert is built with its dialect's own ``insert``.


def dialect_insert(dialect: str) -> Any:
    """The ``insert`` construct of a dialect ("sqlite" or "postgresql")."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def per_dialect(build: Callable[[Any], Sql]) -> dict[str, Sql]:
    """A fast-path statement built once with each dialect's ``insert``, by dialect name."""
    return {"sqlite": build(sqlite.insert), "postgresql": build(postgresql.insert)}

"""Database driver errors in the domain's words, in one place.

Tools check what they can before writing; what only the database catches comes up as a driver
error: from the ORM (SQLAlchemy's wrappers) or from the compiled fast path (storage.fastsql:
the driver's own exceptions), on SQLite or PostgreSQL. ``classify`` reads it once, by
SQLSTATE (PostgreSQL) or by the sqlite3 error, never by table or constraint names (those stay
in the log), into a ``DriverError`` that says whether the runner should try the call again and
what the caller is told when retrying did not help:

* unique violation: a concurrent duplicate. The runner retries the call once more, so the retry
  sees the winner's row and answers as a sequential call would (the duplicate refused by the
  tool's own check, or, with an idempotency key, the first call's result); if it persists it is
  a ``Conflict`` (``duplicate``).
* deadlock or serialization failure: retried, then ``Conflict`` (``busy``: try again).
* a lock another process holds (SQLite's write lock, PostgreSQL's lock_not_available): retried,
  then ``DatabaseBusy`` (503, ``database_busy``, retry after a second).
* a connection the server dropped: retried on a fresh one (nothing was committed).
* numeric value out of range: ``InvalidInput`` (``out_of_range``); NUL or untranslatable text:
  ``InvalidInput`` (``bad_text``); a missing value: ``InvalidInput`` (``missing_value``).
* a foreign key or check constraint: ``Conflict`` (``invalid_reference``,
  ``constraint_violated``).
* a schema that was never created: ``DatabaseNotMigrated`` (run ``shopbot db upgrade``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Literal

import asyncpg  # type: ignore[import-untyped]

from core.errors import Conflict, DomainError, InvalidInput, Unavailable
from storage.sqlite_inline import is_busy


class DatabaseBusy(Unavailable):
    """Another process held the write lock for longer than we wait: try again shortly."""

    code = "database_busy"
    retry_after = 1

    def __init__(self, message: str = "The database is busy; try again in a moment.") -> None:
        super().__init__(message, details={"retry_after_seconds": self.retry_after})


class DatabaseNotMigrated(Unavailable):
    code = "database_not_migrated"

    def __init__(self) -> None:
        super().__init__("The database has no schema yet: run `shopbot db upgrade` first.")


Kind = Literal[
    "unique",
    "busy",
    "locked",
    "disconnect",
    "out_of_range",
    "foreign_key",
    "check",
    "not_null",
    "bad_text",
    "no_schema",
]

_SQLSTATES: dict[str, Kind] = {
    "23505": "unique",
    "40P01": "busy",  # deadlock detected
    "40001": "busy",  # serialization failure
    "55P03": "locked",  # lock not available
    "22003": "out_of_range",  # numeric value out of range
    "23503": "foreign_key",
    "23514": "check",
    "23502": "not_null",
    "22021": "bad_text",  # character not in repertoire (NUL)
    "22P05": "bad_text",  # untranslatable character
    "42P01": "no_schema",  # undefined table
}

# SQLite extended result codes of SQLITE_CONSTRAINT.
_SQLITE_CODES: dict[int, Kind] = {
    2067: "unique",  # SQLITE_CONSTRAINT_UNIQUE
    1555: "unique",  # SQLITE_CONSTRAINT_PRIMARYKEY
    787: "foreign_key",  # SQLITE_CONSTRAINT_FOREIGNKEY
    275: "check",  # SQLITE_CONSTRAINT_CHECK
    1299: "not_null",  # SQLITE_CONSTRAINT_NOTNULL
}

_RETRYABLE: frozenset[Kind] = frozenset({"unique", "busy", "locked", "disconnect"})


@dataclass(frozen=True, slots=True)
class DriverError:
    kind: Kind

    @property
    def retryable(self) -> bool:
        return self.kind in _RETRYABLE

    def domain_error(self) -> DomainError:
        """What the caller is told (once retrying did not help, where it may)."""
        match self.kind:
            case "unique":
                return Conflict(
                    "That was just created by another request; check it, or use other values.",
                    code="duplicate",
                )
            case "busy" | "disconnect":
                return Conflict(
                    "The shop is busy with the same records right now; please try again.",
                    code="busy",
                )
            case "locked":
                return DatabaseBusy()
            case "out_of_range":
                return InvalidInput("A number is too large to store.", code="out_of_range")
            case "foreign_key":
                return Conflict(
                    "That refers to a record that does not exist, or one still in use.",
                    code="invalid_reference",
                )
            case "check":
                return Conflict(
                    "That would break a rule the data must keep.", code="constraint_violated"
                )
            case "not_null":
                return InvalidInput("A required value is missing.", code="missing_value")
            case "bad_text":
                return InvalidInput(
                    "The text holds characters that cannot be stored.", code="bad_text"
                )
            case "no_schema":
                return DatabaseNotMigrated()
        raise AssertionError(self.kind)


def classify(exc: BaseException) -> DriverError | None:
    """The driver error inside ``exc`` (a SQLAlchemy wrapper or a raw driver exception)."""
    seen: set[int] = set()
    err: BaseException | None = exc
    while err is not None and id(err) not in seen and len(seen) < 6:
        seen.add(id(err))
        state = getattr(err, "sqlstate", None) or getattr(err, "pgcode", None)
        if isinstance(state, str) and state in _SQLSTATES:
            return DriverError(_SQLSTATES[state])
        if (isinstance(state, str) and state.startswith("08")) or _lost_connection(err):
            return DriverError("disconnect")
        if isinstance(err, sqlite3.Error):
            return _sqlite(err)
        orig = getattr(err, "orig", None)
        err = orig if isinstance(orig, BaseException) else err.__cause__
    return None


def _lost_connection(err: BaseException) -> bool:
    """The server closed the connection (restart, idle timeout): nothing was committed."""
    if getattr(err, "connection_invalidated", False):
        return True
    return isinstance(err, asyncpg.exceptions.ConnectionDoesNotExistError | ConnectionError)


def _sqlite(err: sqlite3.Error) -> DriverError | None:
    if is_busy(err):
        return DriverError("locked")
    code = getattr(err, "sqlite_errorcode", None)
    if isinstance(code, int) and code in _SQLITE_CODES:
        return DriverError(_SQLITE_CODES[code])
    text = str(err)
    if isinstance(err, sqlite3.IntegrityError):
        if text.startswith("UNIQUE") or "PRIMARY KEY" in text:
            return DriverError("unique")
        if text.startswith("FOREIGN KEY"):
            return DriverError("foreign_key")
        if text.startswith("NOT NULL"):
            return DriverError("not_null")
        return DriverError("check")
    if isinstance(err, sqlite3.OperationalError) and text.startswith("no such table"):
        return DriverError("no_schema")
    return None


def domain_error_for(exc: BaseException) -> DomainError | None:
    """The refusal a driver error stands for, or None when it is a bug (an internal error)."""
    if isinstance(exc, DomainError):
        return exc
    mapped = classify(exc)
    return mapped.domain_error() if mapped is not None else None


__all__ = [
    "DatabaseBusy",
    "DatabaseNotMigrated",
    "DriverError",
    "classify",
    "domain_error_for",
]

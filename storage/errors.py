"""Database driver errors, mapped in one place to what the caller can act on.

The ORM raises SQLAlchemy's wrappers, the compiled fast path (storage.fastsql) raises the
driver's own exceptions (asyncpg, sqlite3); both are read here by SQLSTATE (PostgreSQL) or by
the sqlite3 exception type, never by table or constraint names shown to anyone:

* unique violation: a concurrent duplicate. The runner retries the call once more, so the
  retry sees the winner's row and answers as a sequential call would (the duplicate refused by
  the tool's own check, or, with an idempotency key, the first call's result); if it persists
  it is a ``Conflict`` with our own code.
* deadlock or serialization failure: retried, then ``Conflict`` (``busy``: try again).
* a connection the server dropped (no pre-ping, see storage.database): retried on a fresh one.
* numeric value out of range: ``InvalidInput`` (``out_of_range``).
* SQLite "database is locked" after the busy timeout: retried, then ``Conflict`` (``busy``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Literal

import asyncpg  # type: ignore[import-untyped]

from core.errors import Conflict, DomainError, InvalidInput

Kind = Literal["unique", "busy", "disconnect", "out_of_range", "foreign_key", "check"]

_SQLSTATES: dict[str, Kind] = {
    "23505": "unique",
    "40P01": "busy",  # deadlock detected
    "40001": "busy",  # serialization failure
    "55P03": "busy",  # lock not available
    "22003": "out_of_range",  # numeric value out of range
    "23503": "foreign_key",
    "23514": "check",
}


@dataclass(frozen=True, slots=True)
class DriverError:
    kind: Kind

    @property
    def retryable(self) -> bool:
        return self.kind in ("unique", "busy", "disconnect")

    def domain_error(self) -> DomainError:
        """What the caller is told once retrying did not help."""
        if self.kind == "unique":
            return Conflict(
                "That was just created by another request; check it, or use other values.",
                code="duplicate",
            )
        if self.kind in ("busy", "disconnect"):
            return Conflict(
                "The shop is busy with the same records right now; please try again.",
                code="busy",
            )
        if self.kind == "out_of_range":
            return InvalidInput("A number is too large to store.", code="out_of_range")
        if self.kind == "foreign_key":
            return Conflict(
                "That refers to a record that does not exist or is still in use.",
                code="reference_conflict",
            )
        return Conflict("That would break a rule of the shop's data.", code="conflict")


def classify(exc: BaseException) -> DriverError | None:
    """The driver error inside ``exc`` (a SQLAlchemy wrapper or a raw driver exception)."""
    seen: set[int] = set()
    err: BaseException | None = exc
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        state = getattr(err, "sqlstate", None) or getattr(err, "pgcode", None)
        if isinstance(state, str) and state in _SQLSTATES:
            return DriverError(_SQLSTATES[state])
        if (isinstance(state, str) and state.startswith("08")) or _lost_connection(err):
            return DriverError("disconnect")
        if isinstance(err, sqlite3.Error):
            return _sqlite(err)
        err = getattr(err, "orig", None) or err.__cause__
    return None


def _lost_connection(err: BaseException) -> bool:
    """The server closed the connection (restart, idle timeout): nothing was committed."""
    if getattr(err, "connection_invalidated", False):
        return True
    return isinstance(err, asyncpg.exceptions.ConnectionDoesNotExistError | ConnectionError)


def _sqlite(err: sqlite3.Error) -> DriverError | None:
    text = str(err)
    if isinstance(err, sqlite3.IntegrityError):
        if text.startswith("UNIQUE") or "PRIMARY KEY" in text:
            return DriverError("unique")
        if text.startswith("FOREIGN KEY"):
            return DriverError("foreign_key")
        return DriverError("check")
    if isinstance(err, sqlite3.OperationalError) and "database is locked" in text:
        return DriverError("busy")
    return None


__all__ = ["DriverError", "classify"]

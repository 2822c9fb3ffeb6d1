"""Database driver errors in the domain's words, in one place.

Tools check what they can before writing; what only the database catches (a constraint, a lock
held by another process, a schema that was never created) comes up as a driver error, from the
ORM or from the raw fast path, on SQLite or PostgreSQL. ``domain_error_for`` turns it into a
refusal the caller can act on, without table or constraint names (those are for the log).
"""

from __future__ import annotations

import sqlite3

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
        super().__init__(
            "The database has no schema yet: run `shopbot db upgrade` first.",
        )


# PostgreSQL SQLSTATEs (asyncpg and SQLAlchemy's adapter both carry ``sqlstate``).
_PG_UNIQUE = "23505"
_PG_FOREIGN_KEY = "23503"
_PG_CHECK = "23514"
_PG_NOT_NULL = "23502"
_PG_BAD_TEXT = frozenset({"22021", "22P05"})  # NUL or untranslatable characters
_PG_OUT_OF_RANGE = "22003"
_PG_UNDEFINED_TABLE = "42P01"
_PG_LOCK_NOT_AVAILABLE = "55P03"

# SQLite extended result codes of SQLITE_CONSTRAINT.
_SQLITE_CODES = {
    2067: _PG_UNIQUE,  # SQLITE_CONSTRAINT_UNIQUE
    1555: _PG_UNIQUE,  # SQLITE_CONSTRAINT_PRIMARYKEY
    787: _PG_FOREIGN_KEY,  # SQLITE_CONSTRAINT_FOREIGNKEY
    275: _PG_CHECK,  # SQLITE_CONSTRAINT_CHECK
    1299: _PG_NOT_NULL,  # SQLITE_CONSTRAINT_NOTNULL
}


def _causes(exc: BaseException) -> list[BaseException]:
    """The error, what SQLAlchemy wrapped (``orig``) and the driver's own cause."""
    out: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in out and len(out) < 5:
        out.append(seen)
        orig = getattr(seen, "orig", None)
        seen = orig if isinstance(orig, BaseException) else seen.__cause__
    return out


def _sqlstate(exc: BaseException) -> str | None:
    for err in _causes(exc):
        state = getattr(err, "sqlstate", None) or getattr(err, "pgcode", None)
        if isinstance(state, str):
            return state
        if isinstance(err, sqlite3.Error):
            code = getattr(err, "sqlite_errorcode", None)
            if code in _SQLITE_CODES:
                return _SQLITE_CODES[code]
    return None


def is_lock_busy(exc: BaseException) -> bool:
    return any(is_busy(e) for e in _causes(exc)) or _sqlstate(exc) == _PG_LOCK_NOT_AVAILABLE


def _no_schema(exc: BaseException) -> bool:
    if _sqlstate(exc) == _PG_UNDEFINED_TABLE:
        return True
    return any(
        isinstance(e, sqlite3.OperationalError) and str(e).startswith("no such table")
        for e in _causes(exc)
    )


def domain_error_for(exc: BaseException) -> DomainError | None:
    """The refusal a driver error stands for, or None when it is a bug (an internal error)."""
    if isinstance(exc, DomainError):
        return exc
    if is_lock_busy(exc):
        return DatabaseBusy()
    if _no_schema(exc):
        return DatabaseNotMigrated()
    state = _sqlstate(exc)
    if state == _PG_UNIQUE:
        return Conflict("That conflicts with existing data (a duplicate).", code="conflict")
    if state == _PG_FOREIGN_KEY:
        return Conflict(
            "That refers to a record that does not exist, or one that others still refer to.",
            code="invalid_reference",
        )
    if state == _PG_CHECK:
        return Conflict("That would break a rule the data must keep.", code="constraint_violated")
    if state == _PG_NOT_NULL:
        return InvalidInput("A required value is missing.", code="missing_value")
    if state in _PG_BAD_TEXT:
        return InvalidInput("The text holds characters that cannot be stored.", code="bad_text")
    if state == _PG_OUT_OF_RANGE:
        return InvalidInput("A number is out of range.", code="out_of_range")
    return None

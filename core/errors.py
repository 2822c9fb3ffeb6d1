"""Domain errors carry data (a stable code, a message, the field at fault).

Surfaces turn them into words or status codes; nothing below the surface formats text for people.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal that the caller can act on. ``code`` is stable API; ``message`` is for people."""

    code: str = "domain_error"
    http_status: int = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message, "field": self.field}
        if self.details:
            out["details"] = self.details
        return out


class InvalidInput(DomainError):
    code = "invalid_input"
    http_status = 422


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class Conflict(DomainError):
    code = "conflict"
    http_status = 409


class PermissionDenied(DomainError):
    code = "permission_denied"
    http_status = 403


class Unauthenticated(DomainError):
    code = "unauthenticated"
    http_status = 401


class InsufficientStock(DomainError):
    """Raised once with every short line collected, never line by line."""

    code = "insufficient_stock"
    http_status = 409


class IllegalTransition(DomainError):
    code = "illegal_transition"
    http_status = 409


class TooManyRequests(DomainError):
    """A limit on attempts (e.g. order look-ups); ``details`` says when to try again."""

    code = "rate_limited"
    http_status = 429


class Unavailable(DomainError):
    """The request was fine but cannot be served now; the same call may succeed later.

    ``retry_after`` (seconds) is the hint surfaces pass on (HTTP ``Retry-After``)."""

    code = "unavailable"
    http_status = 503
    retry_after: int | None = None

"""The domain error tree: every error knows its HTTP status and a stable code.

The API renders all of them through one handler as `{"error": code, "detail": ...}`.
This module imports no web framework so that the pure core can raise these errors.
"""

from __future__ import annotations

from typing import Any, ClassVar


class StridePlanError(Exception):
    """Base class of every error the product reports to a caller."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def body(self) -> dict[str, Any]:
        """Return the JSON body the API sends for this error."""
        return {
            "error": self.code,
            "message": self.message,
            "detail": self.detail if self.detail is not None else self.message,
        }


class InvalidInput(StridePlanError):
    """A request that cannot be processed as sent."""

    status_code = 422
    code = "invalid_input"


class NotFound(StridePlanError):
    """The object does not exist for this caller (other tenants' objects included)."""

    status_code = 404
    code = "not_found"


class Unauthorized(StridePlanError):
    """No valid credentials."""

    status_code = 401
    code = "unauthorized"


class Forbidden(StridePlanError):
    """The caller's role may not do this."""

    status_code = 403
    code = "forbidden"


class PreconditionRequired(StridePlanError):
    """An update without If-Match (optimistic concurrency is required)."""

    status_code = 428
    code = "precondition_required"


class PreconditionFailed(StridePlanError):
    """An update whose If-Match is stale."""

    status_code = 412
    code = "precondition_failed"


class Conflict(StridePlanError):
    """The request conflicts with the current state."""

    status_code = 409
    code = "conflict"


class ClientGone(StridePlanError):
    """The client closed the connection: the work it asked for was stopped."""

    status_code = 499
    code = "client_closed_request"


class PayloadTooLarge(StridePlanError):
    """The request body is over the configured limit."""

    status_code = 413
    code = "payload_too_large"


class RuleSetInvalid(StridePlanError):
    """A rule set failed validation; `detail` lists every problem with file, line and rule."""

    status_code = 422
    code = "ruleset_invalid"


class SafetyViolation(StridePlanError):
    """A generated plan broke a safety invariant; it is never returned."""

    status_code = 500
    code = "safety_violation"


class ServiceUnavailable(StridePlanError):
    """A dependency (the database) is not ready."""

    status_code = 503
    code = "service_unavailable"

"""The one error renderer: every error leaves as `{"error": code, "message": sentence,
"detail": ...}` (`detail` lists each bad field for a 422, else repeats the sentence or gives
the particulars)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException

from app.api.schemas import ErrorBody
from app.errors import Conflict, PreconditionFailed, StridePlanError

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _clean(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic errors without the echoed input (it may be large or secret)."""
    return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]


def error_response(status: int, code: str, detail: Any, message: str | None = None) -> JSONResponse:
    sentence = message if message is not None else detail if isinstance(detail, str) else code
    return JSONResponse({"error": code, "message": sentence, "detail": detail}, status_code=status)


def _invalid_fields(errors: list[dict[str, Any]]) -> str:
    fields = list(dict.fromkeys(".".join(str(part) for part in e["loc"]) for e in errors))
    more = f" and {len(fields) - 5} more" if len(fields) > 5 else ""
    return f"invalid fields: {', '.join(fields[:5])}{more}"


def _is_unique_violation(exc: IntegrityError) -> bool:
    """Two requests inserted the same key at once (PostgreSQL SQLSTATE 23505, or SQLite's)."""
    return getattr(exc.orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(
        exc.orig
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on the app."""

    async def domain(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StridePlanError)
        return JSONResponse(exc.body(), status_code=exc.status_code)

    async def validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = _clean(list(exc.errors()))
        return error_response(422, "invalid_input", errors, _invalid_fields(errors))

    async def http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return JSONResponse(
            {"error": code, "message": str(exc.detail), "detail": exc.detail},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    async def stale(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StaleDataError)
        return await domain(
            request, PreconditionFailed("changed by another request meanwhile; read it again")
        )

    async def integrity(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, IntegrityError)
        if not _is_unique_violation(exc):
            raise exc  # a broken invariant is a server error, not the client's
        return await domain(
            request, Conflict("a concurrent request wrote the same thing first; try again")
        )

    app.add_exception_handler(StridePlanError, domain)
    app.add_exception_handler(StaleDataError, stale)
    app.add_exception_handler(IntegrityError, integrity)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(HTTPException, http)


TEXT = {"schema": {"type": "string"}}
"""The content entry of a text response (iCalendar, SVG, YAML)."""


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the error statuses a route can return."""
    text = {
        401: "Missing or invalid API key",
        403: "The key's role may not do this",
        404: "Not found (or owned by another organisation or coach)",
        409: "Conflict (e.g. the same Idempotency-Key is still in flight)",
        412: "If-Match does not match the current ETag",
        413: "Request body too large",
        422: "Invalid input; `detail` names each bad field",
        428: "If-Match is required for updates",
        429: "Rate limited; see Retry-After",
        503: "Not ready",
    }
    # every /v1 route is rate limited, and any parameter can be invalid (always our error body)
    codes = sorted({*statuses, 422, 429})
    return {s: {"model": ErrorBody, "description": text.get(s, "Error")} for s in codes}

"""What the OpenAPI document says beyond the routes' signatures: the write-safety headers a
client sends (Idempotency-Key, a required If-Match) and the headers it gets back (ETag,
Location, Retry-After, Idempotent-Replayed, X-Request-ID)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from app.api.idempotency import MAX_KEY

# Updates the server refuses (428) without If-Match; a file edit may send If-None-Match instead.
IF_MATCH_REQUIRED = {
    ("patch", "/v1/athletes/{athlete_id}"),
    ("delete", "/v1/rulesets/drafts/{draft_id}"),
    ("delete", "/v1/rulesets/drafts/{draft_id}/files/{filename}"),
}
# Responses that carry the object's ETag (for a later If-Match).
ETAG = {
    ("get", "/v1/athletes/{athlete_id}"),
    ("patch", "/v1/athletes/{athlete_id}"),
    ("post", "/v1/rulesets/drafts"),
    ("get", "/v1/rulesets/drafts/{draft_id}"),
    ("get", "/v1/rulesets/drafts/{draft_id}/files/{filename}"),
    ("put", "/v1/rulesets/drafts/{draft_id}/files/{filename}"),
    ("get", "/feeds/{token}.ics"),
    ("head", "/feeds/{token}.ics"),
}
LOCATION = {("post", "/v1/athletes/{athlete_id}/plans")}

_STRING = {"schema": {"type": "string"}}
REQUEST_ID = {"description": "The request's id (quote it when reporting a problem)", **_STRING}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any string the client chooses: the same key with the same body replays the "
    "first response (header `Idempotent-Replayed: true`), with another body it is a 422. Kept "
    "24 hours, per API key and path.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY},
}


def _headers(response: dict[str, Any]) -> dict[str, Any]:
    headers: dict[str, Any] = response.setdefault("headers", {})
    return headers


def add_write_safety(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the write-safety headers described (changed in place)."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            key = (method, path)
            parameters = operation.setdefault("parameters", [])
            for parameter in parameters:
                if parameter.get("in") == "header" and parameter["name"] == "if-match":
                    parameter["required"] = key in IF_MATCH_REQUIRED
            if method == "post" and path.startswith("/v1/"):
                parameters.append(dict(IDEMPOTENCY_KEY))
            if not parameters:
                del operation["parameters"]
            for status, response in operation.get("responses", {}).items():
                headers = _headers(response)
                headers["X-Request-ID"] = REQUEST_ID
                if status == "429":
                    headers["Retry-After"] = {
                        "description": "Seconds to wait before trying again",
                        "schema": {"type": "integer"},
                    }
                if not status.startswith("2"):
                    continue
                if key in ETAG:
                    headers["ETag"] = {"description": "For If-Match on a later update", **_STRING}
                if key in LOCATION:
                    headers["Location"] = {"description": "The created plan", **_STRING}
                if method == "post" and path.startswith("/v1/"):
                    headers["Idempotent-Replayed"] = {
                        "description": "`true` when this is the stored first response to the "
                        "request's Idempotency-Key",
                        "schema": {"type": "string", "enum": ["true"]},
                    }
    return document


def install(app: FastAPI) -> None:
    """Serve (and check in) the document with the write-safety headers described."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_write_safety(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

"""Text hygiene at the edge: control characters (NUL and the like) never reach a route, the
rules or the database, and a body comes in the format its route takes. JSON bodies and YAML
files are screened by a global dependency (a 422 naming the field or the line); paths, query
strings and content types by the request middleware (app.observability) with the checks here."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.types import Scope

from app.text import CONTROL_CHARACTERS

MESSAGE = "control characters (such as NUL) are not allowed"


def _find(value: Any, path: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    """The path of the first string (or key) holding a control character."""
    if isinstance(value, str):
        return path if CONTROL_CHARACTERS.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if CONTROL_CHARACTERS.search(key):
                return (*path, CONTROL_CHARACTERS.sub("?", key))
            found = _find(item, (*path, key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _find(item, (*path, index))
            if found is not None:
                return found
    return None


async def refuse_control_characters(request: Request) -> None:
    """A global dependency: 422 for a control character in a JSON body (naming the field) or
    in a YAML file (naming the line)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if not body:
        return
    if kind.endswith("json"):
        # Raw control characters are invalid JSON anyway; escaped ones are caught here.
        if b"\\u00" not in body and b"\\u007" not in body and b"\x7f" not in body:
            return
        try:
            data = json.loads(body)
        except ValueError:
            return  # the route's own parsing reports it
        found = _find(data, ())
        if found is not None:
            raise RequestValidationError(
                [{"loc": ("body", *found), "msg": MESSAGE, "type": "control_character"}]
            )
    elif "yaml" in kind:
        text = body.decode("utf-8", errors="replace")
        match = CONTROL_CHARACTERS.search(text)
        if match is not None:
            line = text.count("\n", 0, match.start()) + 1
            raise RequestValidationError(
                [{"loc": ("body", f"line {line}"), "msg": MESSAGE, "type": "control_character"}]
            )


def media_type_problem(method: str, path: str, headers: dict[bytes, bytes]) -> str | None:
    """A body in a format the route does not take (checked before anything parses it): rule
    files are YAML, everything else JSON."""
    if method not in ("POST", "PUT", "PATCH"):
        return None
    length = headers.get(b"content-length", b"0").strip()
    if length in (b"", b"0") and b"transfer-encoding" not in headers:
        return None
    kind = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
    if path.startswith("/studio/"):  # the studio's forms (and its htmx requests)
        if kind == "application/x-www-form-urlencoded":
            return None
        wanted = "application/x-www-form-urlencoded"
    elif "/files/" in path:
        if "yaml" in kind or kind == "text/plain":
            return None
        wanted = "application/yaml"
    else:
        if kind == "application/json" or kind.endswith("+json"):
            return None
        wanted = "application/json"
    return f"the body must be {wanted}, not {kind or 'untyped'}: send Content-Type: {wanted}"


def control_character_problem(scope: Scope) -> str | None:
    """A control character (NUL and the like) in the path or the query string: the request is
    refused before it reaches a route or the database."""
    path = scope.get("path", "")
    if CONTROL_CHARACTERS.search(path):
        return "path: control characters (such as NUL) are not allowed"
    query = scope.get("query_string", b"")
    if query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if CONTROL_CHARACTERS.search(name) or CONTROL_CHARACTERS.search(value):
                return (
                    f"query.{CONTROL_CHARACTERS.sub('?', name)}: control characters are not allowed"
                )
    return None

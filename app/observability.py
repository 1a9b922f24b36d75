"""Operations: structured JSON logs carrying a request id, and Prometheus metrics.

Every request gets an id (the caller's X-Request-ID when it is sane, else a new one), echoed in
the response and bound to every log line written while it runs. Secrets never reach a log line:
the redaction filter runs on every record (app.logs).
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.asgi import json_error, send_answer
from app.api.hygiene import control_character_problem, media_type_problem
from app.logs import RedactSecrets, redact

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
REQUESTS = Counter("strideplan_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "strideplan_http_request_seconds",
    "HTTP request duration",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
access = structlog.get_logger("app.access")
errors = structlog.get_logger("app.errors")


def configure_logging(level: str = "INFO", json_lines: bool = True) -> None:
    """One JSON object per line on stdout for our logs and uvicorn's, secrets redacted."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if json_lines else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,  # a reconfiguration (tests) reaches every logger
    )
    handler = logging.StreamHandler(_CurrentStdout())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                _redact,
                renderer,
            ],
            foreign_pre_chain=shared,
        )
    )
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    # Our access line (with request id and route) replaces uvicorn's.
    logging.getLogger("uvicorn.access").disabled = True


class _CurrentStdout:
    """Whatever sys.stdout is when a line is written (it may be swapped after start-up)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:
    return {k: redact(v) if isinstance(v, str) else v for k, v in event.items()}


def _route(scope: Scope) -> str:
    route = scope.get("route")
    path: str | None = getattr(route, "path", None)
    return path or "unmatched"


class RequestContextMiddleware:
    """Request id, one access log line and metrics per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status = message["status"]
                started_response = True
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            control = control_character_problem(scope)
            media = media_type_problem(
                scope["method"], scope.get("path", ""), dict(scope.get("headers", []))
            )
            if control is not None:
                await send_answer(send_with_id, json_error(422, "invalid_input", control))
            elif media is not None:
                await send_answer(send_with_id, json_error(415, "unsupported_media_type", media))
            else:
                await self.app(scope, receive, send_with_id)
        except Exception:
            # Whatever escaped the app's own handlers: logged, and still a JSON error with the
            # request id (never a bare text/plain 500).
            errors.exception("unhandled error", path=redact(scope["path"]))
            if not started_response:
                await send_answer(
                    send_with_id,
                    json_error(
                        500,
                        "internal_error",
                        "an unexpected error; nothing was changed. Quote the request id "
                        f"{request_id} when you report it.",
                    ),
                )
            status = 500
        finally:
            elapsed = time.perf_counter() - started
            route = _route(scope)
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(route).observe(elapsed)
            access.info(
                "request",
                method=scope["method"],
                path=redact(scope["path"]),
                route=route,
                status=status,
                ms=round(elapsed * 1000, 2),
            )
            structlog.contextvars.clear_contextvars()


async def metrics(_: Request) -> Response:
    """Prometheus text format (per worker process)."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

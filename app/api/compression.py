"""gzip for JSON and SVG responses when the client accepts it.

Calendar files (`.ics`) are left as they are: their ETags are strong validators of the exact
bytes that calendar clients cache, and one representation per feed keeps those right.
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

MIN_SIZE = 1024  # bytes: smaller bodies are sent as they are


class CompressionMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=MIN_SIZE, compresslevel=6)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].endswith(".ics"):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)

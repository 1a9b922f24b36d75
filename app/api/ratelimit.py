"""Rate limits (token buckets, per worker process): per client address first (before any key
is looked up), then per API key on /v1 and per token on feeds. Over a limit: 429 with
Retry-After."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.asgi import json_error, send_answer

MAX_BUCKETS = 50_000


class Buckets:
    """Token buckets refilling at `per_minute` a minute, holding at most `burst`."""

    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._state: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """0 if a request may pass, else the seconds until one may."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._state.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / self.rate
            self._state[key] = (tokens, now)
            if len(self._state) > MAX_BUCKETS:
                self._state.popitem(last=False)
            return wait


def bearer_token(header: bytes) -> bytes:
    """The key in an Authorization header as authentication reads it (scheme case and spacing
    ignored), so that rewriting the header never earns a fresh bucket."""
    scheme, _, value = header.strip().partition(b" ")
    if scheme.lower() != b"bearer":
        return header.strip()
    return value.strip()


class RateLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        api_per_minute: int,
        feed_per_minute: int,
        address_per_minute: int = 0,
    ) -> None:
        self.app = app
        self.address = (
            Buckets(address_per_minute, max(20, address_per_minute // 4))
            if address_per_minute
            else None
        )
        self.api = Buckets(api_per_minute, max(10, api_per_minute // 4)) if api_per_minute else None
        self.feed = (
            Buckets(feed_per_minute, max(5, feed_per_minute // 4)) if feed_per_minute else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            buckets, identity = None, b""
            if path.startswith("/v1/"):
                given = [v for k, v in scope.get("headers", []) if k == b"authorization"]
                if len(given) > 1:  # which one counts would be a guess: refuse both
                    await send_answer(
                        send,
                        json_error(
                            400, "bad_request", "send one Authorization header, not several"
                        ),
                    )
                    return
                if self.api is not None:
                    buckets, identity = self.api, bearer_token(given[0] if given else b"")
            elif path.startswith("/feeds/") and self.feed is not None:
                buckets, identity = self.feed, path.encode()
            client = scope.get("client")
            if self.address is not None and (buckets is not None or path.startswith("/v1/")):
                wait = self.address.take(f"address:{client[0] if client else ''}")
                if wait > 0:
                    await _too_many(send, math.ceil(wait))
                    return
            if buckets is not None and identity:
                wait = buckets.take(hashlib.sha256(identity).hexdigest())
                if wait > 0:
                    await _too_many(send, math.ceil(wait))
                    return
        await self.app(scope, receive, send)


async def _too_many(send: Send, retry_after: int) -> None:
    detail = f"too many requests; retry after {retry_after} s"
    headers = [(b"retry-after", str(retry_after).encode())]
    await send_answer(send, json_error(429, "rate_limited", detail, headers))

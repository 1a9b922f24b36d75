"""Rate limits with the `limits` library: per client address first (before any key is looked
up, so made-up keys cost no database query past it), then per API key on /v1 and per token on
feeds. The counters live in Redis when `STRIDEPLAN_REDIS_URL` is set — one count shared by
every API process on every machine — else in this process's memory. Over a limit: 429 with
Retry-After.

Each limit lets `burst` requests through in the time the rate takes to earn them back
(`burst` per `60 * burst / per_minute` seconds, a sliding window), which averages to
`per_minute`. If Redis cannot be reached, requests pass (and it is logged): the limits guard
the service, they must not take it down.
"""

from __future__ import annotations

import hashlib
import math
import time

import structlog
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.asgi import json_error, send_answer

log = structlog.get_logger("app.ratelimit")


def limit_storage(redis_url: str | None, prefix: str = "strideplan") -> Storage:
    """Redis (shared) when a URL is given, else this process's memory."""
    if redis_url:
        storage = storage_from_string(
            f"async+{redis_url}", implementation="redispy", key_prefix=f"{prefix}:limits"
        )
    else:
        storage = storage_from_string("async+memory://")
    assert isinstance(storage, Storage)
    return storage


class Buckets:
    """One kind of limit: `per_minute` on average, at most `burst` at once."""

    def __init__(self, storage: Storage, name: str, per_minute: int, burst: int) -> None:
        window = max(1, round(60 * burst / per_minute))
        self.item: RateLimitItem = RateLimitItemPerSecond(burst, window, namespace=name)
        self.limiter = SlidingWindowCounterRateLimiter(storage)

    async def take(self, key: str) -> float:
        """0 if a request may pass (and it is counted), else the seconds until one may."""
        try:
            if await self.limiter.hit(self.item, key):
                return 0.0
            stats = await self.limiter.get_window_stats(self.item, key)
        except Exception as exc:  # the shared store is away: let the request through
            log.warning("rate-limit store unavailable", error=type(exc).__name__)
            return 0.0
        return max(1.0, stats.reset_time - time.time())


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
        redis_url: str | None = None,
        key_prefix: str = "strideplan",
    ) -> None:
        self.app = app
        storage = limit_storage(redis_url, key_prefix)
        self.address = (
            Buckets(storage, "address", address_per_minute, max(20, address_per_minute // 4))
            if address_per_minute
            else None
        )
        self.api = (
            Buckets(storage, "key", api_per_minute, max(10, api_per_minute // 4))
            if api_per_minute
            else None
        )
        self.feed = (
            Buckets(storage, "feed", feed_per_minute, max(5, feed_per_minute // 4))
            if feed_per_minute
            else None
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
            if self.address is not None and (
                buckets is not None or path.startswith(("/v1/", "/studio/"))
            ):
                wait = await self.address.take(client[0] if client else "")
                if wait > 0:
                    await _too_many(send, math.ceil(wait))
                    return
            if buckets is not None and identity:
                wait = await buckets.take(hashlib.sha256(identity).hexdigest())
                if wait > 0:
                    await _too_many(send, math.ceil(wait))
                    return
        await self.app(scope, receive, send)


async def _too_many(send: Send, retry_after: int) -> None:
    detail = f"too many requests; retry after {retry_after} s"
    headers = [(b"retry-after", str(retry_after).encode())]
    await send_answer(send, json_error(429, "rate_limited", detail, headers))

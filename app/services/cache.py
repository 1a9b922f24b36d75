"""A small time-limited cache: what the database said a moment ago, per worker process.

Busy paths (a feed poll, an API key, an organisation's rule set) ask the database at most once
every `ttl` seconds per key. Changes made by this process `forget()` at once; changes made by
other workers show within `ttl` seconds.
"""

from __future__ import annotations

import threading
import time
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(self, ttl: float = 2.0, max_items: int = 10_000) -> None:
        self.ttl = ttl
        self.max_items = max_items
        self._items: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        entry = self._items.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: K, value: V) -> None:
        with self._lock:
            if len(self._items) >= self.max_items:
                self._items.clear()
            self._items[key] = (time.monotonic() + self.ttl, value)

    def forget(self) -> None:
        """Drop everything (after a change that may make an entry wrong)."""
        with self._lock:
            self._items.clear()

"""Secrets: API keys and calendar feed tokens. Shown once, stored only as SHA-256 hashes,
compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

API_KEY_PREFIX = "sp_live_"
PREFIX_CHARS = 10


@dataclass(frozen=True, slots=True)
class NewSecret:
    """A freshly minted secret: `value` is shown to the caller once and never stored."""

    value: str
    lookup: str  # the public part, stored in clear to find the row
    digest: str  # sha256 of the whole value


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def mint(prefix: str) -> NewSecret:
    """A new secret `<prefix><lookup>_<secret>` with 192 bits of randomness in the secret."""
    lookup = secrets.token_hex(PREFIX_CHARS // 2)
    value = f"{prefix}{lookup}_{secrets.token_urlsafe(24)}"
    return NewSecret(value, lookup, digest(value))


def split(value: str, prefix: str) -> str | None:
    """The lookup part of a presented secret, or None if it is not of our form."""
    if not value.startswith(prefix) or len(value) > 200:
        return None
    rest = value[len(prefix) :]
    lookup, _, secret = rest.partition("_")
    if len(lookup) != PREFIX_CHARS or not secret:
        return None
    return lookup


def matches(value: str, stored_digest: str) -> bool:
    """Constant-time comparison of a presented secret with a stored digest."""
    return hmac.compare_digest(digest(value), stored_digest)

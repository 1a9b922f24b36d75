"""Organisations and their API keys."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Unauthorized
from app.security import API_KEY_PREFIX, matches, mint, split
from app.storage.tables import ApiKey, Organization, utcnow

LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: their organisation, key and role."""

    organization_id: str
    key_id: str
    role: str


def create_organization(db: Session, name: str) -> tuple[Organization, str]:
    """Create an organisation and its first (admin) API key; returns the key's value once."""
    organization = Organization(id=str(uuid.uuid4()), name=name)
    db.add(organization)
    db.flush()  # the key's foreign key needs the organisation row first
    secret = mint(API_KEY_PREFIX)
    db.add(
        ApiKey(
            id=str(uuid.uuid4()),
            organization_id=organization.id,
            prefix=secret.lookup,
            key_hash=secret.digest,
            role="admin",
            name="first key",
        )
    )
    db.flush()
    return organization, secret.value


def authenticate(db: Session, authorization: str | None) -> Caller:
    """The caller behind an `Authorization: Bearer <key>` header, else `Unauthorized`."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not value:
        raise Unauthorized("send 'Authorization: Bearer <api key>'")
    lookup = split(value.strip(), API_KEY_PREFIX)
    key = None
    if lookup is not None:
        key = db.scalars(select(ApiKey).where(ApiKey.prefix == lookup)).first()
    if key is None or key.revoked_at is not None or not matches(value.strip(), key.key_hash):
        raise Unauthorized("invalid or revoked API key")
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        key.last_used_at = now
    return Caller(key.organization_id, key.id, key.role)

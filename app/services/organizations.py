"""Organisations, coaches and API keys (roles: admin, coach, app)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Forbidden, InvalidInput, Unauthorized
from app.security import API_KEY_PREFIX, matches, mint, split
from app.storage.scope import Tenant
from app.storage.tables import ApiKey, Coach, Organization, utcnow

LAST_USED_RESOLUTION = timedelta(minutes=1)
ROLES = ("admin", "coach", "app")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: their organisation, key, role and (for a coach key) coach."""

    organization_id: str
    key_id: str
    role: str
    coach_id: str | None = None
    can_publish: bool = False  # a coach an admin allowed to publish and roll back rules

    def require(self, *roles: str) -> None:
        """`Forbidden` unless the caller has one of `roles`."""
        if self.role not in roles:
            raise Forbidden(f"a {self.role} key may not do this; it needs {' or '.join(roles)}")

    def require_publisher(self) -> None:
        """Publishing and rolling back re-plan every athlete of the organisation: an admin's
        decision, or a coach's the admin granted it to."""
        if self.role == "admin" or (self.role == "coach" and self.can_publish):
            return
        raise Forbidden(
            f"a {self.role} key may not publish or roll back rules: an admin key may, or a coach "
            'an admin allowed to (PATCH /v1/coaches/{id} with {"can_publish": true})'
        )


def _key(organization_id: str, role: str, name: str, coach_id: str | None) -> tuple[ApiKey, str]:
    secret = mint(API_KEY_PREFIX)
    key = ApiKey(
        id=str(uuid.uuid4()),
        organization_id=organization_id,
        prefix=secret.lookup,
        key_hash=secret.digest,
        role=role,
        coach_id=coach_id,
        name=name,
    )
    return key, secret.value


def create_organization(db: Session, name: str) -> tuple[Organization, str]:
    """Create an organisation and its first (admin) API key; returns the key's value once."""
    organization = Organization(id=str(uuid.uuid4()), name=name)
    db.add(organization)
    db.flush()  # the key's foreign key needs the organisation row first
    key, value = _key(organization.id, "admin", "first key", None)
    db.add(key)
    db.flush()
    return organization, value


def create_api_key(
    tenant: Tenant, role: str, name: str, coach_id: str | None
) -> tuple[ApiKey, str]:
    """A new key for the organisation; a coach key belongs to one of its coaches."""
    if role not in ROLES:
        raise InvalidInput(
            "unknown role",
            detail=[{"loc": ["body", "role"], "msg": f"one of {', '.join(ROLES)}", "type": "enum"}],
        )
    if (role == "coach") != (coach_id is not None):
        raise InvalidInput(
            "coach_id goes with the coach role",
            detail=[
                {
                    "loc": ["body", "coach_id"],
                    "msg": "required for a coach key, and only for one",
                    "type": "coach",
                }
            ],
        )
    if coach_id is not None:
        tenant.get(Coach, coach_id, what="coach")
    key, value = _key(tenant.organization_id, role, name, coach_id)
    return tenant.add(key), value


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
    return caller_for_key(db, key)


def caller_for_key(db: Session, key: ApiKey) -> Caller:
    """The caller of a valid key (its last use noted, to the minute)."""
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        key.last_used_at = now
    can_publish = False
    if key.coach_id is not None:
        can_publish = bool(db.scalar(select(Coach.can_publish).where(Coach.id == key.coach_id)))
    return Caller(key.organization_id, key.id, key.role, key.coach_id, can_publish)

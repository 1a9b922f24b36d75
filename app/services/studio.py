"""Studio sign-in: a browser session made from a coach's or an admin's API key. The cookie
holds a secret shown once (stored as a hash); each session has its own CSRF token; signing out
deletes the session, and revoking the key ends every session made with it."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.errors import Forbidden
from app.security import matches, mint, split
from app.services.organizations import Caller, authenticate, caller_for_key
from app.storage.tables import ApiKey, Coach, Organization, StudioSession, utcnow

SESSION_PREFIX = "sps_"
STUDIO_ROLES = ("admin", "coach")


@dataclass(frozen=True, slots=True)
class StudioUser:
    """Who a studio session belongs to, and the token its forms must carry."""

    caller: Caller
    csrf_token: str
    organization: str
    coach: str | None


@dataclass(frozen=True, slots=True)
class NewStudioSession:
    cookie: str  # shown to the browser once, never stored
    csrf_token: str


def sign_in(db: Session, api_key: str, hours: float) -> NewStudioSession:
    """A new session for a valid coach or admin key (`Unauthorized` for an invalid or revoked
    key, `Forbidden` for an app key: the studio is for the people who author and review)."""
    caller = authenticate(db, f"Bearer {api_key.strip()}")
    if caller.role not in STUDIO_ROLES:
        raise Forbidden(f"the studio is for coach and admin keys, not {caller.role} keys")
    secret = mint(SESSION_PREFIX)
    csrf = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(
        StudioSession(
            id=str(uuid.uuid4()),
            organization_id=caller.organization_id,
            api_key_id=caller.key_id,
            lookup=secret.lookup,
            token_hash=secret.digest,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    # Sessions that ran out are forgotten as new ones start.
    db.execute(delete(StudioSession).where(StudioSession.expires_at < now))
    db.flush()
    return NewStudioSession(secret.value, csrf)


def _find(db: Session, cookie: str) -> StudioSession | None:
    lookup = split(cookie, SESSION_PREFIX)
    if lookup is None:
        return None
    row = db.scalars(select(StudioSession).where(StudioSession.lookup == lookup)).first()
    if row is None or not matches(cookie, row.token_hash):
        return None
    return row


def resolve(db: Session, cookie: str | None) -> StudioUser | None:
    """The signed-in user of a session cookie; None for no cookie, an unknown or expired
    session, or a key that was revoked since."""
    if not cookie:
        return None
    row = _find(db, cookie)
    if row is None or row.expires_at <= utcnow():
        return None
    key = db.get(ApiKey, row.api_key_id)
    if key is None or key.revoked_at is not None or key.role not in STUDIO_ROLES:
        return None
    caller = caller_for_key(db, key)
    organization = db.get(Organization, caller.organization_id)
    coach = db.get(Coach, caller.coach_id) if caller.coach_id else None
    return StudioUser(
        caller=caller,
        csrf_token=row.csrf_token,
        organization=organization.name if organization else "",
        coach=coach.name if coach else None,
    )


def sign_out(db: Session, cookie: str | None) -> None:
    """End the session of this cookie (nothing for an unknown one)."""
    row = _find(db, cookie) if cookie else None
    if row is not None:
        db.delete(row)
        db.flush()

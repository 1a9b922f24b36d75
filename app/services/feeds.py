"""Calendar feeds: secret-token URLs, and the feed itself served from a per-revision cache."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.security import matches, mint, split
from app.services.plans import calendar_bytes
from app.storage.scope import Tenant
from app.storage.tables import Athlete, FeedToken, PlanRecord, utcnow

FEED_PREFIX = "spf_"
LAST_USED_RESOLUTION = timedelta(minutes=5)
CACHE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class NewFeedToken:
    token: FeedToken
    url: str
    webcal_url: str


def feed_urls(base_url: str, value: str) -> tuple[str, str]:
    """The https URL of a feed and its webcal:// twin."""
    url = f"{base_url.rstrip('/')}/feeds/{value}.ics"
    scheme, _, rest = url.partition("://")
    return url, f"webcal://{rest}" if scheme in ("http", "https") else url


def create_token(
    tenant: Tenant, athlete: Athlete, base_url: str, name: str, alarm_minutes: int | None
) -> NewFeedToken:
    """A new feed token for an athlete; its URL is returned once and never stored."""
    secret = mint(FEED_PREFIX)
    token = tenant.add(
        FeedToken(
            id=str(uuid.uuid4()),
            athlete_id=athlete.id,
            lookup=secret.lookup,
            token_hash=secret.digest,
            name=name,
            alarm_minutes=alarm_minutes,
        )
    )
    url, webcal = feed_urls(base_url, secret.value)
    return NewFeedToken(token, url, webcal)


def revoke_token(tenant: Tenant, athlete: Athlete, token_id: str) -> None:
    token = tenant.get(FeedToken, token_id, what="feed token")
    if token.athlete_id != athlete.id or token.revoked_at is not None:
        raise NotFound(f"feed token {token_id} not found")
    token.revoked_at = utcnow()


@dataclass(frozen=True, slots=True)
class Feed:
    body: bytes
    etag: str
    last_modified: datetime


@dataclass(frozen=True, slots=True)
class FeedTarget:
    """What a valid token points at: the athlete's current plan revision."""

    token_id: str
    plan_id: str
    revision: int
    alarm_minutes: int | None
    touch: bool  # last_used_at is due an update


class FeedCache:
    """Rendered feeds by (plan, revision, alarm), bounded in bytes; shared by threads."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[str, int, int | None], Feed] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int, int | None]) -> Feed | None:
        with self._lock:
            feed = self._items.get(key)
            if feed is not None:
                self._items.move_to_end(key)
            return feed

    def put(self, key: tuple[str, int, int | None], feed: Feed) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = feed
            self._bytes += len(feed.body)
            while self._bytes > self.max_bytes and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self._bytes -= len(old.body)


def resolve(db: Session, value: str) -> FeedTarget:
    """The plan a feed token points at; `NotFound` for unknown, revoked or planless tokens."""
    lookup = split(value, FEED_PREFIX)
    row = None
    if lookup is not None:
        row = db.execute(
            select(
                FeedToken.id,
                FeedToken.token_hash,
                FeedToken.athlete_id,
                FeedToken.organization_id,
                FeedToken.alarm_minutes,
                FeedToken.last_used_at,
            ).where(FeedToken.lookup == lookup, FeedToken.revoked_at.is_(None))
        ).first()
    if row is None or not matches(value, row.token_hash):
        raise NotFound("no such calendar")
    plan = db.execute(
        select(PlanRecord.id, PlanRecord.revision)
        .where(
            PlanRecord.athlete_id == row.athlete_id,
            PlanRecord.organization_id == row.organization_id,
        )
        .order_by(PlanRecord.created_at.desc(), PlanRecord.id)
        .limit(1)
    ).first()
    if plan is None:
        raise NotFound("no plan in this calendar yet")
    last_used: datetime | None = row.last_used_at
    touch = last_used is None or utcnow() - last_used > LAST_USED_RESOLUTION
    return FeedTarget(row.id, plan.id, plan.revision, row.alarm_minutes, touch)


def render(db: Session, target: FeedTarget, host: str, base_url: str) -> Feed:
    """Render the plan's calendar (one UID for the athlete's calendar, whatever plan it shows)."""
    record = db.get(PlanRecord, target.plan_id)
    assert record is not None
    body = calendar_bytes(
        Tenant(db, record.organization_id),
        record,
        host,
        base_url,
        alarm_minutes=target.alarm_minutes,
        calendar_uid=f"athlete-{record.athlete_id}@{host}",
    )
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return Feed(body, etag, record.updated_at.replace(microsecond=0))


def touch(engine: Engine, token_id: str) -> None:
    """Record that a token was used (best effort, at most every few minutes)."""
    with engine.begin() as connection:
        connection.execute(
            update(FeedToken).where(FeedToken.id == token_id).values(last_used_at=utcnow())
        )

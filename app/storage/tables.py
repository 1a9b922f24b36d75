"""Database tables (SQLAlchemy 2, typed). The schema changes only through Alembic revisions.

Every tenant-owned row carries `organization_id`; queries go through `app.storage.scope`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every database (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONDoc = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSONDoc}


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The published rule-set version plans are made with (None: the shipped base rules).
    active_ruleset_id: Mapped[str | None] = mapped_column(String(36), default=None)


class Coach(Base):
    """A coach in an organisation; a coach's API key sees only the coach's own athletes."""

    __tablename__ = "coaches"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # Granted by an admin: this coach may publish and roll back the organisation's rules.
    can_publish: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="admin")
    coach_id: Mapped[str | None] = mapped_column(
        ForeignKey("coaches.id", ondelete="CASCADE"), default=None
    )
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Athlete(Base):
    __tablename__ = "athletes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64))
    units: Mapped[str] = mapped_column(String(2))
    external_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    coach_id: Mapped[str | None] = mapped_column(
        ForeignKey("coaches.id", ondelete="SET NULL"), default=None, index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # An update writes `WHERE version = <the version read>`: a concurrent change makes it fail
    # (StaleDataError, a 412) instead of being overwritten. The code sets the next version.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012


class IntakeRecord(Base):
    __tablename__ = "intakes"
    __table_args__ = (UniqueConstraint("athlete_id", "version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    athlete_id: Mapped[str] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanRecord(Base):
    """A plan and its current revision. Its content lives in rows: the sessions in
    `session_versions` (current ones named by `plan_sessions`), the rest in `plan_parts`;
    each revision in `plan_revisions` lists the versions it contains."""

    __tablename__ = "plans"
    __table_args__ = (Index("ix_plans_athlete_created", "athlete_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    athlete_id: Mapped[str] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    intake_id: Mapped[str] = mapped_column(ForeignKey("intakes.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(24))
    ruleset_name: Mapped[str] = mapped_column(String(64))
    ruleset_version: Mapped[str] = mapped_column(String(40))
    ruleset_digest: Mapped[str] = mapped_column(String(64))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    header_digest: Mapped[str] = mapped_column(String(64))  # its `plan_parts` row
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanRevision(Base):
    __tablename__ = "plan_revisions"
    __table_args__ = (UniqueConstraint("plan_id", "revision"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200), default="")
    header_digest: Mapped[str] = mapped_column(String(64))
    versions: Mapped[dict[str, Any]]  # {"v": [session version numbers, in plan order]}
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanPart(Base):
    """A plan's content besides its sessions (weeks, reasons, exercises, warnings…), stored
    once per distinct content and shared by every revision that has it."""

    __tablename__ = "plan_parts"

    plan_id: Mapped[str] = mapped_column(
        ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[dict[str, Any]]


class SessionVersion(Base):
    """One version of a plan's session, written when the session's content is new to the plan
    (a session that goes back to an earlier content reuses that version). Never updated."""

    __tablename__ = "session_versions"
    __table_args__ = (
        Index("ix_session_versions_content", "plan_id", "session_id", "content_hash"),
    )

    plan_id: Mapped[str] = mapped_column(
        ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    session_id: Mapped[str] = mapped_column(String(36))
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    content_hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SessionState(Base):
    """A session of a plan: its current version, its calendar history (content hash, how often
    it changed) and, once it has left the plan, when."""

    __tablename__ = "plan_sessions"

    plan_id: Mapped[str] = mapped_column(
        ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(default=None)
    version: Mapped[int | None] = mapped_column(Integer, default=None)  # its current content
    position: Mapped[int] = mapped_column(Integer, default=0)  # its place in the plan


class CheckIn(Base):
    """A runner's check-in on a plan, with the pain-monitoring verdict it produced."""

    __tablename__ = "check_ins"
    __table_args__ = (Index("ix_check_ins_plan_day", "plan_id", "day"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    athlete_id: Mapped[str] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    pain_during: Mapped[int] = mapped_column(Integer)
    pain_next_morning: Mapped[int | None] = mapped_column(Integer, default=None)
    body: Mapped[dict[str, Any]]
    verdict: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[dict[str, Any]]
    plan_revision: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedToken(Base):
    """A secret calendar URL for one athlete's plan; only its hash is stored."""

    __tablename__ = "feed_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    athlete_id: Mapped[str] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE"), index=True
    )
    lookup: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100), default="")
    alarm_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class RuleSetVersion(Base):
    """An organisation's rule set: a draft (editable) or a published, immutable version."""

    __tablename__ = "rule_set_versions"
    __table_args__ = (UniqueConstraint("organization_id", "number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int | None] = mapped_column(Integer, default=None)  # set when published
    status: Mapped[str] = mapped_column(String(16))  # draft | published
    based_on: Mapped[str] = mapped_column(String(40))
    files: Mapped[dict[str, Any]]
    digest: Mapped[str | None] = mapped_column(String(64), default=None)
    etag: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)

    # As Athlete's version: a draft's ETag is checked by the write itself.
    __mapper_args__ = {"version_id_col": etag, "version_id_generator": False}  # noqa: RUF012


class RegenerationJob(Base):
    """Re-generating an organisation's plans with a newly active rule set, with progress."""

    __tablename__ = "regeneration_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    ruleset_id: Mapped[str | None] = mapped_column(String(36), default=None)
    reason: Mapped[str] = mapped_column(String(100))
    # queued, running, done or done_with_errors
    status: Mapped[str] = mapped_column(String(16), default="queued")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class RegenerationItem(Base):
    """One athlete's part of a regeneration job, written in the same transaction as its plan's
    new revision: a task that finds its item has nothing left to do (re-running it writes
    nothing), and the job's counts are the items'."""

    __tablename__ = "regeneration_items"

    job_id: Mapped[str] = mapped_column(
        ForeignKey("regeneration_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    plan_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    athlete_id: Mapped[str | None] = mapped_column(String(36), default=None)
    # replanned | unchanged (already on these rules) | gone (deleted) | base_rules | kept
    outcome: Mapped[str] = mapped_column(String(16))
    revision: Mapped[int | None] = mapped_column(Integer, default=None)  # the one it wrote
    error: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StudioSession(Base):
    """A browser signed in to the studio with an API key: the cookie's secret is stored only as
    a hash; signing out deletes the row, and revoking the key ends every session made with it."""

    __tablename__ = "studio_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    api_key_id: Mapped[str] = mapped_column(
        ForeignKey("api_keys.id", ondelete="CASCADE"), index=True
    )
    lookup: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class IdempotencyRecord(Base):
    """The first response to a creating POST with an Idempotency-Key, to replay it."""

    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)  # hash(caller, key, path)
    body_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # done (in_flight: claims of earlier versions)
    response_status: Mapped[int | None] = mapped_column(Integer, default=None)
    response_headers: Mapped[dict[str, Any]]
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

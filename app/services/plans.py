"""Athletes, intakes and plans: generation, storage and the calendar history of sessions."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, func, insert, select

from app.engine.model import RuleSet
from app.errors import InvalidInput, NotFound
from app.export.ical import CalendarOptions, SessionStamp, to_ical
from app.intake.checks import finalize
from app.intake.models import Intake
from app.plan.build import BuildOptions, build_plan
from app.plan.models import Plan, SessionOut
from app.storage.scope import Tenant
from app.storage.tables import (
    Athlete,
    IntakeRecord,
    PlanRecord,
    PlanRevision,
    SessionState,
    utcnow,
)


def plan_json(plan: Plan) -> dict[str, Any]:
    """The stored and served form of a plan (absent values left out)."""
    return plan.model_dump(mode="json", exclude_none=True)


def store_intake(tenant: Tenant, athlete: Athlete, intake: Intake) -> IntakeRecord:
    """Store a validated intake as the athlete's next version; the intake's athlete details
    (name, time zone, units) update the athlete's profile and its version."""
    current = tenant.db.scalar(
        select(func.max(IntakeRecord.version)).where(IntakeRecord.athlete_id == athlete.id)
    )
    record = IntakeRecord(
        id=str(uuid.uuid4()),
        athlete_id=athlete.id,
        version=(current or 0) + 1,
        body=intake.model_dump(mode="json", exclude_none=True),
    )
    profile = (intake.athlete.name, intake.athlete.timezone, intake.athlete.units.value)
    if profile != (athlete.name, athlete.timezone, athlete.units):
        # The intake is the latest word on the athlete's profile: it changes, and so does the
        # athlete's ETag (a PATCH made with the old one is then a 412).
        athlete.name, athlete.timezone, athlete.units = profile
        athlete.version += 1
    return tenant.add(record)


def intake_for_plan(tenant: Tenant, athlete: Athlete, intake_id: str | None) -> IntakeRecord:
    """The intake a plan is made from: the one named, else the athlete's latest."""
    if intake_id is not None:
        record = tenant.get(IntakeRecord, intake_id, what="intake")
        if record.athlete_id != athlete.id:
            raise NotFound(f"intake {intake_id} not found")
        return record
    latest = tenant.db.scalars(
        tenant.select(IntakeRecord)
        .where(IntakeRecord.athlete_id == athlete.id)
        .order_by(IntakeRecord.version.desc())
    ).first()
    if latest is None:
        raise InvalidInput(
            "the athlete has no intake yet",
            detail=[
                {"loc": ["body", "intake_id"], "msg": "post an intake first", "type": "missing"}
            ],
        )
    return latest


def generate_plan(
    tenant: Tenant,
    athlete: Athlete,
    record: IntakeRecord,
    ruleset: RuleSet,
    today: date,
    start_date: date | None = None,
) -> tuple[PlanRecord, Plan]:
    """Generate and store a plan (revision 1), returning the stored row and the plan; a failure
    stores nothing (the caller's transaction is rolled back)."""
    try:
        intake = Intake.model_validate(record.body)
    except ValidationError as exc:  # pragma: no cover - bodies are validated before storage
        raise InvalidInput("the stored intake is no longer valid") from exc
    if start_date is not None:
        intake = intake.model_copy(update={"start_date": start_date})
    intake = finalize(intake, today, loc_prefix=("body",))
    previous = tenant.db.scalars(  # its id only: the document is not needed here
        tenant.select(PlanRecord)
        .with_only_columns(PlanRecord.id)
        .where(PlanRecord.athlete_id == athlete.id)
        .order_by(PlanRecord.created_at.desc(), PlanRecord.id)
    ).first()
    plan_id = str(uuid.uuid4())
    plan = build_plan(intake, ruleset, BuildOptions(lineage=athlete.id, plan_id=plan_id))
    now = utcnow()
    document = plan_json(plan)
    stored = tenant.add(
        PlanRecord(
            id=plan_id,
            athlete_id=athlete.id,
            intake_id=record.id,
            revision=plan.revision,
            status=plan.status,
            ruleset_name=ruleset.name,
            ruleset_version=ruleset.version,
            ruleset_digest=ruleset.digest,
            start_date=plan.start,
            end_date=plan.end,
            document=document,
            created_at=now,
            updated_at=now,
        )
    )
    tenant.add(
        PlanRevision(
            id=str(uuid.uuid4()),
            plan_id=plan_id,
            revision=plan.revision,
            reason="created",
            document=document,
            created_at=now,
        )
    )
    sync_sessions(tenant, plan_id, plan, now, carry_from=previous)
    return stored, plan


def save_revision(
    tenant: Tenant, record: PlanRecord, plan: Plan, reason: str, now: datetime
) -> None:
    """Make `plan` the record's current document, keep it as the next revision (with why it
    was made) and bring its sessions' calendar history up to date (see `sync_sessions`)."""
    document = plan_json(plan)
    record.document, record.revision, record.status = document, plan.revision, plan.status
    record.updated_at = now
    tenant.add(
        PlanRevision(
            id=str(uuid.uuid4()),
            plan_id=record.id,
            revision=plan.revision,
            reason=reason,
            document=document,
            created_at=now,
        )
    )
    sync_sessions(tenant, record.id, plan, now)


def session_hash(session: SessionOut) -> str:
    """A digest of what a calendar shows of a session (its id excluded)."""
    payload = session.model_dump_json(exclude={"id"}, exclude_none=True)
    return hashlib.sha256(payload.encode()).hexdigest()


_STATE_FIELDS = (
    "session_id",
    "day",
    "kind",
    "content_hash",
    "sequence",
    "modified_at",
    "removed_at",
)


def _states(tenant: Tenant, plan_id: str) -> dict[str, dict[str, Any]]:
    """A plan's session states as plain rows, by session id."""
    query = (
        tenant.select(SessionState)
        .with_only_columns(*(getattr(SessionState, name) for name in _STATE_FIELDS))
        .where(SessionState.plan_id == plan_id)
    )
    return {row.session_id: dict(row._mapping) for row in tenant.db.execute(query)}


def sync_sessions(
    tenant: Tenant, plan_id: str, plan: Plan, now: datetime, carry_from: str | None = None
) -> None:
    """Record each session's content; bump SEQUENCE for changed ones, mark missing ones removed.

    A new plan for an athlete carries the calendar history of the plan it replaces
    (`carry_from`): its sessions have the same UIDs, so their SEQUENCE must go on, never reset.
    The plan's rows are written in one statement (a plan has a few hundred sessions).
    """
    history = _states(tenant, carry_from if carry_from is not None else plan_id)
    rewrite = carry_from is None and bool(history)
    rows: list[dict[str, Any]] = []
    for session in plan.sessions:
        digest = session_hash(session)
        row: dict[str, Any] = {
            "session_id": session.id,
            "day": session.date,
            "kind": session.kind,
            "content_hash": digest,
            "sequence": 0,
            "modified_at": now,
            "removed_at": None,
        }
        old = history.pop(session.id, None)
        if old is not None and old["content_hash"] == digest and old["removed_at"] is None:
            row.update(sequence=old["sequence"], modified_at=old["modified_at"])  # unchanged
        elif old is not None:
            row["sequence"] = old["sequence"] + 1  # changed, or back after a removal
        rows.append(row)
    for old in history.values():  # no longer in the plan: cancelled in calendars
        if old["removed_at"] is None:
            old.update(removed_at=now, sequence=old["sequence"] + 1)
        rows.append(old)
    if rewrite:
        tenant.db.execute(
            delete(SessionState).where(
                SessionState.organization_id == tenant.organization_id,
                SessionState.plan_id == plan_id,
            )
        )
    if rows:
        owner = {"plan_id": plan_id, "organization_id": tenant.organization_id}
        tenant.db.execute(insert(SessionState), [{**row, **owner} for row in rows])


def calendar_bytes(
    tenant: Tenant,
    record: PlanRecord,
    host: str,
    base_url: str,
    *,
    alarm_minutes: int | None = None,
    calendar_uid: str | None = None,
) -> bytes:
    """The stored plan as iCalendar, with each session's SEQUENCE and LAST-MODIFIED."""
    plan = Plan.model_validate(record.document)
    states = tenant.db.scalars(tenant.select(SessionState).where(SessionState.plan_id == record.id))
    history = {s.session_id: SessionStamp(s.sequence, s.modified_at) for s in states}
    options = CalendarOptions(
        stamp=record.updated_at,
        host=host,
        base_url=base_url,
        history=history,
        alarm_minutes=alarm_minutes,
        calendar_uid=calendar_uid,
    )
    return to_ical(plan, options)

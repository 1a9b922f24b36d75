"""Athletes, intakes and plans: generation, storage and the calendar history of sessions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select

from app.engine.model import RuleSet
from app.errors import Conflict, InvalidInput, NotFound
from app.export.chart import to_svg
from app.export.ical import CalendarOptions, SessionStamp, to_ical
from app.intake.checks import finalize
from app.intake.models import UNKNOWN_TERM, Intake
from app.intake.vocabulary import Vocabulary, vocabulary_in_use
from app.plan.build import BuildOptions, build_plan
from app.plan.models import Plan
from app.services import plan_rows
from app.storage.scope import Tenant
from app.storage.tables import (
    Athlete,
    IntakeRecord,
    PlanRecord,
    SessionState,
    utcnow,
)


def plan_json(plan: Plan) -> dict[str, Any]:
    """The stored and served form of a plan (absent values left out)."""
    return plan.model_dump(mode="json", exclude_none=True)


def read_intake(body: dict[str, Any], vocabulary: Vocabulary) -> Intake:
    """A stored intake, read with the organisation's vocabulary of now: a name its rules no
    longer know (after a rollback, say) is a 409 naming it; the stored intake stays as it was."""
    try:
        with vocabulary_in_use(vocabulary):
            return Intake.model_validate(body)
    except ValidationError as exc:
        unknown = [e for e in exc.errors(include_url=False) if e["type"] == UNKNOWN_TERM]
        if not unknown:  # pragma: no cover - bodies are validated before storage
            raise InvalidInput("the stored intake is no longer valid") from exc
        names = ", ".join(f"'{e['input']}'" for e in unknown)
        raise Conflict(
            f"the intake names {names}, which the organisation's rules no longer know; "
            "publish rules that declare it, or store a new intake",
            detail=[
                {"loc": ["intake", *e["loc"]], "msg": e["msg"], "type": UNKNOWN_TERM}
                for e in unknown
            ],
        ) from exc


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
    intake = read_intake(record.body, ruleset.vocabulary)
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
            header_digest="",
            created_at=now,
            updated_at=now,
        )
    )
    tenant.db.flush()  # the plan's rows refer to it
    written = plan_rows.write(tenant, plan_id, plan_json(plan), now, carry_from=previous)
    stored.header_digest = written.header_digest
    plan_rows.add_revision(
        tenant, str(uuid.uuid4()), plan_id, plan.revision, "created", written, now
    )
    return stored, plan


def save_revision(
    tenant: Tenant,
    record: PlanRecord,
    plan: Plan,
    reason: str,
    now: datetime,
    *,
    keep_before: date | None = None,
) -> dict[str, Any]:
    """Make `plan` the record's current content, keep it as the next revision (with why it
    was made) and bring its sessions' calendar history up to date; only sessions whose content
    changed are written, and none dated before `keep_before`. Returns the stored document."""
    document = plan_json(plan)
    written = plan_rows.write(tenant, record.id, document, now, keep_before=keep_before)
    record.revision, record.status = plan.revision, plan.status
    record.header_digest, record.updated_at = written.header_digest, now
    plan_rows.add_revision(
        tenant, str(uuid.uuid4()), record.id, plan.revision, reason, written, now
    )
    return document


def stored_document(tenant: Tenant, record: PlanRecord) -> dict[str, Any]:
    """The plan's current document, from its rows."""
    return plan_rows.read(tenant, record.id, record.header_digest, record.revision)


def stored_plan(tenant: Tenant, record: PlanRecord) -> Plan:
    return Plan.model_validate(stored_document(tenant, record))


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
    plan = stored_plan(tenant, record)
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


def chart_svg(tenant: Tenant, record: PlanRecord, today: Callable[[str], date]) -> bytes:
    """The plan's weekly load chart, with today (in the athlete's time zone) and the plan's
    check-ins by verdict."""
    from app.services.checkins import records_for  # (it builds on this module)

    plan = stored_plan(tenant, record)
    check_ins = [(r.day, r.verdict) for r in records_for(tenant, record.id)]
    return to_svg(plan, today(plan.athlete.timezone), check_ins)

"""Re-generating an organisation's plans after a rule-set change, one athlete at a time.

`regenerate(context, job_id, plan_id)` is the whole of one athlete's work. The queue's workers
run it (app/queue.py, on PostgreSQL), and so does the API process itself on SQLite
(`run_in_process`). It is idempotent: the athlete's new revision, its `regeneration_items` row
and the job's counts commit in one transaction, and a run that finds the row has nothing left
to do, so a task re-run after a crash, or run twice at once, re-plans the athlete once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any, Literal, Protocol

import structlog
from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.engine.model import RuleSet
from app.errors import StridePlanError
from app.services.checkins import replan
from app.services.plans import save_revision, stored_plan
from app.services.rulesets import RuleSetLibrary, organization_plan_ids, version_label
from app.storage.scope import Tenant
from app.storage.tables import (
    PlanRecord,
    RegenerationItem,
    RegenerationJob,
    RuleSetVersion,
    utcnow,
)

log = structlog.get_logger("app.jobs")

# What became of one athlete: counted as done…
DONE = ("replanned", "unchanged", "gone")
# …or as failed (the new rules could not plan them): put on the base rules, or, when even
# those failed, left on the plan they had.
FAILED = ("base_rules", "kept")
Outcome = Literal["replanned", "unchanged", "gone", "base_rules", "kept", "already"]
# A job ends `done`, or `done_with_errors` when some athlete failed (every athlete was still
# seen to: the failed ones are on the base rules or their previous plan).
DONE_WITH_ERRORS = "done_with_errors"
FINISHED = ("done", DONE_WITH_ERRORS)


class TaskContext(Protocol):
    """What a task needs: database sessions, the compiled rule sets and the clock (the API's
    `Services` is one; so is the worker's `Workplace`)."""

    @property
    def sessions(self) -> Callable[[], Session]: ...

    @property
    def library(self) -> RuleSetLibrary: ...

    @property
    def today(self) -> Callable[[str], date]: ...


def job_ruleset(db: Session, library: RuleSetLibrary, job: RegenerationJob) -> RuleSet:
    """The rules a job re-generates with: the version it activated, or the shipped base."""
    if job.ruleset_id is None:
        return library.base
    version = db.get(RuleSetVersion, job.ruleset_id)
    if version is None or version.number is None:  # pragma: no cover - kept consistent
        return library.base
    return library.compile(
        dict(version.files["files"]), version_label(library.base, version.number)
    )


PROBLEM = re.compile(
    r"^(?P<rule>[A-Za-z0-9_.\-]+)(?: \(week of (?P<week>\d{4}-\d{2}-\d{2})\))?: (?P<message>.+)$"
)


def failure(exc: Exception, job_id: str, plan_id: str) -> dict[str, Any]:
    """What a job records about one athlete's failure: the message, and each broken rule with
    its week where the service's own error says so (a refused plan names them). Anything
    else is logged in full and recorded without internals (no SQL, no parameters)."""
    from app.services.rulesets import job_error

    problems: list[dict[str, Any]] = []
    if isinstance(exc, StridePlanError) and isinstance(exc.detail, list):
        for line in exc.detail[:20]:
            found = PROBLEM.match(line) if isinstance(line, str) else None
            if found and _is_date(found["week"]):
                problems.append(found.groupdict())
            else:
                problems.append({"rule": None, "week": None, "message": str(line)})
    return {"message": job_error(exc, job_id, plan_id), "problems": problems}


def _is_date(text: str | None) -> bool:
    if text is None:
        return True
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _item(db: Session, job_id: str, plan_id: str) -> RegenerationItem | None:
    return db.get(RegenerationItem, (job_id, plan_id))


def _count(db: Session, job_id: str, failed: bool) -> None:
    """One more athlete finished: the counts go up, and the job is finished when they reach
    its total. The row is locked from this update to the commit, so concurrent tasks count in
    turn and exactly one of them sees the last athlete."""
    job = RegenerationJob
    db.execute(
        update(job)
        .where(job.id == job_id)
        .values(
            done=job.done + (0 if failed else 1),
            failed=job.failed + (1 if failed else 0),
            status=case((job.status == "queued", "running"), else_=job.status),
        )
        .execution_options(synchronize_session=False)
    )
    db.execute(
        update(job)
        .where(
            job.id == job_id,
            job.done + job.failed >= job.total,
            job.status.not_in(FINISHED),
        )
        .values(
            status=case((job.failed > 0, DONE_WITH_ERRORS), else_="done"),
            finished_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


def _record(
    db: Session,
    job_id: str,
    plan_id: str,
    organization_id: str,
    outcome: Outcome,
    record: PlanRecord | None,
    error: dict[str, Any] | None = None,
) -> None:
    db.add(
        RegenerationItem(
            job_id=job_id,
            plan_id=plan_id,
            organization_id=organization_id,
            athlete_id=record.athlete_id if record else None,
            outcome=outcome,
            revision=record.revision if record and outcome in ("replanned", "base_rules") else None,
            error=error,
        )
    )
    db.flush()
    _count(db, job_id, failed=outcome in FAILED)


class _Failed(Exception):
    def __init__(self, cause: Exception) -> None:
        self.cause = cause


def _attempt(
    context: TaskContext,
    job_id: str,
    organization_id: str,
    plan_id: str,
    ruleset: RuleSet | None,
    outcome: Outcome,
    error: dict[str, Any] | None = None,
) -> Outcome:
    """One transaction: the plan's row locked, nothing done if the item exists already; else
    the plan made with `ruleset` (None: kept as it is) and stored with its item and the
    counts. Raises `_Failed` (nothing stored) when the rules cannot plan the athlete."""
    with context.sessions() as db:
        try:
            record = db.scalars(
                select(PlanRecord).where(PlanRecord.id == plan_id).with_for_update()
            ).first()
            if _item(db, job_id, plan_id) is not None:
                db.rollback()
                return "already"
            result: Outcome = outcome
            if record is None:
                result = "gone"
                _record(db, job_id, plan_id, organization_id, result, None)
            elif ruleset is None:
                _record(db, job_id, plan_id, organization_id, result, record, error)
            elif (record.ruleset_version, record.ruleset_digest) == (
                ruleset.version,
                ruleset.digest,
            ) and outcome == "replanned":
                result = "unchanged"  # already on these rules: nothing new to write
                _record(db, job_id, plan_id, organization_id, result, record)
            else:
                tenant = Tenant(db, organization_id)
                try:
                    previous = stored_plan(tenant, record)
                    plan, keep_before = replan(
                        tenant,
                        record,
                        ruleset,
                        context.today(previous.athlete.timezone),
                        previous=previous,
                    )
                    record.ruleset_name, record.ruleset_version = ruleset.name, ruleset.version
                    record.ruleset_digest = ruleset.digest
                    save_revision(
                        tenant,
                        record,
                        plan,
                        f"rules {ruleset.version}",
                        utcnow(),
                        keep_before=keep_before,
                    )
                    db.flush()
                except Exception as exc:  # this athlete's rules failed: nothing stored
                    db.rollback()
                    raise _Failed(exc) from exc
                _record(db, job_id, plan_id, organization_id, outcome, record, error)
            db.commit()
        except IntegrityError:  # another run of the same task committed first
            db.rollback()
            if _item(db, job_id, plan_id) is None:
                raise
            return "already"
    return result


def regenerate(context: TaskContext, job_id: str, plan_id: str) -> Outcome:
    """Bring one athlete's plan onto the job's rules, once. An athlete the new rules cannot
    plan goes onto the shipped base rules (always safe), never left on what the replaced
    rules made; if even those fail, the athlete keeps the plan they had. Either way the job
    records the athlete, the rule, the week and the message."""
    with context.sessions() as db:
        job = db.get(RegenerationJob, job_id)
        if job is None:  # its organisation was deleted
            return "gone"
        if _item(db, job_id, plan_id) is not None:
            return "already"
        organization_id = job.organization_id
        ruleset = job_ruleset(db, context.library, job)
    try:
        return _attempt(context, job_id, organization_id, plan_id, ruleset, "replanned")
    except _Failed as first:
        error = failure(first.cause, job_id, plan_id)
    base = context.library.base
    if ruleset is not base:
        try:
            return _attempt(
                context,
                job_id,
                organization_id,
                plan_id,
                base,
                "base_rules",
                {**error, "outcome": "base_rules"},
            )
        except _Failed as second:
            log.error("re-generation on the base rules failed", job_id=job_id, plan_id=plan_id)
            error["base_rules"] = failure(second.cause, job_id, plan_id)["message"]
    return _attempt(
        context, job_id, organization_id, plan_id, None, "kept", {**error, "outcome": "kept"}
    )


def pending_plan_ids(db: Session, job: RegenerationJob) -> list[str]:
    """The organisation's current plans that the job has not finished."""
    finished = set(
        db.scalars(select(RegenerationItem.plan_id).where(RegenerationItem.job_id == job.id))
    )
    return [p for p in organization_plan_ids(db, job.organization_id) if p not in finished]


def finish(db: Session, job_id: str) -> None:
    """Close a job whose athletes are all through (its total may count an athlete deleted
    since): done, or done_with_errors when any athlete failed."""
    db.execute(
        update(RegenerationJob)
        .where(RegenerationJob.id == job_id, RegenerationJob.status.not_in(FINISHED))
        .values(
            status=case((RegenerationJob.failed > 0, DONE_WITH_ERRORS), else_="done"),
            finished_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


def run_in_process(context: TaskContext, job_id: str) -> None:
    """The job's athletes one after another in this process (SQLite, or when no queue is
    used): the same task as the queue's workers run, so a job resumed after a restart picks up
    where it stopped and re-plans no one twice."""
    with context.sessions() as db:
        job = db.get(RegenerationJob, job_id)
        if job is None or job.status in FINISHED:
            return
        plan_ids = pending_plan_ids(db, job)
    for plan_id in plan_ids:
        regenerate(context, job_id, plan_id)
    with context.sessions() as db:
        finish(db, job_id)
        db.commit()


def unfinished_jobs(db: Session) -> list[str]:
    """Jobs queued or running (to resume when the server starts)."""
    return list(
        db.scalars(
            select(RegenerationJob.id)
            .where(RegenerationJob.status.not_in(FINISHED))
            .order_by(RegenerationJob.created_at, RegenerationJob.id)
        )
    )


def failures(db: Session, job_id: str, limit: int = 500) -> list[RegenerationItem]:
    """The job's failed athletes (the first `limit`)."""
    return list(
        db.scalars(
            select(RegenerationItem)
            .where(RegenerationItem.job_id == job_id, RegenerationItem.outcome.in_(FAILED))
            .order_by(RegenerationItem.created_at, RegenerationItem.plan_id)
            .limit(limit)
        )
    )

"""An organisation's rule sets over the API: draft → validate → test → preview → publish,
and rollback. Editing needs an admin or coach key; any key may read."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from app import queue
from app.api.deps import CallerDep, ServicesDep, TenantDep, after_commit, stop_when_gone
from app.api.errors import responses
from app.api.pagination import etag_of
from app.api.schemas import (
    JOB_HINT,
    ActiveRuleSet,
    DraftCreate,
    DraftOut,
    DraftPreviewOut,
    DraftTestOut,
    DraftValidateOut,
    JobFailure,
    JobOut,
    JobProblem,
    PreviewRequest,
    PublishOut,
    RollbackRequest,
    RuleSetsOut,
    VersionOut,
)
from app.errors import InvalidInput
from app.services import regeneration
from app.services.rulesets import (
    activate,
    create_draft,
    draft,
    preview,
    problems_of,
    publish,
    published,
    require_safe,
    test_results,
)
from app.services.vocabulary import refuse_orphans
from app.storage.scope import Tenant
from app.storage.tables import Organization, RegenerationItem, RegenerationJob, RuleSetVersion

router = APIRouter(prefix="/v1/rulesets", tags=["rules"])
EDITORS = ("admin", "coach")
YAML = "text/yaml"
MAX_PREVIEW_DAYS = 3 * 366


def draft_out(version: RuleSetVersion, with_text: bool) -> DraftOut:
    files: dict[str, str] = version.files["files"]
    return DraftOut(
        id=version.id,
        based_on=version.based_on,
        files=dict(sorted(files.items())) if with_text else sorted(files),
        etag=etag_of(version.etag),
        created_at=version.created_at,
    )


def _failure(item: RegenerationItem) -> JobFailure:
    error = item.error or {}
    problems = [JobProblem.model_validate(p) for p in error.get("problems", [])]
    first = next((p for p in problems if p.rule), None)
    return JobFailure(
        athlete_id=item.athlete_id,
        plan_id=item.plan_id,
        outcome="kept" if item.outcome == "kept" else "base_rules",
        rule=first.rule if first else None,
        week=first.week if first else None,
        message=_message(item),
        problems=problems,
    )


def _message(item: RegenerationItem) -> str:
    error = item.error or {}
    text = str(error.get("message", "failed"))
    if item.outcome == "base_rules":
        return text + "; the athlete's plan was made with the shipped base rules instead"
    if error.get("base_rules"):
        text += f"; the shipped base rules failed too ({error['base_rules']})"
    return text + "; the athlete keeps their previous plan"


def _job_out(job: RegenerationJob, failed: list[RegenerationItem] | None = None) -> JobOut:
    failed = failed or []
    return JobOut(
        id=job.id,
        reason=job.reason,
        status=job.status,
        total=job.total,
        done=job.done,
        failed=job.failed,
        errors={item.plan_id: _message(item) for item in failed},
        failures=[_failure(item) for item in failed],
        hint=JOB_HINT if job.failed else None,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


def _start(
    job: RegenerationJob, plan_ids: list[str], tenant: Tenant, services: ServicesDep
) -> None:
    """Queue the job's tasks in the request's own transaction (PostgreSQL), or start it in this
    process once the request has committed (the job needs its rows)."""
    if not plan_ids:
        return
    if queue.uses_queue(services.settings):
        queue.defer_regeneration(tenant.db, job.id, plan_ids)
        return
    job_id = job.id
    after_commit(
        tenant.db, lambda: services.jobs.submit(regeneration.run_in_process, services, job_id)
    )


@router.get(
    "",
    response_model=RuleSetsOut,
    responses=responses(401, 429),
    summary="The active rule set, published versions and drafts",
)
def list_rulesets(tenant: TenantDep, services: ServicesDep) -> RuleSetsOut:
    library = services.library
    organization = tenant.db.get(Organization, tenant.organization_id)
    assert organization is not None
    active = library.active(tenant.db, tenant.organization_id)
    versions = list(
        tenant.db.scalars(
            tenant.select(RuleSetVersion).order_by(RuleSetVersion.created_at, RuleSetVersion.id)
        )
    )
    return RuleSetsOut(
        active=ActiveRuleSet(
            name=active.name,
            version=active.version,
            digest=active.digest[:16],
            custom=organization.active_ruleset_id is not None,
        ),
        versions=[
            VersionOut(
                number=v.number or 0,
                based_on=v.based_on,
                digest=v.digest,
                published_at=v.published_at,
                active=v.id == organization.active_ruleset_id,
            )
            for v in versions
            if v.status == "published"
        ],
        drafts=[draft_out(v, False) for v in versions if v.status == "draft"],
    )


@router.post(
    "/drafts",
    status_code=201,
    response_model=DraftOut,
    responses=responses(401, 403, 404, 409, 413, 422, 429),
    summary="Start a draft from the base, the active rules or a version",
)
def create_ruleset_draft(
    body: DraftCreate,
    tenant: TenantDep,
    caller: CallerDep,
    services: ServicesDep,
    response: Response,
) -> DraftOut:
    caller.require(*EDITORS)
    version = create_draft(tenant, services.library, body.based_on, body.files)
    response.headers["ETag"] = etag_of(version.etag)
    return draft_out(version, True)


@router.get(
    "/drafts/{draft_id}",
    response_model=DraftOut,
    responses=responses(401, 404, 429),
    summary="A draft with its files (the ETag is for If-Match on edits)",
)
def get_ruleset_draft(draft_id: str, tenant: TenantDep, response: Response) -> DraftOut:
    version = draft(tenant, draft_id)
    response.headers["ETag"] = etag_of(version.etag)
    return draft_out(version, True)


@router.post(
    "/drafts/{draft_id}/validate",
    response_model=DraftValidateOut,
    response_model_exclude_unset=True,
    responses=responses(401, 403, 404, 409, 429),
    summary="The same checks and messages as `strideplan rules check`",
)
def validate_ruleset_draft(
    draft_id: str, tenant: TenantDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    caller.require(*EDITORS)
    ruleset, problems, warnings = problems_of(services.library, draft(tenant, draft_id))
    result: dict[str, Any] = {
        "ok": not problems,
        "problems": [p.as_dict() for p in problems],
        "warnings": [w.as_dict() for w in warnings],
    }
    if ruleset is not None:
        result["rules"], result["files"] = len(ruleset.rules), len(ruleset.files)
    return result


@router.post(
    "/drafts/{draft_id}/test",
    response_model=DraftTestOut,
    response_model_exclude_unset=True,
    responses=responses(401, 403, 404, 409, 429),
    summary="Run the draft's cases and the safety rules on random intakes",
)
def test_ruleset_draft(
    draft_id: str, request: Request, tenant: TenantDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    caller.require(*EDITORS)
    return test_results(services.library, draft(tenant, draft_id), stop=stop_when_gone(request))


@router.post(
    "/drafts/{draft_id}/preview",
    response_model=DraftPreviewOut,
    response_model_exclude_unset=True,
    responses=responses(401, 403, 404, 409, 413, 422, 429),
    summary="Re-plan athletes with the draft and show what would change",
)
def preview_ruleset_draft(
    draft_id: str,
    request: Request,
    tenant: TenantDep,
    caller: CallerDep,
    services: ServicesDep,
    body: PreviewRequest | None = None,
) -> dict[str, Any]:
    """Nothing is stored. Per athlete: sessions added, removed and changed, caps changed and
    status; and totals. Without `athlete_ids`, the organisation's athletes (at most 50)."""
    caller.require(*EDITORS)
    ids = body.athlete_ids if body else None
    version = draft(tenant, draft_id)
    today = services.today
    if body is not None and body.from_date is not None:
        day = body.from_date
        if abs((day - today("UTC")).days) > MAX_PREVIEW_DAYS:
            raise InvalidInput(
                "from_date is too far from today",
                detail=[
                    {
                        "loc": ["body", "from_date"],
                        "msg": "within three years of today",
                        "type": "date_range",
                    }
                ],
            )

        def today(_timezone: str) -> date:
            return day

    return preview(tenant, services.library, version, ids, today, stop=stop_when_gone(request))


@router.post(
    "/drafts/{draft_id}/publish",
    status_code=202,
    response_model=PublishOut,
    responses=responses(401, 403, 404, 409, 429),
    summary="Publish the draft as the next version; plans are re-generated",
)
def publish_ruleset_draft(
    draft_id: str, tenant: TenantDep, caller: CallerDep, services: ServicesDep
) -> PublishOut:
    """The version is immutable from now on. Every athlete's plan is re-generated in the
    background (the past kept); follow the job for progress."""
    caller.require_publisher()
    version = draft(tenant, draft_id)
    # Rules that drop a term some athlete's intake names would leave them unplannable.
    compiled = problems_of(services.library, version).ruleset
    if compiled is not None:  # (a draft that does not compile is refused just below)
        refuse_orphans(tenant, compiled.vocabulary)
    job, plan_ids = publish(tenant, services.library, version)
    _start(job, plan_ids, tenant, services)
    assert version.number is not None
    return PublishOut(version=version.number, job=_job_out(job))


@router.post(
    "/rollback",
    status_code=202,
    response_model=PublishOut,
    responses=responses(401, 403, 404, 409, 413, 422, 429),
    summary="Make an earlier version (or the base) active again",
)
def rollback_ruleset(
    body: RollbackRequest, tenant: TenantDep, caller: CallerDep, services: ServicesDep
) -> PublishOut:
    caller.require_publisher()
    version = None if body.version == "base" else published(tenant, int(body.version))
    if version is not None:  # an older version must pass today's safety core too
        require_safe(services.library, version, f"version {body.version}")
    job, plan_ids = activate(tenant, version, f"rolled back to {body.version}")
    _start(job, plan_ids, tenant, services)
    return PublishOut(version=body.version, job=_job_out(job))


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    responses=responses(401, 404, 429),
    summary="Progress of a plan re-generation",
)
def get_ruleset_job(job_id: str, tenant: TenantDep) -> JobOut:
    job = tenant.get(RegenerationJob, job_id, what="job")
    return _job_out(job, regeneration.failures(tenant.db, job.id) if job.failed else [])


@router.get(
    "/versions/{number}",
    response_model=DraftOut,
    responses=responses(401, 404, 429),
    summary="A published version's files",
)
def get_ruleset_version(
    number: Annotated[int, Path(ge=1, le=1_000_000)], tenant: TenantDep
) -> DraftOut:
    return draft_out(published(tenant, number), True)

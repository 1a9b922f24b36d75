"""Athletes, their intakes and their plans."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from app.api.deps import CallerDep, RuleSetDep, ServicesDep, TenantDep, refer_to_plan
from app.api.errors import responses
from app.api.pagination import Cursor, Limit, check_if_match, etag_of, paginate
from app.api.plans import plan_response
from app.api.schemas import (
    AthleteCreate,
    AthleteOut,
    AthletePage,
    AthletePatch,
    CheckInOut,
    CheckInResponse,
    IntakeOut,
    PlanChanges,
    PlanCreate,
    Verdict,
)
from app.contract.entries import Why
from app.errors import Forbidden
from app.intake.checkin import CheckInIn
from app.intake.checks import finalize
from app.intake.models import Intake
from app.plan.models import Plan
from app.services.checkins import record_check_in
from app.services.plans import generate_plan, intake_for_plan, store_intake
from app.storage.tables import Athlete, Coach, IntakeRecord

router = APIRouter(prefix="/v1/athletes", tags=["athletes"])


def _athlete_out(athlete: Athlete) -> AthleteOut:
    return AthleteOut.model_validate(athlete, from_attributes=True)


@router.post(
    "",
    status_code=201,
    response_model=AthleteOut,
    responses=responses(401, 403, 404, 409, 413, 422, 429),
    summary="Create an athlete",
)
def create_athlete(body: AthleteCreate, tenant: TenantDep, caller: CallerDep) -> AthleteOut:
    """A coach's key creates the coach's own athletes; admin and app keys may name a coach."""
    coach_id = body.coach_id
    if coach_id is not None:
        if caller.role == "coach" and coach_id != caller.coach_id:
            raise Forbidden("a coach key creates athletes for its own coach only")
        tenant.get(Coach, coach_id, what="coach")
    athlete = tenant.add(
        Athlete(
            id=str(uuid.uuid4()),
            name=body.name,
            timezone=body.timezone,
            units=body.units.value,
            external_ref=body.external_ref,
            coach_id=coach_id,
        )
    )
    return _athlete_out(athlete)


@router.get(
    "",
    response_model=AthletePage,
    responses=responses(401, 422, 429),
    summary="The athletes this key can see",
)
def list_athletes(tenant: TenantDep, limit: Limit = 50, cursor: Cursor = None) -> AthletePage:
    rows, following = paginate(tenant, Athlete, limit, cursor)
    return AthletePage(items=[_athlete_out(a) for a in rows], next_cursor=following)


@router.get(
    "/{athlete_id}",
    response_model=AthleteOut,
    responses=responses(401, 404, 429),
    summary="An athlete (its ETag is for If-Match on updates)",
)
def get_athlete(athlete_id: str, tenant: TenantDep, response: Response) -> AthleteOut:
    athlete = tenant.get(Athlete, athlete_id, what="athlete")
    response.headers["ETag"] = etag_of(athlete.version)
    return _athlete_out(athlete)


@router.patch(
    "/{athlete_id}",
    response_model=AthleteOut,
    responses=responses(401, 403, 404, 412, 413, 422, 428, 429),
    summary="Update an athlete (needs If-Match)",
)
def update_athlete(
    athlete_id: str,
    body: AthletePatch,
    tenant: TenantDep,
    caller: CallerDep,
    response: Response,
    if_match: Annotated[str | None, Header(description="The athlete's ETag")] = None,
) -> AthleteOut:
    athlete = tenant.get(Athlete, athlete_id, what="athlete")
    check_if_match(if_match, athlete.version)
    changes = body.model_dump(exclude_unset=True)
    if "coach_id" in changes:
        if caller.role == "coach":
            raise Forbidden("a coach key cannot hand an athlete to another coach")
        if changes["coach_id"] is not None:
            tenant.get(Coach, changes["coach_id"], what="coach")
    for field, value in changes.items():
        setattr(athlete, field, value.value if field == "units" and value else value)
    athlete.version += 1
    tenant.db.flush()
    response.headers["ETag"] = etag_of(athlete.version)
    return _athlete_out(athlete)


def _intake_out(record: IntakeRecord) -> IntakeOut:
    return IntakeOut(
        id=record.id,
        athlete_id=record.athlete_id,
        version=record.version,
        created_at=record.created_at,
        intake=record.body,
    )


@router.get(
    "/{athlete_id}/intakes",
    response_model=list[IntakeOut],
    responses=responses(401, 404),
    summary="The athlete's intakes, latest first",
)
def list_intakes(
    athlete_id: str, tenant: TenantDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[IntakeOut]:
    """As stored: an intake stays readable whatever the organisation's rules know now."""
    athlete = tenant.get(Athlete, athlete_id, what="athlete")
    records = tenant.db.scalars(
        tenant.select(IntakeRecord)
        .where(IntakeRecord.athlete_id == athlete.id)
        .order_by(IntakeRecord.version.desc())
        .limit(limit)
    )
    return [_intake_out(record) for record in records]


@router.post(
    "/{athlete_id}/intakes",
    status_code=201,
    response_model=IntakeOut,
    responses=responses(401, 404, 409, 413, 422),
    summary="Store an intake for an athlete",
)
def create_intake(
    athlete_id: str,
    intake: Intake,
    tenant: TenantDep,
    services: ServicesDep,
    _ruleset: RuleSetDep,  # its vocabulary checks the intake's names
) -> IntakeOut:
    athlete = tenant.get(Athlete, athlete_id, what="athlete")
    finalize(intake, services.today(intake.athlete.timezone), loc_prefix=("body",), new=True)
    return _intake_out(store_intake(tenant, athlete, intake))


@router.post(
    "/{athlete_id}/plans",
    status_code=201,
    response_model=Plan,
    responses=responses(401, 404, 409, 413, 422),
    summary="Generate and store a plan from the athlete's latest intake",
)
def create_plan(
    athlete_id: str,
    http: Request,
    tenant: TenantDep,
    ruleset: RuleSetDep,
    services: ServicesDep,
    body: Annotated[PlanCreate | None, Body()] = None,
) -> Response:
    athlete = tenant.get(Athlete, athlete_id, what="athlete")
    request = body or PlanCreate()
    record = intake_for_plan(tenant, athlete, request.intake_id)
    stored, plan = generate_plan(
        tenant, athlete, record, ruleset, services.today(athlete.timezone), request.start_date
    )
    refer_to_plan(http, stored.id, plan.revision)
    return plan_response(
        plan,
        status_code=201,
        headers={"Location": f"/v1/plans/{stored.id}"},
    )


@router.post(
    "/{athlete_id}/check-ins",
    status_code=201,
    response_model=CheckInResponse,
    responses=responses(401, 404, 409, 413, 422),
    summary="Record a check-in and re-plan from the next day",
)
def create_check_in(
    athlete_id: str,
    body: CheckInIn,
    http: Request,
    tenant: TenantDep,
    ruleset: RuleSetDep,
    services: ServicesDep,
) -> Response:
    """Pain during running and the next morning feed the pain-monitoring rules; the plan is
    re-planned from the day after the check-in (the past stays as it was), its revision goes up,
    unchanged sessions keep their ids, and the response lists what changed and why."""
    athlete = tenant.get(Athlete, athlete_id, what="athlete")
    result = record_check_in(tenant, athlete, body, ruleset, services.today(athlete.timezone))
    row = result.check_in
    refer_to_plan(http, row.plan_id, result.plan.revision, "plan")
    check_in = CheckInOut(
        id=row.id,
        athlete_id=row.athlete_id,
        plan_id=row.plan_id,
        date=row.day.isoformat(),
        pain_during=row.pain_during,
        pain_next_morning=row.pain_next_morning,
        created_at=row.created_at,
    )
    verdict = Verdict(
        load=result.verdict, why=[Why(rule=r.rule, because=r.because) for r in result.reasons]
    )
    # CheckInResponse's shape; the plan as every plan is served (absent values left out).
    document = {
        "check_in": check_in.model_dump(mode="json"),
        "verdict": verdict.model_dump(mode="json"),
        "plan": result.document,
        "changes": PlanChanges.model_validate(result.changes).model_dump(mode="json"),
    }
    return JSONResponse(document, status_code=201)

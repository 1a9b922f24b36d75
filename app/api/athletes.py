"""Athletes, their intakes and their plans."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Response

from app.api.deps import RuleSetDep, ServicesDep, TenantDep, today_in
from app.api.errors import responses
from app.api.plans import plan_response
from app.api.schemas import (
    AthleteCreate,
    AthleteOut,
    CheckInOut,
    CheckInResponse,
    IntakeOut,
    PlanChanges,
    PlanCreate,
    Verdict,
)
from app.intake.checkin import CheckInIn
from app.intake.checks import finalize
from app.intake.models import Intake
from app.plan.models import Plan
from app.services.checkins import record_check_in
from app.services.plans import generate_plan, intake_for_plan, plan_json, store_intake
from app.storage.tables import Athlete, IntakeRecord

router = APIRouter(prefix="/v1/athletes", tags=["athletes"])


def _athlete_out(athlete: Athlete) -> AthleteOut:
    return AthleteOut.model_validate(athlete, from_attributes=True)


@router.post(
    "",
    status_code=201,
    response_model=AthleteOut,
    responses=responses(401, 413, 422),
    summary="Create an athlete",
)
def create_athlete(body: AthleteCreate, tenant: TenantDep) -> AthleteOut:
    athlete = tenant.add(
        Athlete(
            id=str(uuid.uuid4()),
            name=body.name,
            timezone=body.timezone,
            units=body.units.value,
            external_ref=body.external_ref,
        )
    )
    return _athlete_out(athlete)


@router.get(
    "/{athlete_id}", response_model=AthleteOut, responses=responses(401, 404), summary="An athlete"
)
def get_athlete(athlete_id: str, tenant: TenantDep) -> AthleteOut:
    return _athlete_out(tenant.get(Athlete, athlete_id, what="athlete"))


def _intake_out(record: IntakeRecord) -> IntakeOut:
    return IntakeOut(
        id=record.id,
        athlete_id=record.athlete_id,
        version=record.version,
        created_at=record.created_at,
        intake=record.body,
    )


@router.post(
    "/{athlete_id}/intakes",
    status_code=201,
    response_model=IntakeOut,
    responses=responses(401, 404, 413, 422),
    summary="Store an intake for an athlete",
)
def create_intake(athlete_id: str, intake: Intake, tenant: TenantDep) -> IntakeOut:
    athlete = tenant.get(Athlete, athlete_id, what="athlete")
    finalize(intake, today_in(intake.athlete.timezone), loc_prefix=("body",))
    return _intake_out(store_intake(tenant, athlete, intake))


@router.post(
    "/{athlete_id}/plans",
    status_code=201,
    response_model=Plan,
    responses=responses(401, 404, 413, 422),
    summary="Generate and store a plan from the athlete's latest intake",
)
def create_plan(
    athlete_id: str,
    tenant: TenantDep,
    ruleset: RuleSetDep,
    body: Annotated[PlanCreate | None, Body()] = None,
) -> Response:
    athlete = tenant.get(Athlete, athlete_id, what="athlete")
    request = body or PlanCreate()
    record = intake_for_plan(tenant, athlete, request.intake_id)
    stored = generate_plan(
        tenant, athlete, record, ruleset, today_in(athlete.timezone), request.start_date
    )
    return plan_response(
        Plan.model_validate(stored.document),
        status_code=201,
        headers={"Location": f"/v1/plans/{stored.id}"},
    )


@router.post(
    "/{athlete_id}/check-ins",
    status_code=201,
    response_model=CheckInResponse,
    responses=responses(401, 404, 413, 422),
    summary="Record a check-in and re-plan from the next day",
)
def create_check_in(
    athlete_id: str, body: CheckInIn, tenant: TenantDep, ruleset: RuleSetDep, services: ServicesDep
) -> CheckInResponse:
    """Pain during running and the next morning feed the pain-monitoring rules; the plan is
    re-planned from the day after the check-in (the past stays as it was), its revision goes up,
    unchanged sessions keep their ids, and the response lists what changed and why."""
    athlete = tenant.get(Athlete, athlete_id, what="athlete")
    result = record_check_in(tenant, athlete, body, ruleset, today_in(athlete.timezone))
    services.feed_targets.forget()  # the athlete's calendar shows the new revision at once
    row = result.check_in
    return CheckInResponse(
        check_in=CheckInOut(
            id=row.id,
            athlete_id=row.athlete_id,
            plan_id=row.plan_id,
            date=row.day.isoformat(),
            pain_during=row.pain_during,
            pain_next_morning=row.pain_next_morning,
            created_at=row.created_at,
        ),
        verdict=Verdict(load=result.verdict, why=[r.as_dict() for r in result.reasons]),
        plan=plan_json(result.plan),
        changes=PlanChanges.model_validate(result.changes),
    )

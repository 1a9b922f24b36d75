"""Plan endpoints: stateless preview, stored plans as JSON and as iCalendar."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.api.deps import CallerDep, RuleSetDep, ServicesDep, TenantDep
from app.api.errors import TEXT, responses
from app.intake.checks import finalize
from app.intake.models import Intake
from app.plan.build import BuildOptions, build_plan, preview_lineage
from app.plan.models import Plan
from app.services.plans import calendar_bytes, chart_svg, stored_plan
from app.storage.tables import PlanRecord

router = APIRouter(prefix="/v1", tags=["plans"])

JSON = "application/json"
CALENDAR = "text/calendar; charset=utf-8"


def plan_response(
    plan: Plan, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A plan as JSON (absent values left out), serialised in one step."""
    return Response(
        plan.model_dump_json(exclude_none=True),
        status_code=status_code,
        media_type=JSON,
        headers=headers,
    )


@router.post(
    "/plans/preview",
    response_model=Plan,
    responses=responses(401, 409, 413, 422),
    summary="Generate a plan without storing anything",
)
def preview_plan(
    intake: Intake,
    _caller: CallerDep,
    ruleset: RuleSetDep,
    services: ServicesDep,
    explain: Annotated[bool, Query(description="Also list rules one condition short")] = False,
) -> Response:
    """Intake in, plan out; stateless. `start_date` defaults to next Monday where the athlete
    lives."""
    today = services.today(intake.athlete.timezone)
    finalized = finalize(intake, today, loc_prefix=("body",), new=True)
    options = BuildOptions(lineage=preview_lineage(finalized), explain=explain)
    return plan_response(build_plan(finalized, ruleset, options))


@router.get(
    "/plans/{plan_id}.ics",
    responses={
        **responses(401, 404),
        200: {"content": {"text/calendar": TEXT}, "description": "iCalendar"},
    },
    response_class=Response,
    summary="A stored plan as iCalendar",
)
def get_plan_calendar(plan_id: str, tenant: TenantDep, services: ServicesDep) -> Response:
    record = tenant.get(PlanRecord, plan_id, what="plan")
    settings = services.settings
    body = calendar_bytes(tenant, record, settings.calendar_host, settings.public_base_url)
    return Response(body, media_type=CALENDAR, headers={"Cache-Control": "private"})


@router.get(
    "/plans/{plan_id}/chart.svg",
    responses={
        **responses(401, 404),
        200: {"content": {"image/svg+xml": TEXT}, "description": "SVG"},
    },
    response_class=Response,
    summary="Weekly planned distance against the cap, with phases and races (SVG)",
)
def get_plan_chart(plan_id: str, tenant: TenantDep, services: ServicesDep) -> Response:
    """Weekly planned distance against the cap, the long run, phases, races with their
    distance, deload weeks, today, the check-ins by verdict and the peak a goal at risk needs."""
    record = tenant.get(PlanRecord, plan_id, what="plan")
    svg = chart_svg(tenant, record, services.today)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private"})


@router.get(
    "/plans/{plan_id}",
    response_model=Plan,
    responses=responses(401, 404),
    summary="A stored plan (its current revision)",
)
def get_plan(plan_id: str, tenant: TenantDep) -> Response:
    record = tenant.get(PlanRecord, plan_id, what="plan")
    return plan_response(stored_plan(tenant, record))

"""Coaches and API keys (admin keys only)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from app.api.deps import CallerDep, TenantDep
from app.api.errors import responses
from app.api.pagination import Cursor, Limit, paginate
from app.api.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    ApiKeyPage,
    CoachCreate,
    CoachOut,
    CoachPage,
    CoachPatch,
)
from app.services.organizations import create_api_key
from app.storage.tables import ApiKey, Coach, utcnow

router = APIRouter(prefix="/v1", tags=["organisation"])


def _key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        role=key.role,
        name=key.name,
        coach_id=key.coach_id,
        prefix=key.prefix,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked=key.revoked_at is not None,
    )


@router.post(
    "/coaches",
    status_code=201,
    response_model=CoachOut,
    responses=responses(401, 403, 409, 413, 422, 429),
    summary="Add a coach",
)
def create_coach(body: CoachCreate, tenant: TenantDep, caller: CallerDep) -> CoachOut:
    caller.require("admin")
    coach = Coach(id=str(uuid.uuid4()), name=body.name, can_publish=body.can_publish)
    return _coach_out(tenant.add(coach))


@router.patch(
    "/coaches/{coach_id}",
    response_model=CoachOut,
    responses=responses(401, 403, 404, 413, 422, 429),
    summary="Allow (or stop) a coach to publish and roll back the organisation's rules",
)
def patch_coach(coach_id: str, body: CoachPatch, tenant: TenantDep, caller: CallerDep) -> CoachOut:
    """Publishing re-plans every athlete of the organisation, other coaches' too: by default an
    admin's action. Granting it to a coach applies to their keys at once."""
    caller.require("admin")
    coach = tenant.get(Coach, coach_id, what="coach")
    coach.can_publish = body.can_publish
    tenant.db.flush()
    return _coach_out(coach)


def _coach_out(coach: Coach) -> CoachOut:
    return CoachOut(
        id=coach.id, name=coach.name, can_publish=coach.can_publish, created_at=coach.created_at
    )


@router.get(
    "/coaches",
    response_model=CoachPage,
    responses=responses(401, 403, 422, 429),
    summary="The organisation's coaches",
)
def list_coaches(
    tenant: TenantDep, caller: CallerDep, limit: Limit = 50, cursor: Cursor = None
) -> CoachPage:
    caller.require("admin", "app")
    rows, following = paginate(tenant, Coach, limit, cursor)
    return CoachPage(items=[_coach_out(c) for c in rows], next_cursor=following)


@router.post(
    "/api-keys",
    status_code=201,
    response_model=ApiKeyCreated,
    responses=responses(401, 403, 404, 409, 413, 422, 429),
    summary="Create an API key (shown once)",
)
def create_key(body: ApiKeyCreate, tenant: TenantDep, caller: CallerDep) -> ApiKeyCreated:
    caller.require("admin")
    key, value = create_api_key(tenant, body.role, body.name, body.coach_id)
    return ApiKeyCreated(**_key_out(key).model_dump(), api_key=value)


@router.get(
    "/api-keys",
    response_model=ApiKeyPage,
    responses=responses(401, 403, 422, 429),
    summary="The organisation's API keys (without their secrets)",
)
def list_keys(
    tenant: TenantDep, caller: CallerDep, limit: Limit = 50, cursor: Cursor = None
) -> ApiKeyPage:
    caller.require("admin")
    rows, following = paginate(tenant, ApiKey, limit, cursor)
    return ApiKeyPage(items=[_key_out(k) for k in rows], next_cursor=following)


@router.delete(
    "/api-keys/{key_id}",
    status_code=204,
    responses=responses(401, 403, 404, 429),
    summary="Revoke an API key",
)
def revoke_key(key_id: str, tenant: TenantDep, caller: CallerDep) -> Response:
    caller.require("admin")
    key = tenant.get(ApiKey, key_id, what="API key")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return Response(status_code=204)

"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.api.deps import ServicesDep
from app.api.schemas import Health
from app.storage.migrations import current_revision, head_revision

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="The process is alive")
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    responses={503: {"model": Health, "description": "Not ready"}},
    summary="The database answers and is at the latest migration",
)
def readyz(services: ServicesDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
            current = current_revision(connection)
        head = head_revision(services.settings.alembic_dir)
        if current == head:
            checks["migrations"] = "ok"
        elif current is None:
            checks["migrations"] = f"none applied, head is {head}: run `strideplan db upgrade`"
        else:
            checks["migrations"] = f"at {current}, head is {head}: run `strideplan db upgrade`"
    except Exception as exc:  # readiness reports any failure, it never raises
        checks.setdefault("database", f"unavailable: {type(exc).__name__}")
    ready = all(value == "ok" for value in checks.values()) and len(checks) == 2
    body = Health(status="ok" if ready else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

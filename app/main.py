"""The ASGI application: `app.main:app`."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError

from app import __version__
from app.api import (
    admin,
    athletes,
    feeds,
    health,
    openapi_extras,
    plans,
    ruleset_files,
    rulesets,
    vocabulary,
)
from app.api.compression import CompressionMiddleware
from app.api.deps import Services
from app.api.errors import install_error_handlers
from app.api.hygiene import refuse_control_characters
from app.api.idempotency import IdempotencyMiddleware
from app.api.limits import BodyLimitMiddleware
from app.api.ratelimit import RateLimitMiddleware
from app.config import Settings, get_settings
from app.engine.host import get_host
from app.logs import install_redaction
from app.observability import RequestContextMiddleware, configure_logging, metrics
from app.queue import uses_queue
from app.services.regeneration import run_in_process, unfinished_jobs
from app.services.rulesets import RuleSetLibrary
from app.storage.db import make_engine, make_sessionmaker
from app.studio import assets, web

DESCRIPTION = """
Training plans for injured and imbalanced runners: symptoms, assessment findings and race goals
in; a dated activation → strength → running-form plan out, every session with its reasons.

Every `/v1` route needs `Authorization: Bearer <api key>` (create one with
`strideplan org create NAME`). Errors are `{"error": code, "message": sentence, "detail": ...}`.
Not medical advice: red flags refer the runner to a clinician instead of producing a plan.
"""


log = structlog.get_logger("app.jobs")


def _operation_id(route: APIRoute) -> str:
    """Stable operation ids: the endpoint function's name."""
    return route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; the database and rule base are opened in the lifespan."""
    settings = settings or get_settings()
    install_redaction()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.configure_logging:
            configure_logging(settings.log_level, settings.log_json)
        library = RuleSetLibrary(settings.rules_dir)
        get_host().prepare(library.base)
        engine = make_engine(settings.database_url)
        services = Services(settings, engine, make_sessionmaker(engine), library)
        app.state.services = services
        if not uses_queue(settings):
            # No queue: this process runs re-generation itself, and picks up the jobs that a
            # stopped process left unfinished (their tasks skip the athletes already done).
            try:
                with services.sessions() as db:
                    unfinished = unfinished_jobs(db)
            except DBAPIError:  # not migrated yet: /readyz says so; nothing to resume
                log.warning("unfinished jobs not looked for: the database is not migrated")
                unfinished = []
            for job_id in unfinished:
                services.jobs.submit(run_in_process, services, job_id)
        # Everything loaded so far lives as long as the process: keep it out of the garbage
        # collector's way (plan generation allocates a lot; full collections were the p99).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            services.jobs.shutdown(wait=True)
            engine.dispose()

    app = FastAPI(
        title="StridePlan",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        dependencies=[Depends(refuse_control_characters)],
        # /docs and /redoc load their scripts from the app (app.studio.assets), not a CDN.
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    openapi_extras.install(app)
    # Outermost last: request id and logging, compression, then the body cap, rate limits,
    # idempotency.
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(
        RateLimitMiddleware,
        api_per_minute=settings.rate_limit_per_minute,
        feed_per_minute=settings.feed_rate_limit_per_minute,
        address_per_minute=settings.address_rate_limit_per_minute,
        redis_url=settings.redis_url,
        key_prefix=settings.redis_key_prefix,
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(CompressionMiddleware)
    app.add_middleware(RequestContextMiddleware)
    app.add_route("/metrics", metrics, include_in_schema=False)
    app.include_router(health.router)
    app.include_router(plans.router)
    app.include_router(athletes.router)
    app.include_router(feeds.router)
    app.include_router(admin.router)
    app.include_router(rulesets.router)
    app.include_router(ruleset_files.router)
    app.include_router(vocabulary.router)
    assets.install(app, settings)
    web.install(app)
    return app


app = create_app()

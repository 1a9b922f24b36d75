"""Calendar feeds: secret-token URLs for athletes (API) and the feed they subscribe to."""

from __future__ import annotations

from dataclasses import replace
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from app.api.deps import Services, ServicesDep, TenantDep
from app.api.errors import TEXT, responses
from app.api.pagination import Cursor, Limit, etags, paginate
from app.api.plans import CALENDAR
from app.api.schemas import (
    ErrorBody,
    FeedTokenCreate,
    FeedTokenCreated,
    FeedTokenOut,
    FeedTokenPage,
)
from app.errors import NotFound
from app.services.feeds import (
    Feed,
    FeedTarget,
    create_token,
    render,
    resolve,
    revoke_token,
    touch,
)
from app.storage.tables import Athlete, FeedToken

router = APIRouter(tags=["calendar"])
FEED_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/calendar": TEXT}, "description": "The athlete's plan as iCalendar"},
    304: {"description": "Not modified since the ETag / date given"},
    404: {"description": "Unknown or revoked calendar"},
    422: {"model": ErrorBody, "description": "Invalid path"},
    429: {"description": "Rate limited; see Retry-After"},
}


def _token_out(token: FeedToken) -> FeedTokenOut:
    return FeedTokenOut(
        id=token.id,
        athlete_id=token.athlete_id,
        name=token.name,
        alarm_minutes=token.alarm_minutes,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked=token.revoked_at is not None,
    )


@router.post(
    "/v1/athletes/{athlete_id}/feed-tokens",
    status_code=201,
    response_model=FeedTokenCreated,
    responses=responses(401, 404, 409, 413, 422),
    summary="Create a calendar URL for an athlete",
)
def create_feed_token(
    athlete_id: str, tenant: TenantDep, services: ServicesDep, body: FeedTokenCreate | None = None
) -> FeedTokenCreated:
    """The URL (and its webcal:// twin) is returned once; only a hash is kept. Subscribe to it
    once: it always shows the athlete's current plan."""
    athlete = tenant.get(Athlete, athlete_id, what="athlete")
    request = body or FeedTokenCreate()
    created = create_token(
        tenant, athlete, services.settings.public_base_url, request.name, request.alarm_minutes
    )
    return FeedTokenCreated(
        **_token_out(created.token).model_dump(), url=created.url, webcal_url=created.webcal_url
    )


@router.get(
    "/v1/athletes/{athlete_id}/feed-tokens",
    response_model=FeedTokenPage,
    responses=responses(401, 404, 422),
    summary="An athlete's calendar URLs (without their secrets)",
)
def list_feed_tokens(
    athlete_id: str, tenant: TenantDep, limit: Limit = 50, cursor: Cursor = None
) -> FeedTokenPage:
    athlete = tenant.get(Athlete, athlete_id, what="athlete")
    rows, following = paginate(
        tenant, FeedToken, limit, cursor, where=FeedToken.athlete_id == athlete.id
    )
    return FeedTokenPage(items=[_token_out(token) for token in rows], next_cursor=following)


@router.delete(
    "/v1/athletes/{athlete_id}/feed-tokens/{token_id}",
    status_code=204,
    responses=responses(401, 404),
    summary="Revoke a calendar URL",
)
def revoke_feed_token(athlete_id: str, token_id: str, tenant: TenantDep) -> Response:
    athlete = tenant.get(Athlete, athlete_id, what="athlete")
    revoke_token(tenant, athlete, token_id)
    return Response(status_code=204)


def _not_modified(request: Request, feed: Feed) -> bool:
    """RFC 9110 §13.1: If-None-Match wins over If-Modified-Since."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = etags(if_none_match)
        return "*" in tags or feed.etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        return since.tzinfo is not None and feed.last_modified <= since
    return False


@router.get(
    "/feeds/{token}.ics",
    response_class=Response,
    responses=FEED_RESPONSES,
    summary="Subscribe to an athlete's plan (no API key: the URL is the secret)",
)
async def get_feed(token: str, request: Request) -> Response:
    return await _serve_feed(token, request)


@router.head(
    "/feeds/{token}.ics",
    response_class=Response,
    responses=FEED_RESPONSES,
    summary="The feed's headers only (ETag, Last-Modified, length)",
)
async def head_feed(token: str, request: Request) -> Response:
    return await _serve_feed(token, request)


def _lookup(services: Services, token: str) -> tuple[FeedTarget, Feed] | None:
    """Token → plan revision → rendered feed, from the database (runs in a worker thread)."""
    with services.sessions() as db:
        try:
            target = resolve(db, token)
        except NotFound:
            return None
        key = (target.plan_id, target.revision, target.alarm_minutes)
        feed = services.feeds.get(key)
        if feed is None:
            feed = render(
                db, target, services.settings.calendar_host, services.settings.public_base_url
            )
            services.feeds.put(key, feed)
    if target.touch:
        touch(services.engine, target.token_id)
    return target, feed


async def _serve_feed(token: str, request: Request) -> Response:
    """Async, so that a poll answered from memory never waits for a thread; the database is
    asked only when the token's target is not remembered (see TtlCache)."""
    services: Services = request.app.state.services
    target = services.feed_targets.get(token)
    feed = None
    if target is not None:
        feed = services.feeds.get((target.plan_id, target.revision, target.alarm_minutes))
    if target is None or feed is None:
        found = await run_in_threadpool(_lookup, services, token)
        if found is None:
            return Response(
                b"not found\n",
                status_code=404,
                media_type="text/plain",
                headers={"Cache-Control": "no-store"},
            )
        target, feed = found
        services.feed_targets.put(token, replace(target, touch=False))
    headers = {
        "ETag": feed.etag,
        "Last-Modified": format_datetime(feed.last_modified, usegmt=True),
        "Cache-Control": "private, max-age=0, must-revalidate",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }
    if _not_modified(request, feed):
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        return Response(
            media_type=CALENDAR, headers={**headers, "Content-Length": str(len(feed.body))}
        )
    return Response(feed.body, media_type=CALENDAR, headers=headers)

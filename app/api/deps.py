"""Request dependencies, as `Annotated` aliases: the database session (the request is the
transaction), the caller, the tenant scope, the rule set and the clock."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from anyio import from_thread
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine, event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.config import Settings
from app.engine.model import RuleSet
from app.errors import ClientGone, Unauthorized
from app.intake.vocabulary import ACTIVE_VOCABULARY
from app.security import digest
from app.services.cache import TtlCache
from app.services.feeds import FeedCache, FeedTarget
from app.services.organizations import Caller, authenticate
from app.services.rulesets import RuleSetLibrary
from app.storage.scope import Tenant
from app.storage.tables import ApiKey, Coach, FeedToken, Organization, PlanRecord, SessionState


@dataclass
class Services:
    """What the app holds for its lifetime (set up in the lifespan)."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    library: RuleSetLibrary  # the shipped base and every organisation's versions
    feeds: FeedCache = field(default_factory=FeedCache)
    feed_targets: TtlCache[str, FeedTarget] = field(default_factory=TtlCache)
    callers: TtlCache[str, Caller] = field(default_factory=TtlCache)
    active_rulesets: TtlCache[str, RuleSet] = field(default_factory=TtlCache)
    jobs: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobs")
    )
    # Today's date in a time zone: the one clock of the service (tests set their own).
    today: Callable[[str], date] = field(default=lambda timezone: today_in(timezone))

    def __post_init__(self) -> None:
        forget_on_commit(
            self.sessions,
            {
                PlanRecord: self.feed_targets,
                SessionState: self.feed_targets,
                FeedToken: self.feed_targets,
                ApiKey: self.callers,
                Coach: self.callers,  # a coach granted (or refused) publishing
                Organization: self.active_rulesets,
            },
        )


CHANGED = "strideplan_changed_tables"
AUDIT_ONLY = {"last_used_at"}  # a change to these alone makes no cached answer wrong


def forget_on_commit(
    sessions: sessionmaker[Session], caches: Mapping[type[Any], TtlCache[Any, Any]]
) -> None:
    """Each cache forgets what it knew once a transaction that changed one of its tables
    commits: one place for every request and background job of the process (other workers
    catch up within the caches' time limit)."""

    def note(session: Session, model: type[Any]) -> None:
        if model in caches:
            session.info.setdefault(CHANGED, set()).add(model)

    def flushed(session: Session, _context: object) -> None:
        for obj in (*session.new, *session.deleted):
            note(session, type(obj))
        for obj in session.dirty:
            changed = {a.key for a in inspect(obj).attrs if a.history.has_changes()}
            if changed - AUDIT_ONLY:
                note(session, type(obj))

    def executed(state: ORMExecuteState) -> None:
        if (state.is_insert or state.is_update or state.is_delete) and state.bind_mapper:
            note(state.session, state.bind_mapper.class_)

    def committed(session: Session) -> None:
        for model in session.info.pop(CHANGED, ()):
            caches[model].forget()

    def rolled_back(session: Session) -> None:
        session.info.pop(CHANGED, None)

    event.listen(sessions, "after_flush", flushed)
    event.listen(sessions, "do_orm_execute", executed)
    event.listen(sessions, "after_commit", committed)
    event.listen(sessions, "after_rollback", rolled_back)


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


DISCONNECT_POLL_SECONDS = 0.25


def stop_when_gone(request: Request) -> Callable[[], None]:
    """For long work in a sync route (run in a worker thread): a function to call between
    pieces of work that raises ClientGone once the client has closed the connection, so work
    nobody waits for stops (checked at most every quarter second)."""
    checked = [time.monotonic()]

    def stop() -> None:
        now = time.monotonic()
        if now - checked[0] < DISCONNECT_POLL_SECONDS:
            return
        checked[0] = now
        try:
            gone = from_thread.run(request.is_disconnected)
        except RuntimeError:  # not in a worker thread of the event loop (a direct call)
            return
        if gone:
            raise ClientGone("the client closed the connection; the work was stopped")

    return stop


AFTER_COMMIT = "after_commit"


def after_commit(db: Session, action: Callable[[], object]) -> None:
    """Run `action` once the request's transaction has committed (never if it rolls back)."""
    db.info.setdefault(AFTER_COMMIT, []).append(action)


# A request with an Idempotency-Key: the middleware puts its record's key in the request
# state, and the request's session is handed back to it (not committed here) so that the
# effect and the stored response commit in one transaction (app/api/idempotency.py).
IDEMPOTENT = "idempotency_scope"
HELD_SESSION = "idempotency_session"
PLAN_REFERENCE = "idempotency_plan"


def refer_to_plan(request: Request, plan_id: str, revision: int, field: str | None = None) -> None:
    """The response carries this revision of a plan (as its whole body, or as `field` of it):
    with an Idempotency-Key, the stored response refers to the revision instead of copying it,
    and a replay reads it back (revisions never change)."""
    state = request.scope.setdefault("state", {})
    if state.get(IDEMPOTENT) is not None:
        state[PLAN_REFERENCE] = {"plan_id": plan_id, "revision": revision, "field": field}


def commit_and_close(session: Session) -> None:
    """Commit, run what waited for the commit, and close (rolled back and closed on error)."""
    try:
        session.commit()
    except BaseException:
        session.rollback()
        session.close()
        raise
    session.close()
    for action in session.info.pop(AFTER_COMMIT, []):
        action()


def get_db(request: Request, services: ServicesDep) -> Iterator[Session]:
    """One session per request: committed if the request succeeds, rolled back otherwise.
    With an Idempotency-Key the successful session is left to the idempotency middleware,
    which commits it together with the response it stores."""
    state = request.scope.setdefault("state", {})
    session = services.sessions()
    try:
        yield session
    except BaseException:
        session.rollback()
        session.close()
        raise
    if state.get(IDEMPOTENT) is not None:
        state[HELD_SESSION] = session
        return
    commit_and_close(session)


# "function" scope: the transaction commits (or fails) before the response is sent, so no
# client, and no idempotency record, ever sees a 2xx for a write that did not commit.
DbDep = Annotated[Session, Depends(get_db, scope="function")]


def _authenticate(services: Services, authorization: str | None) -> Caller:
    with services.sessions() as db, db.begin():
        return authenticate(db, authorization)


# Bearer authentication, declared once: the OpenAPI document gets a `bearer` security scheme
# and every operation that needs a key says so.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An API key of the organisation: `Authorization: Bearer <key>`",
)


async def get_caller(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
) -> Caller:
    """The key's caller, remembered for a moment so that a busy client does not cost a
    database round trip per request (see TtlCache; revocations here forget at once)."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized("send 'Authorization: Bearer <api key>'")
    authorization = f"Bearer {credentials.credentials}"
    fingerprint = digest(authorization)
    caller = services.callers.get(fingerprint)
    if caller is None:
        caller = await run_in_threadpool(_authenticate, services, authorization)
        services.callers.put(fingerprint, caller)
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_tenant(db: DbDep, caller: CallerDep) -> Tenant:
    return Tenant(db, caller.organization_id, caller.coach_id if caller.role == "coach" else None)


TenantDep = Annotated[Tenant, Depends(get_tenant)]


def _active(services: Services, organization_id: str) -> RuleSet:
    with services.sessions() as db:
        return services.library.active(db, organization_id)


async def get_ruleset(services: ServicesDep, caller: CallerDep) -> RuleSet:
    """The caller's organisation's active rule set (the shipped base until it publishes one),
    remembered for a moment (publishing or rolling back here forgets at once)."""
    ruleset = services.active_rulesets.get(caller.organization_id)
    if ruleset is None:
        ruleset = await run_in_threadpool(_active, services, caller.organization_id)
        services.active_rulesets.put(caller.organization_id, ruleset)
    # The request's body (resolved after its dependencies) is checked against this
    # organisation's vocabulary: its own findings, conditions, restrictions and gate criteria
    # are valid.
    ACTIVE_VOCABULARY.set(ruleset.vocabulary)
    return ruleset


RuleSetDep = Annotated[RuleSet, Depends(get_ruleset)]


def today_in(timezone: str) -> date:
    """Today's date where the athlete lives (default start dates depend on it)."""
    return datetime.now(UTC).astimezone(ZoneInfo(timezone)).date()

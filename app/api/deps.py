"""Request dependencies, as `Annotated` aliases: the database session (the request is the
transaction), the caller, the tenant scope, the rule set and the clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Header, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.engine.model import RuleSet
from app.services.feeds import FeedCache, TargetCache
from app.services.organizations import Caller, authenticate
from app.services.rulesets import RuleSetLibrary
from app.storage.scope import Tenant


@dataclass
class Services:
    """What the app holds for its lifetime (set up in the lifespan)."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    ruleset: RuleSet
    feeds: FeedCache = field(default_factory=FeedCache)
    feed_targets: TargetCache = field(default_factory=TargetCache)
    library: RuleSetLibrary | None = None
    jobs: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobs")
    )
    # Today's date in a time zone: the one clock of the service (tests set their own).
    today: Callable[[str], date] = field(default=lambda timezone: today_in(timezone))


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


AFTER_COMMIT = "after_commit"


def after_commit(db: Session, action: Callable[[], object]) -> None:
    """Run `action` once the request's transaction has committed (never if it rolls back)."""
    db.info.setdefault(AFTER_COMMIT, []).append(action)


def get_db(services: ServicesDep) -> Iterator[Session]:
    """One session per request: committed if the request succeeds, rolled back otherwise."""
    with services.sessions() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        for action in session.info.pop(AFTER_COMMIT, []):
            action()


DbDep = Annotated[Session, Depends(get_db)]


def get_caller(
    db: DbDep,
    authorization: Annotated[str | None, Header(description="Bearer <api key>")] = None,
) -> Caller:
    return authenticate(db, authorization)


CallerDep = Annotated[Caller, Depends(get_caller)]


def get_tenant(db: DbDep, caller: CallerDep) -> Tenant:
    return Tenant(db, caller.organization_id, caller.coach_id if caller.role == "coach" else None)


TenantDep = Annotated[Tenant, Depends(get_tenant)]


def get_ruleset(services: ServicesDep, db: DbDep, caller: CallerDep) -> RuleSet:
    """The caller's organisation's active rule set (the shipped base until it publishes one)."""
    if services.library is None:
        return services.ruleset
    return services.library.active(db, caller.organization_id)


RuleSetDep = Annotated[RuleSet, Depends(get_ruleset)]


def today_in(timezone: str) -> date:
    """Today's date where the athlete lives (default start dates depend on it)."""
    return datetime.now(UTC).astimezone(ZoneInfo(timezone)).date()

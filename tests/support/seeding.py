"""An organisation of many athletes, each with an intake and a stored plan, written straight
through the services (no HTTP): for the queue's crash tests and `benchmarks/regenerate.py`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cli import shifted_example
from app.config import PROJECT_ROOT
from app.engine.model import RuleSet
from app.intake.models import Intake
from app.services.organizations import create_organization
from app.services.plans import generate_plan, store_intake
from app.storage.db import make_engine, make_sessionmaker
from app.storage.scope import Tenant
from app.storage.tables import Athlete, PlanRevision

# Runners the shipped rules plan quickly and without a referral, taken in turn.
EXAMPLES = ("weak_left_glute_hamstring", "itb_10k_soon", "knees_no_squat_lunge", "couch_to_5k")


@dataclass
class Organisation:
    organization_id: str
    api_key: str
    plan_ids: list[str]


def seed_organisation(
    database_url: str, ruleset: RuleSet, athletes: int, today: date | None = None
) -> Organisation:
    """A new organisation with `athletes` athletes, each planned with `ruleset`; intakes are the
    examples moved to the coming season (so that a re-plan from today changes them)."""
    today = today or date.today()
    folder = PROJECT_ROOT / "examples"
    intakes = [
        Intake.model_validate(
            shifted_example(json.loads((folder / f"{name}.json").read_text()), today)
        )
        for name in EXAMPLES
    ]
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    with sessions() as db, db.begin():
        organization, key = create_organization(db, f"Club of {athletes}")
        organization_id = organization.id
    plan_ids = []
    for index in range(athletes):
        with sessions() as db, db.begin():
            tenant = Tenant(db, organization_id)
            intake = intakes[index % len(intakes)]
            athlete = tenant.add(
                Athlete(
                    id=f"{organization_id[:8]}-athlete-{index:05d}",
                    name=f"Runner {index}",
                    timezone=intake.athlete.timezone,
                    units=intake.athlete.units.value,
                )
            )
            record = store_intake(tenant, athlete, intake)
            stored, _ = generate_plan(tenant, athlete, record, ruleset, today)
            plan_ids.append(stored.id)
    engine.dispose()
    return Organisation(organization_id, key, plan_ids)


def revisions_per_plan(db: Session, plan_ids: list[str]) -> dict[str, int]:
    """How many revisions each plan has."""
    rows = db.execute(
        select(PlanRevision.plan_id, func.count())
        .where(PlanRevision.plan_id.in_(plan_ids))
        .group_by(PlanRevision.plan_id)
    )
    return dict(rows.all())

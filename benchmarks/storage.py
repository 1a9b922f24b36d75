"""What storing plans costs the database: bytes per created plan, per re-plan that changes no
session (the same rules again) and per check-in, on SQLite and (when it answers) PostgreSQL,
with the time each write takes in process.

Run: `.venv/bin/python -m benchmarks.storage`. Target (issue 12): ≤ 20 KB per re-plan that
changes no session.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.config import PROJECT_ROOT, Settings
from app.engine.compile import load_ruleset
from app.main import create_app
from app.services.checkins import replan
from app.services.organizations import create_organization
from app.services.plans import save_revision
from app.storage.db import make_engine, make_sessionmaker
from app.storage.migrations import upgrade
from app.storage.scope import Tenant
from app.storage.tables import PlanRecord, utcnow
from tests.conftest import POSTGRES_URL, load_example, postgres_available

PLANS = 10
REPLANS = 10
CHECK_INS = 10
FIRST_CHECK_IN = date(2026, 6, 1)  # in the seed runner's strength phase


def used_bytes(db: Session) -> int:
    if db.bind is not None and db.bind.dialect.name == "sqlite":
        pages, free, size = (
            int(db.execute(text(f"PRAGMA {name}")).scalar_one())
            for name in ("page_count", "freelist_count", "page_size")
        )
        return (pages - free) * size
    query = (
        "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
    )
    return int(db.execute(text(query)).scalar_one())


def measure(label: str, url: str) -> None:
    upgrade(PROJECT_ROOT / "alembic", url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as db, db.begin():
        organization, key = create_organization(db, "Bench")
    auth = {"Authorization": f"Bearer {key}"}
    settings = Settings(database_url=url, rate_limit_per_minute=0, address_rate_limit_per_minute=0)
    ruleset = load_ruleset(PROJECT_ROOT / "rules")
    with TestClient(create_app(settings)) as client, sessions() as db:
        athletes = []
        for number in range(PLANS):
            athlete = client.post(
                "/v1/athletes",
                json={"name": f"Runner {number}", "timezone": "UTC", "units": "mi"},
                headers=auth,
            ).json()["id"]
            client.post(
                f"/v1/athletes/{athlete}/intakes",
                json=load_example("weak_left_glute_hamstring"),
                headers=auth,
            )
            athletes.append(athlete)
        db.commit()
        created_times: list[float] = []
        start = used_bytes(db)
        plan_ids = []
        for athlete in athletes:
            began = time.perf_counter()
            response = client.post(f"/v1/athletes/{athlete}/plans", headers=auth)
            created_times.append(time.perf_counter() - began)
            plan_ids.append(response.json()["id"])
        db.commit()
        per_plan = (used_bytes(db) - start) / PLANS

        record = db.get(PlanRecord, plan_ids[0])
        assert record is not None
        tenant = Tenant(db, organization.id)
        start = used_bytes(db)
        replan_times: list[float] = []
        for number in range(REPLANS):
            began = time.perf_counter()
            result: Any = replan(tenant, record, ruleset, FIRST_CHECK_IN)
            plan = result[0] if isinstance(result, tuple) else result
            save_revision(tenant, record, plan, f"again {number}", utcnow())
            db.commit()
            replan_times.append(time.perf_counter() - began)
        per_replan = (used_bytes(db) - start) / REPLANS

        start = used_bytes(db)
        check_in_times: list[float] = []
        for number in range(CHECK_INS):
            day = FIRST_CHECK_IN + timedelta(days=number)
            began = time.perf_counter()
            response = client.post(
                f"/v1/athletes/{athletes[1]}/check-ins",
                json={"date": day.isoformat(), "pain_during": 2, "pain_next_morning": 1},
                headers=auth,
            )
            check_in_times.append(time.perf_counter() - began)
            assert response.status_code == 201, response.text
        db.commit()
        per_check_in = (used_bytes(db) - start) / CHECK_INS
    engine.dispose()

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.1f} ms"

    print(f"{label}:")
    print(f"  created plan              {per_plan / 1024:7.1f} KB   p50 {ms(created_times)}")
    print(f"  re-plan, no session new   {per_replan / 1024:7.1f} KB   p50 {ms(replan_times)}")
    print(f"  check-in (pain 2/1)       {per_check_in / 1024:7.1f} KB   p50 {ms(check_in_times)}")


def main() -> None:
    print(
        f"the seed runner's plan; {PLANS} plans, {REPLANS} re-plans, {CHECK_INS} check-ins; "
        "bytes = growth of the tables and indexes in use"
    )
    with tempfile.TemporaryDirectory() as workdir:
        measure("SQLite", f"sqlite:///{Path(workdir) / 'bench.db'}")
    if not postgres_available():
        print("PostgreSQL: not answering, skipped")
        return
    name = f"strideplan_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        measure("PostgreSQL", make_url(POSTGRES_URL).set(database=name).render_as_string(False))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()

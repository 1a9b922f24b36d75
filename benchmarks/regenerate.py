"""Re-generating an organisation's plans on the PostgreSQL job queue with 1 and with 2
`strideplan worker` processes: a new database, an organisation of N athletes (each with an
intake and a stored plan), then for each worker count a published rule-set version, timed from
the publish's commit to the job's `done`.

Run: `.venv/bin/python -m benchmarks.regenerate [--athletes 2000] [--postgres-url URL]`
(the server at URL gets a new database, dropped at the end).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.queue import defer_regeneration
from app.services.rulesets import RuleSetLibrary, create_draft, publish
from app.storage.db import make_engine, make_sessionmaker
from app.storage.migrations import upgrade
from app.storage.scope import Tenant
from app.storage.tables import RegenerationJob
from tests.support.seeding import seed_organisation

ROOT = Path(__file__).resolve().parent.parent


def workers(database_url: str, count: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "STRIDEPLAN_DATABASE_URL": database_url, "STRIDEPLAN_LOG_LEVEL": "WARNING"}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker", "--concurrency", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def wait_for_workers(database_url: str, count: int) -> None:
    engine = make_engine(database_url)
    deadline = time.monotonic() + 120
    with engine.connect() as connection:
        while connection.scalar(text("SELECT count(*) FROM procrastinate_workers")) < count:
            if time.monotonic() > deadline:
                raise SystemExit("the workers did not start")
            time.sleep(0.2)
            connection.rollback()
    engine.dispose()


def publish_and_time(database_url: str, organization_id: str, library: RuleSetLibrary) -> float:
    """Publish a new version (its tasks deferred in the same transaction); seconds from the
    commit to the job's end."""
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    with sessions() as db:
        tenant = Tenant(db, organization_id)
        draft = create_draft(tenant, library, "base", {})
        job, plan_ids = publish(tenant, library, draft)
        defer_regeneration(db, job.id, plan_ids)
        job_id = job.id
        db.commit()
    started = time.perf_counter()
    while True:
        with sessions() as db:
            found = db.get(RegenerationJob, job_id)
            assert found is not None
            if found.status in ("done", "failed"):
                elapsed = time.perf_counter() - started
                if found.failed:
                    print(f"  ({found.failed} athletes failed)")
                break
        time.sleep(0.25)
    engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--athletes", type=int, default=2000)
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    name = f"strideplan_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(ROOT / "alembic", url)
        library = RuleSetLibrary(ROOT / "rules")
        started = time.perf_counter()
        organisation = seed_organisation(url, library.base, args.athletes, date.today())
        print(
            f"seeded {args.athletes} athletes with plans in {time.perf_counter() - started:.0f} s; "
            f"{os.cpu_count()} cores, CPython {sys.version.split()[0]}"
        )
        results = {}
        for count in (1, 2):
            processes = workers(url, count)
            try:
                wait_for_workers(url, count)
                seconds = publish_and_time(url, organisation.organization_id, library)
            finally:
                for process in processes:
                    process.terminate()
                for process in processes:
                    process.wait(timeout=120)
            results[count] = seconds
            print(
                f"  {count} worker process(es): {args.athletes} athletes re-planned in "
                f"{seconds:6.1f} s = {args.athletes / seconds:6.1f} athletes/s"
            )
        print(f"  speed-up with 2 workers: {results[1] / results[2]:.2f}x")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()

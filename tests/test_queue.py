"""Re-generation on the PostgreSQL job queue, with real processes: worker processes killed with
SIGKILL mid-job and replaced, an API process killed right after it accepted a publish, a
graceful stop on SIGTERM, and the same task run twice writing nothing new."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from app.config import PROJECT_ROOT, Settings
from app.engine.model import RuleSet
from app.queue import Workplace, defer_regeneration
from app.services import regeneration
from app.services.rulesets import RuleSetLibrary
from app.storage.db import make_engine, make_sessionmaker
from app.storage.migrations import upgrade
from app.storage.tables import PlanRecord, RegenerationItem, RegenerationJob
from tests.api.test_idempotency_crash import call, server
from tests.conftest import POSTGRES, Database
from tests.support.seeding import revisions_per_plan, seed_organisation

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not POSTGRES,
        reason="PostgreSQL is not answering at 127.0.0.1:5432 (the queue lives there): start it "
        "or set STRIDEPLAN_TEST_POSTGRES_URL",
    ),
]

# A killed worker is noticed after this long without a heartbeat.
FAST_RECOVERY = {
    "STRIDEPLAN_WORKER_HEARTBEAT_SECONDS": "0.5",
    "STRIDEPLAN_WORKER_STALLED_SECONDS": "3",
}


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[Database]:
    database = Database("postgresql", tmp_path)
    upgrade(PROJECT_ROOT / "alembic", database.url)
    yield database
    database.drop()


@contextmanager
def worker(database: Database, concurrency: int = 1) -> Iterator[subprocess.Popen[bytes]]:
    """`strideplan worker` in its own process (killed if still running at the end)."""
    env = {**os.environ, "STRIDEPLAN_DATABASE_URL": database.url, **FAST_RECOVERY}
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--concurrency", str(concurrency)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        assert process.stderr is not None
        process.stderr.close()


def job_state(database: Database, job_id: str) -> tuple[str, int, int, int]:
    engine = make_engine(database.url)
    with make_sessionmaker(engine)() as db:
        job = db.get(RegenerationJob, job_id)
        assert job is not None
        state = (job.status, job.total, job.done, job.failed)
    engine.dispose()
    return state


def wait_until(
    database: Database, job_id: str, done_at_least: int, timeout: float
) -> tuple[str, int, int, int]:
    deadline = time.monotonic() + timeout
    while True:
        state = job_state(database, job_id)
        if state[0] in ("done", "done_with_errors") or state[2] + state[3] >= done_at_least:
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"the job got no further than {state} in {timeout} s")
        time.sleep(0.2)


def queue_settled(database: Database, timeout: float) -> None:
    """Wait until no task is waiting or running in the queue."""
    engine = make_engine(database.url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as connection:
                busy = connection.execute(
                    text(
                        "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
                    )
                ).scalar_one()
            if busy == 0 or time.monotonic() > deadline:
                return
            time.sleep(0.5)
    finally:
        engine.dispose()


def publish_over_http(base: str, key: str) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {key}"}
    draft = call("POST", f"{base}/v1/rulesets/drafts", auth, {"based_on": "base"})
    assert draft.status_code == 201, draft.body
    published = call(
        "POST", f"{base}/v1/rulesets/drafts/{draft.json()['id']}/publish", auth, timeout=120
    )
    assert published.status_code == 202, published.body
    job: dict[str, Any] = published.json()["job"]
    return job


def replanned_once(database: Database, plan_ids: list[str], version: str) -> None:
    """Every plan has exactly one revision more than it was created with, on `version`."""
    engine = make_engine(database.url)
    with make_sessionmaker(engine)() as db:
        counts = revisions_per_plan(db, plan_ids)
        rows = db.execute(
            select(PlanRecord.id, PlanRecord.ruleset_version, PlanRecord.revision).where(
                PlanRecord.id.in_(plan_ids)
            )
        ).all()
        versions = {plan_id: version for plan_id, version, _ in rows}
        revisions = {plan_id: revision for plan_id, _, revision in rows}
    engine.dispose()
    assert sorted(set(counts.values())) == [2], {p: c for p, c in counts.items() if c != 2}
    assert len(counts) == len(plan_ids)
    assert set(revisions.values()) == {2}
    assert set(versions.values()) == {version}


def test_a_worker_killed_mid_job_is_replaced_and_every_athlete_is_replanned_once(
    pg: Database, ruleset: RuleSet
) -> None:
    organisation = seed_organisation(pg.url, ruleset, 200)
    with server(Settings(database_url=pg.url), "uvicorn") as (base, _):
        job = publish_over_http(base, organisation.api_key)
    assert job["total"] == 200
    with worker(pg) as first:
        state = wait_until(pg, job["id"], 40, timeout=180)
        assert state[0] == "running", state  # mid-job
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=30) == -signal.SIGKILL
    killed_at = job_state(pg, job["id"])
    assert killed_at[2] < 200
    with worker(pg, concurrency=2):
        state = wait_until(pg, job["id"], 200, timeout=300)
        # The killed worker's task may have committed its athlete before the kill: the job is
        # then done while the queue still holds that task as running, until the new worker
        # finds it stalled (no heartbeat for STRIDEPLAN_WORKER_STALLED_SECONDS) and runs it
        # again, which writes nothing. Wait for that, within a bound.
        queue_settled(pg, timeout=60)
    assert state == ("done", 200, 200, 0)
    replanned_once(pg, organisation.plan_ids, f"{ruleset.version}+org.1")
    engine = make_engine(pg.url)
    with make_sessionmaker(engine)() as db:
        items = db.scalar(
            select(func.count())
            .select_from(RegenerationItem)
            .where(RegenerationItem.job_id == job["id"])
        )
        queued: dict[str, int] = dict(
            db.execute(
                text("SELECT status, count(*) FROM procrastinate_jobs GROUP BY status")
            ).all()
        )
    engine.dispose()
    assert items == 200
    assert queued == {"succeeded": 200}  # the killed worker's task was run again, once


def test_the_api_process_killed_after_a_publish_leaves_the_job_to_the_workers(
    pg: Database, ruleset: RuleSet
) -> None:
    """The publish and its tasks committed together before the 202; the process that took it
    dies before any worker starts, and the job still runs to the end."""
    organisation = seed_organisation(pg.url, ruleset, 6)
    with server(Settings(database_url=pg.url), "uvicorn") as (base, api):
        job = publish_over_http(base, organisation.api_key)
        api.send_signal(signal.SIGKILL)
        assert api.wait(timeout=30) == -signal.SIGKILL
    assert job_state(pg, job["id"])[0] == "queued"
    with worker(pg):
        state = wait_until(pg, job["id"], 6, timeout=120)
    assert state == ("done", 6, 6, 0)
    replanned_once(pg, organisation.plan_ids, f"{ruleset.version}+org.1")


def test_sigterm_finishes_the_task_in_hand_and_stops(pg: Database, ruleset: RuleSet) -> None:
    organisation = seed_organisation(pg.url, ruleset, 30)
    with server(Settings(database_url=pg.url), "uvicorn") as (base, _):
        job = publish_over_http(base, organisation.api_key)
    with worker(pg) as running:
        wait_until(pg, job["id"], 3, timeout=120)
        running.send_signal(signal.SIGTERM)
        assert running.wait(timeout=60) == 0
    stopped = job_state(pg, job["id"])
    assert stopped[0] == "running"
    assert stopped[2] < 30
    engine = make_engine(pg.url)
    with make_sessionmaker(engine)() as db:
        doing = db.scalar(text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'"))
        items = db.scalar(
            select(func.count())
            .select_from(RegenerationItem)
            .where(RegenerationItem.job_id == job["id"])
        )
    engine.dispose()
    assert doing == 0  # nothing left half-done
    assert items == stopped[2]  # every task it started, it finished


def test_a_task_run_again_writes_nothing_new(pg: Database, ruleset: RuleSet) -> None:
    """Re-running one athlete's task (as after a crash between its commit and the queue's
    bookkeeping) finds its item and re-plans no one; tasks deferred in a transaction that
    rolls back never exist."""
    organisation = seed_organisation(pg.url, ruleset, 2)
    engine = make_engine(pg.url)
    sessions = make_sessionmaker(engine)
    context = Workplace(sessions=sessions, library=RuleSetLibrary(PROJECT_ROOT / "rules"))
    with sessions() as db:
        job = RegenerationJob(
            id="job-twice",
            organization_id=organisation.organization_id,
            ruleset_id=None,
            reason="test",
            status="queued",
            total=2,
            errors={"athletes": {}},
        )
        db.add(job)
        db.flush()
        defer_regeneration(db, job.id, organisation.plan_ids)
        db.rollback()  # the request failed: neither the job nor its tasks exist
        assert db.scalar(text("SELECT count(*) FROM procrastinate_jobs")) == 0
        db.add(job)
        db.commit()
    first, second = organisation.plan_ids
    with sessions() as db:  # as if the first plan had been made by other rules
        db.execute(text("UPDATE plans SET ruleset_version = 'older' WHERE id = :id"), {"id": first})
        db.commit()
    assert regeneration.regenerate(context, "job-twice", first) == "replanned"
    assert regeneration.regenerate(context, "job-twice", first) == "already"
    # The second was made with the job's rules (the base) already: nothing to write.
    assert regeneration.regenerate(context, "job-twice", second) == "unchanged"
    with sessions() as db:
        assert revisions_per_plan(db, [first, second]) == {first: 2, second: 1}
        done = db.get(RegenerationJob, "job-twice")
        assert done is not None
        assert (done.status, done.done, done.failed) == ("done", 2, 0)
    engine.dispose()

"""Migrations: one head, up and down, and the models match what the migrations build —
on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_alembic import MigrationContext
from pytest_alembic.tests import (  # noqa: F401  (collected as tests here)
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy import Engine, MetaData, func, select
from sqlalchemy.orm import Session

from app.config import PROJECT_ROOT
from app.services import plan_rows
from app.storage.db import make_engine
from app.storage.scope import Tenant
from app.storage.tables import PlanRecord, PlanRevision, SessionState, SessionVersion
from tests.conftest import BACKENDS, Database


@pytest.fixture
def alembic_config() -> dict[str, str]:
    return {"script_location": str(PROJECT_ROOT / "alembic"), "path_separator": "os"}


@pytest.fixture(params=BACKENDS)
def alembic_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    database = Database(request.param, tmp_path)
    engine = make_engine(database.url)
    yield engine
    engine.dispose()
    database.drop()


GOLDEN = PROJECT_ROOT / "tests/golden/weak_left_glute_hamstring.json"


def _document(revision: int, sessions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    golden: dict[str, Any] = json.loads(GOLDEN.read_text())
    return {
        **golden,
        "revision": revision,
        "sessions": golden["sessions"] if sessions is None else sessions,
    }


def test_0005_moves_plan_documents_into_session_rows_and_back(
    alembic_runner: MigrationContext, alembic_engine: Engine
) -> None:
    """Plans stored as documents (0004) become session rows (0005) that read back as the same
    documents, with calendar history a re-plan of the same content leaves alone; the downgrade
    rebuilds the documents."""
    alembic_runner.migrate_up_to("0004")
    first = _document(1)
    sessions = first["sessions"]
    gone, edited = sessions[5], {**sessions[40], "title": "Edited by a check-in"}
    second = _document(
        2, [s if s is not sessions[40] else edited for s in sessions if s is not gone]
    )
    now = datetime(2026, 5, 1, tzinfo=UTC)
    tables = MetaData()
    tables.reflect(alembic_engine)
    with alembic_engine.begin() as connection:

        def insert(name: str, rows: list[dict[str, Any]]) -> None:
            connection.execute(tables.tables[name].insert(), rows)

        insert("organizations", [{"id": "org", "name": "Club", "created_at": now}])
        insert(
            "athletes",
            [
                {
                    "id": "ath",
                    "organization_id": "org",
                    "name": "Sarah",
                    "timezone": "America/New_York",
                    "units": "mi",
                    "version": 1,
                    "created_at": now,
                }
            ],
        )
        insert(
            "intakes",
            [
                {
                    "id": "int",
                    "organization_id": "org",
                    "athlete_id": "ath",
                    "version": 1,
                    "body": {},
                    "created_at": now,
                }
            ],
        )
        insert(
            "plans",
            [
                {
                    "id": "plan",
                    "organization_id": "org",
                    "athlete_id": "ath",
                    "intake_id": "int",
                    "revision": 2,
                    "status": "ok",
                    "ruleset_name": "base",
                    "ruleset_version": "1",
                    "ruleset_digest": "d",
                    "start_date": date(2026, 5, 4),
                    "end_date": date(2026, 11, 7),
                    "document": second,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        insert(
            "plan_revisions",
            [
                {
                    "id": f"rev{n}",
                    "organization_id": "org",
                    "plan_id": "plan",
                    "revision": n,
                    "reason": "",
                    "document": doc,
                    "created_at": now,
                }
                for n, doc in ((1, first), (2, second))
            ],
        )
        insert(
            "plan_sessions",
            [
                {
                    "plan_id": "plan",
                    "session_id": s["id"],
                    "organization_id": "org",
                    "day": date.fromisoformat(s["date"]),
                    "kind": s["kind"],
                    "content_hash": "hashed the old way",
                    "sequence": 1 if s is gone else 0,
                    "modified_at": now,
                    "removed_at": now if s is gone else None,
                }
                for s in sessions
            ],
        )
    alembic_runner.migrate_up_one()

    with Session(alembic_engine) as db:
        tenant = Tenant(db, "org")
        record = db.get(PlanRecord, "plan")
        assert record is not None
        assert plan_rows.read(tenant, "plan", record.header_digest, 2) == second
        revisions = db.scalars(select(PlanRevision).order_by(PlanRevision.revision)).all()
        assert [plan_rows.read_revision(tenant, r) for r in revisions] == [first, second]
        stored = {s.session_id: s for s in db.scalars(select(SessionState))}
        assert all(
            stored[s["id"]].content_hash == plan_rows.session_hash(s) for s in second["sessions"]
        )
        assert stored[gone["id"]].version is not None  # its content from revision 1
        count = db.scalar(select(func.count()).select_from(SessionVersion))
        assert count == len(sessions) + 1  # each content once, the edited session twice
        history = {k: (s.sequence, s.modified_at, s.version) for k, s in stored.items()}
        plan_rows.write(tenant, "plan", second, datetime(2026, 6, 1, tzinfo=UTC))
        db.flush()
        db.expire_all()
        again = {s.session_id: s for s in db.scalars(select(SessionState))}
        assert {k: (s.sequence, s.modified_at, s.version) for k, s in again.items()} == history
        assert db.scalar(select(func.count()).select_from(SessionVersion)) == count
        db.rollback()

    alembic_runner.migrate_down_one()
    tables = MetaData()
    tables.reflect(alembic_engine)
    with alembic_engine.connect() as connection:
        plan = connection.execute(select(tables.tables["plans"].c.document)).scalar_one()
        assert plan == second
        documents = connection.execute(
            select(tables.tables["plan_revisions"].c.document).order_by(
                tables.tables["plan_revisions"].c.revision
            )
        ).scalars()
        assert list(documents) == [first, second]

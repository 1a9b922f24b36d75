"""Plans are stored as session rows (SQLite and PostgreSQL): a re-plan writes only the sessions
that changed, never a session before its cutoff, and every revision can be read back whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.config import Settings
from app.engine.model import RuleSet
from app.plan.models import Plan
from app.services import plan_rows
from app.services.checkins import replan
from app.services.plans import save_revision, stored_document
from app.storage.db import make_engine, make_sessionmaker
from app.storage.scope import Tenant
from app.storage.tables import (
    IdempotencyRecord,
    PlanRecord,
    PlanRevision,
    SessionState,
    SessionVersion,
)
from tests.api.test_check_ins import CHECK_IN_DAY, check_in, setup_plan
from tests.conftest import Database

REPLANS = 5
GROWTH_LIMIT = 20 * 1024  # bytes per re-plan that changes no session


@pytest.fixture
def db(settings: Settings) -> Iterator[Session]:
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


def used_bytes(session: Session, backend: str) -> int:
    """The space the database's tables and indexes take (free pages not counted)."""
    if backend == "sqlite":
        pages, free, size = (
            int(session.execute(text(f"PRAGMA {name}")).scalar_one())
            for name in ("page_count", "freelist_count", "page_size")
        )
        return (pages - free) * size
    return int(
        session.execute(
            text(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'r'"
            )
        ).scalar_one()
    )


def states(session: Session, plan_id: str) -> dict[str, tuple[Any, ...]]:
    rows = session.execute(
        select(
            SessionState.session_id,
            SessionState.day,
            SessionState.sequence,
            SessionState.modified_at,
            SessionState.version,
            SessionState.removed_at,
        ).where(SessionState.plan_id == plan_id)
    )
    return {row.session_id: tuple(row) for row in rows}


def versions(session: Session, plan_id: str) -> int:
    query = select(func.count()).select_from(SessionVersion)
    return session.execute(query.where(SessionVersion.plan_id == plan_id)).scalar_one()


def test_a_replan_that_changes_no_session_writes_almost_nothing(
    client: TestClient,
    auth: dict[str, str],
    db: Session,
    database: Database,
    ruleset: RuleSet,
) -> None:
    _, plan = setup_plan(client, auth)
    record = db.get(PlanRecord, plan["id"])
    assert record is not None
    tenant = Tenant(db, record.organization_id)
    before_states, before_versions = states(db, record.id), versions(db, record.id)
    assert before_versions == len(plan["sessions"]) == len(before_states)
    db.commit()
    start = used_bytes(db, database.backend)
    today = date.fromisoformat(CHECK_IN_DAY)
    for number in range(REPLANS):
        again, keep_before = replan(tenant, record, ruleset, today)
        assert keep_before == today
        save_revision(tenant, record, again, f"same rules {number}", datetime.now().astimezone())
        db.commit()
    growth = (used_bytes(db, database.backend) - start) / REPLANS
    assert growth <= GROWTH_LIMIT, f"{growth:.0f} bytes per unchanged re-plan"
    assert versions(db, record.id) == before_versions  # no session written again
    assert states(db, record.id) == before_states  # nor its calendar history touched
    assert record.revision == plan["revision"] + REPLANS
    current = stored_document(tenant, record)
    assert {**current, "revision": plan["revision"]} == {**plan, "revision": plan["revision"]}


def test_a_check_in_writes_only_the_sessions_it_changes_and_keeps_the_past(
    client: TestClient, auth: dict[str, str], db: Session
) -> None:
    athlete, before = setup_plan(client, auth)
    before_states, before_versions = states(db, before["id"]), versions(db, before["id"])
    db.rollback()
    response = check_in(client, auth, athlete, pain_during=6, pain_next_morning=3)
    assert response.status_code == 201, response.text
    after = response.json()["plan"]
    after_states = states(db, before["id"])
    cutoff = date.fromisoformat(CHECK_IN_DAY)
    past = [sid for sid, row in before_states.items() if row[1] < cutoff]
    assert past
    assert all(after_states[sid] == before_states[sid] for sid in past)
    old = {s["id"]: s for s in before["sessions"]}
    changed = [s for s in after["sessions"] if old.get(s["id"]) != s]
    assert changed  # the regress verdict changed the coming weeks
    assert versions(db, before["id"]) == before_versions + len(changed)
    assert all(after_states[s["id"]][2] > 0 for s in changed if s["id"] in old)  # SEQUENCE up


def test_every_revision_reads_back_as_it_was_served(
    client: TestClient, auth: dict[str, str], db: Session
) -> None:
    athlete, first = setup_plan(client, auth)
    second = check_in(client, auth, athlete, pain_during=6, pain_next_morning=3).json()["plan"]
    rows = db.scalars(
        select(PlanRevision)
        .where(PlanRevision.plan_id == first["id"])
        .order_by(PlanRevision.revision)
    ).all()
    assert [row.revision for row in rows] == [1, 2]
    tenant = Tenant(db, rows[0].organization_id)
    assert plan_rows.read_revision(tenant, rows[0]) == first
    assert plan_rows.read_revision(tenant, rows[1]) == second
    assert client.get(f"/v1/plans/{first['id']}", headers=auth).json() == second
    assert Plan.model_validate(second).revision == 2  # a check-in's plan is a Plan, as documented


def test_a_change_before_the_cutoff_is_refused_and_nothing_is_written(
    client: TestClient, auth: dict[str, str], db: Session
) -> None:
    _, plan = setup_plan(client, auth)
    record = db.get(PlanRecord, plan["id"])
    assert record is not None
    tenant = Tenant(db, record.organization_id)
    cutoff = date.fromisoformat(CHECK_IN_DAY)
    first = plan["sessions"][0]
    assert date.fromisoformat(first["date"]) < cutoff
    edited = {**plan, "sessions": [{**first, "title": "Rewritten"}, *plan["sessions"][1:]]}
    before = versions(db, record.id)
    with pytest.raises(plan_rows.PastRewritten, match=first["date"]):
        plan_rows.write(tenant, record.id, edited, datetime.now().astimezone(), keep_before=cutoff)
    db.rollback()
    assert versions(db, record.id) == before
    # the same change on or after the cutoff is an ordinary re-plan
    later = next(s for s in plan["sessions"] if date.fromisoformat(s["date"]) >= cutoff)
    moved = [{**s, "title": "Changed"} if s is later else s for s in plan["sessions"]]
    plan_rows.write(
        tenant,
        record.id,
        {**plan, "sessions": moved},
        datetime.now().astimezone(),
        keep_before=cutoff,
    )
    assert versions(db, record.id) == before + 1
    db.rollback()


def stored_response(db: Session) -> tuple[int, bytes]:
    """The size of the newest stored idempotent response (headers and body), and its body."""
    db.rollback()
    newest = select(IdempotencyRecord).order_by(IdempotencyRecord.created_at.desc())
    row = db.scalars(newest).first()
    assert row is not None
    body = row.response_body or b""
    return len(body) + len(json.dumps(row.response_headers)), body


def test_idempotent_plan_responses_are_stored_as_a_reference_and_replay_the_same_plan(
    client: TestClient, auth: dict[str, str], db: Session
) -> None:
    athlete, _ = setup_plan(client, auth)
    once = {**auth, "Idempotency-Key": f"plan-{athlete}"}
    first = client.post(f"/v1/athletes/{athlete}/plans", headers=once)
    assert first.status_code == 201
    assert stored_response(db)[0] < 1024  # a reference, not the plan's 200 KB
    # a check-in changes the plan: the replay still shows the plan this request made
    checked = {**auth, "Idempotency-Key": f"check-in-{athlete}"}
    body = {"date": CHECK_IN_DAY, "pain_during": 6, "pain_next_morning": 3}
    response = client.post(f"/v1/athletes/{athlete}/check-ins", json=body, headers=checked)
    assert response.status_code == 201
    size, stored = stored_response(db)  # the check-in, its verdict and changes, not the plan
    assert json.loads(stored)["plan"] is None
    plan_bytes = len(json.dumps(response.json()["plan"], separators=(",", ":")))
    assert size < len(response.content) - plan_bytes + 1024
    replay = client.post(f"/v1/athletes/{athlete}/plans", headers=once)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.status_code == 201
    assert replay.headers["location"] == first.headers["location"]
    assert replay.json() == first.json()
    assert replay.json()["revision"] == 1
    again = client.post(f"/v1/athletes/{athlete}/check-ins", json=body, headers=checked)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == response.json()
    assert again.json()["plan"]["revision"] == 2

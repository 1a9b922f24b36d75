"""The HTTP API end to end, on SQLite and on PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.config import Settings
from app.main import create_app
from app.storage.db import make_engine, make_sessionmaker
from app.storage.migrations import upgrade
from app.storage.tables import IntakeRecord, PlanRecord
from tests.conftest import load_example, new_org


def make_athlete(client: TestClient, auth: dict[str, str]) -> str:
    response = client.post(
        "/v1/athletes",
        json={"name": "Sarah", "timezone": "America/New_York", "units": "mi"},
        headers=auth,
    )
    assert response.status_code == 201, response.text
    athlete_id: str = response.json()["id"]
    return athlete_id


def count(settings: Settings, model: Any, organization_id: str) -> int:
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine)() as db:
        total = db.scalar(
            select(func.count()).select_from(model).where(model.organization_id == organization_id)
        )
    engine.dispose()
    return int(total or 0)


def test_v1_needs_an_api_key(client: TestClient) -> None:
    response = client.post("/v1/plans/preview", json=load_example("weak_left_glute_hamstring"))
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    bad = client.get("/v1/plans/x", headers={"Authorization": "Bearer sp_live_0000000000_nope"})
    assert bad.status_code == 401


def test_health_and_readiness_need_no_key(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "checks": {}}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["migrations"] == "ok"


def test_readiness_reports_a_database_behind_the_migrations(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'old.db'}")
    with TestClient(create_app(settings)) as fresh:
        empty = fresh.get("/readyz")
        assert empty.status_code == 503
        assert empty.json()["checks"]["migrations"].startswith("none applied, head is 0009")
        upgrade(settings.alembic_dir, settings.database_url, "0003")
        behind = fresh.get("/readyz")
        assert behind.status_code == 503
        assert behind.json()["checks"]["database"] == "ok"
        assert behind.json()["checks"]["migrations"] == (
            "at 0003, head is 0009: run `strideplan db upgrade`"
        )
        upgrade(settings.alembic_dir, settings.database_url)
        caplog.clear()
        caplog.set_level(logging.INFO)
        assert fresh.get("/readyz").status_code == 200
        assert not [r for r in caplog.records if r.name.startswith("alembic")]  # a quiet probe


def test_preview_returns_a_plan_and_stores_nothing(
    client: TestClient, auth: dict[str, str], org: tuple[str, str], settings: Settings
) -> None:
    response = client.post(
        "/v1/plans/preview", json=load_example("weak_left_glute_hamstring"), headers=auth
    )
    assert response.status_code == 200, response.text
    plan = response.json()
    assert [p["name"] for p in plan["phases"]][:3] == ["activation", "strength", "running_form"]
    assert plan["ruleset"]["name"] == "strideplan-base"
    assert count(settings, PlanRecord, org[0]) == 0


def test_preview_explain_lists_near_misses(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post(
        "/v1/plans/preview?explain=true",
        json=load_example("weak_left_glute_hamstring"),
        headers=auth,
    )
    assert response.status_code == 200
    assert isinstance(response.json()["near_misses"], list)


def test_invalid_intake_is_422_naming_fields_and_stores_nothing(
    client: TestClient, auth: dict[str, str], org: tuple[str, str], settings: Settings
) -> None:
    athlete_id = make_athlete(client, auth)
    data = load_example("weak_left_glute_hamstring")
    data["symptoms"][0]["condition"] = "broken_leg"
    data["symptoms"][0]["pain_running"] = 11
    data["athlete"]["timezone"] = "Nowhere/Special"
    data["extra_field"] = True
    response = client.post(f"/v1/athletes/{athlete_id}/intakes", json=data, headers=auth)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_input"
    named = {tuple(d["loc"]) for d in body["detail"]}
    assert {
        ("body", "symptoms", 0, "condition"),
        ("body", "symptoms", 0, "pain_running"),
        ("body", "athlete", "timezone"),
        ("body", "extra_field"),
    } <= named
    goal_early = load_example("weak_left_glute_hamstring")
    goal_early["goals"][0]["date"] = "2026-04-01"
    response = client.post(f"/v1/athletes/{athlete_id}/intakes", json=goal_early, headers=auth)
    assert response.status_code == 422
    assert ["body", "goals", 0, "date"] in [d["loc"] for d in response.json()["detail"]]
    assert count(settings, IntakeRecord, org[0]) == 0


def test_athlete_intake_plan_round_trip(client: TestClient, auth: dict[str, str]) -> None:
    athlete_id = make_athlete(client, auth)
    intake = client.post(
        f"/v1/athletes/{athlete_id}/intakes",
        json=load_example("weak_left_glute_hamstring"),
        headers=auth,
    )
    assert intake.status_code == 201
    assert intake.json()["version"] == 1
    created = client.post(f"/v1/athletes/{athlete_id}/plans", headers=auth)
    assert created.status_code == 201, created.text
    plan = created.json()
    assert created.headers["location"] == f"/v1/plans/{plan['id']}"
    fetched = client.get(f"/v1/plans/{plan['id']}", headers=auth)
    assert fetched.status_code == 200
    assert fetched.json() == plan
    calendar = client.get(f"/v1/plans/{plan['id']}.ics", headers=auth)
    assert calendar.status_code == 200
    assert calendar.headers["content-type"] == "text/calendar; charset=utf-8"
    assert calendar.content.count(b"BEGIN:VEVENT") == len(plan["sessions"])
    assert calendar.content == client.get(f"/v1/plans/{plan['id']}.ics", headers=auth).content


def test_plan_without_intake_is_422(client: TestClient, auth: dict[str, str]) -> None:
    athlete_id = make_athlete(client, auth)
    response = client.post(f"/v1/athletes/{athlete_id}/plans", headers=auth)
    assert response.status_code == 422


def test_other_organisations_objects_are_404(
    client: TestClient, auth: dict[str, str], settings: Settings
) -> None:
    athlete_id = make_athlete(client, auth)
    client.post(
        f"/v1/athletes/{athlete_id}/intakes",
        json=load_example("weak_left_glute_hamstring"),
        headers=auth,
    )
    plan_id = client.post(f"/v1/athletes/{athlete_id}/plans", headers=auth).json()["id"]
    _, other_key = new_org(settings, "Other club")
    other = {"Authorization": f"Bearer {other_key}"}
    for method, path in [
        ("get", f"/v1/athletes/{athlete_id}"),
        ("post", f"/v1/athletes/{athlete_id}/plans"),
        ("get", f"/v1/plans/{plan_id}"),
        ("get", f"/v1/plans/{plan_id}.ics"),
    ]:
        response = client.request(method.upper(), path, headers=other)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"] == "not_found"
    response = client.post(
        f"/v1/athletes/{athlete_id}/intakes",
        json=load_example("weak_left_glute_hamstring"),
        headers=other,
    )
    assert response.status_code == 404


def test_oversized_body_is_413(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post(
        "/v1/plans/preview",
        content=b"{" + b" " * 300_000 + b"}",
        headers={**auth, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_a_streamed_body_over_the_limit_is_413(client: TestClient, auth: dict[str, str]) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"{"
        for _ in range(40):
            yield b" " * 10_000
        yield b"}"

    response = client.post(
        "/v1/plans/preview",
        content=chunks(),
        headers={**auth, "content-type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "payload_too_large"
    small = client.post(
        "/v1/plans/preview",
        content=iter([b'{"athlete": ', b"1}"]),
        headers={**auth, "content-type": "application/json"},
    )
    assert small.status_code == 422  # read in full and judged by the route


def test_red_flag_intake_is_referred(client: TestClient, auth: dict[str, str]) -> None:
    data = load_example("weak_left_glute_hamstring")
    data["red_flags"] = ["saddle_numbness"]
    plan = client.post("/v1/plans/preview", json=data, headers=auth).json()
    assert plan["status"] == "referral_required"
    assert not [s for s in plan["sessions"] if s["kind"] in ("run", "strength", "race")]


def _named(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_input"
    return [".".join(str(part) for part in error["loc"]) for error in body["detail"]]


def test_a_422_names_every_bad_field_of_the_body(client: TestClient, auth: dict[str, str]) -> None:
    """Two bad fields, two field errors (in every body whose fields are checked one by one)."""
    athlete = make_athlete(client, auth)
    assert _named(
        client.post("/v1/athletes", json={"name": "", "timezone": "Nowhere/Atlantis"}, headers=auth)
    ) == ["body.name", "body.timezone"]
    intake = load_example("couch_to_5k")
    intake["athlete"] = {**intake["athlete"], "timezone": "Nowhere/Atlantis"}
    intake["running"] = {**intake["running"], "runs_per_week": 9}
    assert sorted(
        _named(client.post(f"/v1/athletes/{athlete}/intakes", json=intake, headers=auth))
    ) == ["body.athlete.timezone", "body.running.runs_per_week"]
    check_in = {"date": "2026-03-03", "pain_during": 11, "pain_next_morning": -1}
    assert _named(
        client.post(f"/v1/athletes/{athlete}/check-ins", json=check_in, headers=auth)
    ) == ["body.pain_during", "body.pain_next_morning"]
    token = {"name": "x" * 101, "alarm_minutes": -5}
    assert _named(client.post(f"/v1/athletes/{athlete}/feed-tokens", json=token, headers=auth)) == [
        "body.name",
        "body.alarm_minutes",
    ]

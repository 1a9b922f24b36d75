"""A coach, through the API alone: fork the base rules, change one cap, preview the effect on
three athletes, publish, see the plans re-generated, and roll back."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from tests.conftest import load_example, new_org


def wait_for_job(client: TestClient, auth: dict[str, str], job: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state: dict[str, Any] = client.get(f"/v1/rulesets/jobs/{job['id']}", headers=auth).json()
        if state["status"] in ("done", "done_with_errors"):
            return state
        time.sleep(0.1)
    raise AssertionError(f"job did not finish: {state}")


def activation_cap(plan: dict[str, Any]) -> float:
    first_week: float = plan["weeks"][1]["cap"]
    return first_week


def coach_setup(
    client: TestClient, settings: Settings, *, can_publish: bool = True
) -> tuple[dict[str, str], dict[str, str]]:
    """An organisation's admin and a coach (by default one the admin lets publish rules)."""
    _, admin_key = new_org(settings, "Coached club")
    admin = {"Authorization": f"Bearer {admin_key}"}
    coach = client.post(
        "/v1/coaches", json={"name": "Lee", "can_publish": can_publish}, headers=admin
    ).json()
    key = client.post(
        "/v1/api-keys",
        json={"role": "coach", "name": "Lee's key", "coach_id": coach["id"]},
        headers=admin,
    ).json()
    return admin, {"Authorization": f"Bearer {key['api_key']}"}


def test_coach_forks_previews_publishes_and_rolls_back(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before the examples' plans begin, so that re-generation changes them from the start.
    monkeypatch.setattr(client.app.state.services, "today", lambda _tz: date(2026, 1, 10))  # type: ignore[attr-defined]
    admin, coach = coach_setup(client, settings)
    plans = {}
    for name in ("weak_left_glute_hamstring", "itb_10k_soon", "knees_no_squat_lunge"):
        athlete = client.post("/v1/athletes", json={"name": name}, headers=coach).json()["id"]
        client.post(f"/v1/athletes/{athlete}/intakes", json=load_example(name), headers=coach)
        plans[athlete] = client.post(f"/v1/athletes/{athlete}/plans", headers=coach).json()
    base_version = next(iter(plans.values()))["ruleset"]["version"]

    draft = client.post("/v1/rulesets/drafts", json={"based_on": "base"}, headers=coach)
    assert draft.status_code == 201, draft.text
    etag, files = draft.headers["etag"], draft.json()["files"]
    changed = files["load.yaml"].replace(
        "      - cap: {phase: activation, percent_of_current: 100}",
        "      - cap: {phase: activation, percent_of_current: 80}",
    )
    assert changed != files["load.yaml"]
    draft_id = draft.json()["id"]
    url = f"/v1/rulesets/drafts/{draft_id}/files/load.yaml"
    yaml = {"content-type": "application/yaml"}
    assert client.put(url, content=changed, headers={**coach, **yaml}).status_code == 428
    assert (
        client.put(
            url, content=changed, headers={**coach, **yaml, "If-Match": '"v999"'}
        ).status_code
        == 412
    )
    put = client.put(url, content=changed, headers={**coach, **yaml, "If-Match": etag})
    assert put.status_code == 200, put.text

    assert client.post(f"/v1/rulesets/drafts/{draft_id}/validate", headers=coach).json()["ok"]
    tested = client.post(f"/v1/rulesets/drafts/{draft_id}/test", headers=coach).json()
    assert tested["ok"]
    assert tested["failed"] == 0
    assert tested["safety"]["ok"]

    preview = client.post(
        f"/v1/rulesets/drafts/{draft_id}/preview", json={"athlete_ids": list(plans)}, headers=coach
    ).json()
    assert preview["totals"]["athletes"] == 3
    assert preview["totals"]["caps_changed"] > 0
    by_athlete = {a["athlete_id"]: a for a in preview["athletes"]}
    assert set(by_athlete) == set(plans)
    assert any(a["caps_changed"] for a in by_athlete.values())
    unchanged = client.get(f"/v1/plans/{next(iter(plans.values()))['id']}", headers=coach).json()
    assert unchanged["revision"] == 1  # preview stores nothing

    published = client.post(f"/v1/rulesets/drafts/{draft_id}/publish", headers=coach)
    assert published.status_code == 202, published.text
    job = wait_for_job(client, coach, published.json()["job"])
    assert (job["status"], job["done"], job["failed"]) == ("done", 3, 0)
    assert job["hint"] is None
    for athlete, before in plans.items():
        after = client.get(f"/v1/plans/{before['id']}", headers=coach).json()
        assert after["revision"] == 2
        assert after["ruleset"]["version"] == f"{base_version}+org.1"
        if by_athlete[athlete]["caps_changed"]:
            assert activation_cap(after) < activation_cap(before)
    assert client.get(f"/v1/rulesets/drafts/{draft_id}", headers=coach).status_code == 404
    listing = client.get("/v1/rulesets", headers=admin).json()
    assert listing["active"]["custom"]
    assert listing["versions"][0]["number"] == 1

    rolled = client.post("/v1/rulesets/rollback", json={"version": "base"}, headers=coach)
    assert rolled.status_code == 202
    assert wait_for_job(client, coach, rolled.json()["job"])["status"] == "done"
    for before in plans.values():
        again = client.get(f"/v1/plans/{before['id']}", headers=coach).json()
        assert again["revision"] == 3
        assert again["ruleset"]["version"] == base_version
        assert activation_cap(again) == activation_cap(before)


def test_app_keys_cannot_edit_rules_and_bad_drafts_cannot_publish(
    client: TestClient, settings: Settings
) -> None:
    admin, _ = coach_setup(client, settings)
    app_key = client.post("/v1/api-keys", json={"role": "app"}, headers=admin).json()["api_key"]
    app = {"Authorization": f"Bearer {app_key}"}
    assert client.post("/v1/rulesets/drafts", json={}, headers=app).status_code == 403
    assert client.get("/v1/rulesets", headers=app).status_code == 200
    draft = client.post(
        "/v1/rulesets/drafts", json={"files": {"broken.yaml": "topic: [x"}}, headers=admin
    ).json()
    checked = client.post(f"/v1/rulesets/drafts/{draft['id']}/validate", headers=admin).json()
    assert not checked["ok"]
    assert checked["problems"][0]["file"] == "broken.yaml"
    assert checked["problems"][0]["line"] is not None
    assert "invalid YAML" in checked["problems"][0]["message"]
    refused = client.post(f"/v1/rulesets/drafts/{draft['id']}/publish", headers=admin)
    assert refused.status_code == 409
    unpreviewable = client.post(f"/v1/rulesets/drafts/{draft['id']}/preview", headers=admin)
    assert unpreviewable.status_code == 409
    assert unpreviewable.json()["detail"][0]["file"] == "broken.yaml"


def test_a_coachs_publish_applies_at_once_and_re_generates_the_whole_organisation(
    client: TestClient, settings: Settings
) -> None:
    """Rules belong to the organisation: a coach's publish re-plans every athlete (the job's
    total counts them all), and the next request already uses the new version."""
    admin, coach = coach_setup(client, settings)
    intake = load_example("weak_left_glute_hamstring")
    for owner in (admin, coach):  # one athlete of the admin's, one of the coach's
        athlete = client.post("/v1/athletes", json={"name": "R"}, headers=owner).json()["id"]
        client.post(f"/v1/athletes/{athlete}/intakes", json=intake, headers=owner)
        assert client.post(f"/v1/athletes/{athlete}/plans", headers=owner).status_code == 201
    before = client.post("/v1/plans/preview", json=intake, headers=coach).json()["ruleset"]
    draft = client.post("/v1/rulesets/drafts", json={"based_on": "base"}, headers=coach).json()
    published = client.post(f"/v1/rulesets/drafts/{draft['id']}/publish", headers=coach)
    assert published.status_code == 202, published.text
    now = client.post("/v1/plans/preview", json=intake, headers=coach).json()["ruleset"]
    assert now["version"] == f"{before['version']}+org.1"
    job = wait_for_job(client, coach, published.json()["job"])
    assert (job["status"], job["total"], job["done"], job["failed"]) == ("done", 2, 2, 0)


def test_an_athlete_the_new_rules_cannot_plan_goes_onto_the_base_rules(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-generation that fails for one athlete leaves them on a safe plan (the shipped
    base rules), never on what the replaced rules made, and the job says so."""
    from app.services import regeneration as service

    monkeypatch.setattr(client.app.state.services, "today", lambda _tz: date(2026, 1, 10))  # type: ignore[attr-defined]
    _admin, coach = coach_setup(client, settings)
    athlete = client.post("/v1/athletes", json={"name": "Pat"}, headers=coach).json()["id"]
    intake = load_example("weak_left_glute_hamstring")
    client.post(f"/v1/athletes/{athlete}/intakes", json=intake, headers=coach)
    before = client.post(f"/v1/athletes/{athlete}/plans", headers=coach).json()
    base = client.app.state.services.library.base  # type: ignore[attr-defined]
    real = service.replan  # type: ignore[attr-defined]

    def failing(tenant: Any, record: Any, ruleset: Any, today: Any, **kw: Any) -> Any:
        if ruleset is not base:
            raise RuntimeError("a rule set that cannot plan this athlete")
        return real(tenant, record, ruleset, today, **kw)

    monkeypatch.setattr(service, "replan", failing)
    draft = client.post("/v1/rulesets/drafts", json={"based_on": "base"}, headers=coach).json()
    published = client.post(f"/v1/rulesets/drafts/{draft['id']}/publish", headers=coach)
    assert published.status_code == 202, published.text
    job = wait_for_job(client, coach, published.json()["job"])
    assert (job["status"], job["failed"]) == ("done_with_errors", 1)
    assert "roll back" in job["hint"]
    assert "/v1/rulesets/rollback" in job["hint"]
    message = next(iter(job["errors"].values()))
    assert "base rules instead" in message
    assert "RuntimeError" in message
    [failure] = job["failures"]
    assert (failure["athlete_id"], failure["plan_id"]) == (athlete, before["id"])
    assert failure["outcome"] == "base_rules"
    after = client.get(f"/v1/plans/{before['id']}", headers=coach).json()
    assert after["revision"] == before["revision"] + 1
    assert after["ruleset"]["version"] == base.version


def test_an_athlete_no_rules_can_plan_keeps_their_plan_and_the_job_names_rule_and_week(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When neither the new rules nor the base can plan an athlete, they keep the plan they
    had (no 500 afterwards: a check-in still re-plans it), and the job reports the athlete,
    the broken rule, its week and the message; the other athletes are re-planned."""
    from app.errors import SafetyViolation
    from app.services import regeneration as service

    _admin, coach = coach_setup(client, settings)
    plans, athletes = [], []
    for name in ("Pat", "Sam"):
        athlete = client.post("/v1/athletes", json={"name": name}, headers=coach).json()["id"]
        intake = load_example("weak_left_glute_hamstring")
        client.post(f"/v1/athletes/{athlete}/intakes", json=intake, headers=coach)
        plans.append(client.post(f"/v1/athletes/{athlete}/plans", headers=coach).json())
        athletes.append(athlete)
    stuck = plans[0]
    real = service.replan  # type: ignore[attr-defined]

    def refusing(tenant: Any, record: Any, ruleset: Any, today: Any, **kw: Any) -> Any:
        if record.id == stuck["id"]:
            raise SafetyViolation(
                "the generated plan breaks a hard limit",
                detail=["growth (week of 2026-03-09): the week grows 14 % (at most 10 %)"],
            )
        return real(tenant, record, ruleset, today, **kw)

    monkeypatch.setattr(service, "replan", refusing)
    draft = client.post("/v1/rulesets/drafts", json={"based_on": "base"}, headers=coach).json()
    published = client.post(f"/v1/rulesets/drafts/{draft['id']}/publish", headers=coach)
    assert published.status_code == 202, published.text
    job = wait_for_job(client, coach, published.json()["job"])
    assert (job["status"], job["done"], job["failed"]) == ("done_with_errors", 1, 1)
    assert "failures" in job["hint"]
    assert "publish" in job["hint"]
    [failure] = job["failures"]
    assert failure["athlete_id"] == athletes[0]
    assert failure["plan_id"] == stuck["id"]
    assert failure["outcome"] == "kept"
    assert (failure["rule"], failure["week"]) == ("growth", "2026-03-09")
    assert "grows 14 %" in failure["message"]
    assert "keeps their previous plan" in job["errors"][stuck["id"]]
    kept = client.get(f"/v1/plans/{stuck['id']}", headers=coach).json()
    assert (kept["revision"], kept["ruleset"]) == (stuck["revision"], stuck["ruleset"])
    other = client.get(f"/v1/plans/{plans[1]['id']}", headers=coach).json()
    assert other["revision"] == plans[1]["revision"] + 1
    checked = client.post(
        f"/v1/athletes/{athletes[0]}/check-ins",
        json={"date": "2026-06-10", "pain_during": 2, "pain_next_morning": 1},
        headers=coach,
    )
    assert checked.status_code == 201, checked.text


def test_on_sqlite_a_job_left_unfinished_resumes_when_the_server_starts(tmp_path: Any) -> None:
    """The process that ran a job stopped after two of five athletes; the next start finishes
    the other three, and re-plans none of the first two again."""
    from sqlalchemy import select

    from app.config import PROJECT_ROOT
    from app.engine.compile import load_ruleset
    from app.main import create_app
    from app.queue import Workplace
    from app.services import regeneration
    from app.services.rulesets import RuleSetLibrary, create_draft, publish
    from app.storage.db import make_engine, make_sessionmaker
    from app.storage.migrations import upgrade
    from app.storage.scope import Tenant
    from app.storage.tables import RegenerationJob
    from tests.support.seeding import revisions_per_plan, seed_organisation

    url = f"sqlite:///{tmp_path / 'resume.db'}"
    upgrade(PROJECT_ROOT / "alembic", url)
    organisation = seed_organisation(url, load_ruleset(PROJECT_ROOT / "rules"), 5)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    library = RuleSetLibrary(PROJECT_ROOT / "rules")
    with sessions() as db:
        tenant = Tenant(db, organisation.organization_id)
        job, plan_ids = publish(tenant, library, create_draft(tenant, library, "base", {}))
        job_id = job.id
        db.commit()
    context = Workplace(sessions=sessions, library=library)
    for plan_id in plan_ids[:2]:  # then the process stopped
        assert regeneration.regenerate(context, job_id, plan_id) == "replanned"
    with sessions() as db:
        assert db.scalars(select(RegenerationJob.status)).one() == "running"
    settings = Settings(database_url=url, address_rate_limit_per_minute=0)
    with TestClient(create_app(settings)) as client:
        auth = {"Authorization": f"Bearer {organisation.api_key}"}
        state = wait_for_job(client, auth, {"id": job_id})
    assert (state["status"], state["done"], state["failed"]) == ("done", 5, 0)
    with sessions() as db:
        assert revisions_per_plan(db, organisation.plan_ids) == dict.fromkeys(
            organisation.plan_ids, 2
        )
    engine.dispose()


def test_publishing_and_rolling_back_are_an_admins_unless_granted_to_a_coach(
    client: TestClient, settings: Settings
) -> None:
    admin, coach = coach_setup(client, settings, can_publish=False)
    app_key = client.post("/v1/api-keys", json={"role": "app"}, headers=admin).json()
    app = {"Authorization": f"Bearer {app_key['api_key']}"}
    draft = client.post("/v1/rulesets/drafts", json={"based_on": "base"}, headers=coach).json()
    publish = f"/v1/rulesets/drafts/{draft['id']}/publish"
    for who in (coach, app):
        refused = client.post(publish, headers=who)
        assert refused.status_code == 403, refused.text
        assert "publish" in refused.json()["message"]
        back = client.post("/v1/rulesets/rollback", json={"version": "base"}, headers=who)
        assert back.status_code == 403
    coach_id = client.get("/v1/coaches", headers=admin).json()["items"][0]["id"]
    grant = f"/v1/coaches/{coach_id}"
    assert client.patch(grant, json={"can_publish": True}, headers=coach).status_code == 403
    granted = client.patch(grant, json={"can_publish": True}, headers=admin)
    assert granted.status_code == 200
    assert granted.json()["can_publish"] is True
    published = client.post(publish, headers=coach)  # the grant applies to the coach's key at once
    assert published.status_code == 202, published.text
    wait_for_job(client, admin, published.json()["job"])
    client.patch(grant, json={"can_publish": False}, headers=admin)
    back = client.post("/v1/rulesets/rollback", json={"version": "base"}, headers=coach)
    assert back.status_code == 403
    assert (
        client.post("/v1/rulesets/rollback", json={"version": "base"}, headers=admin).status_code
        == 202
    )

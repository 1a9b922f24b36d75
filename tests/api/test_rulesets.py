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
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.1)
    raise AssertionError(f"job did not finish: {state}")


def activation_cap(plan: dict[str, Any]) -> float:
    first_week: float = plan["weeks"][1]["cap"]
    return first_week


def coach_setup(client: TestClient, settings: Settings) -> tuple[dict[str, str], dict[str, str]]:
    _, admin_key = new_org(settings, "Coached club")
    admin = {"Authorization": f"Bearer {admin_key}"}
    coach = client.post("/v1/coaches", json={"name": "Lee"}, headers=admin).json()
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
    assert (job["status"], job["failed"]) == ("failed", 1)
    message = next(iter(job["errors"].values()))
    assert "base rules instead" in message
    assert "RuntimeError" in message
    [failure] = job["failures"]
    assert (failure["athlete_id"], failure["plan_id"]) == (athlete, before["id"])
    assert failure["outcome"] == "base_rules"
    after = client.get(f"/v1/plans/{before['id']}", headers=coach).json()
    assert after["revision"] == before["revision"] + 1
    assert after["ruleset"]["version"] == base.version

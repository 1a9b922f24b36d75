"""Editing a draft file by file (each file with its own ETag), discarding drafts, and the diff
between two rule sets (per-file unified diffs and per-rule changes)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.config import Settings
from tests.api.test_rulesets import coach_setup

YAML = {"content-type": "text/yaml"}
NEW_RULE = """topic: Hip flexors
rules:
  - id: coach.hip_flexors
    title: Hip flexor mobility
    why: A forward-tilted pelvis eases when the hip flexors lengthen.
    when: {fact: finding, name: anterior_pelvic_tilt}
    then:
      - prescribe: {exercise: hip_flexor_mobilisation, phase: activation}
"""


def new_draft(client: TestClient, coach: dict[str, str]) -> str:
    created = client.post("/v1/rulesets/drafts", json={"based_on": "base"}, headers=coach)
    assert created.status_code == 201, created.text
    draft_id: str = created.json()["id"]
    return draft_id


def test_two_coaches_edit_different_files_of_one_draft_without_colliding(
    client: TestClient, settings: Settings
) -> None:
    _, coach = coach_setup(client, settings)
    draft = f"/v1/rulesets/drafts/{new_draft(client, coach)}/files"
    # both read their file first, then both write
    load = client.get(f"{draft}/load.yaml", headers=coach)
    goals = client.get(f"{draft}/goals.yaml", headers=coach)
    assert load.status_code == goals.status_code == 200
    assert load.headers["content-type"].startswith("text/yaml")
    assert load.headers["etag"] != goals.headers["etag"]
    first = client.put(
        f"{draft}/load.yaml",
        content=load.text + "\n# edited by the first coach\n",
        headers={**coach, **YAML, "If-Match": load.headers["etag"]},
    )
    assert first.status_code == 200, first.text
    second = client.put(
        f"{draft}/goals.yaml",
        content=goals.text + "\n# edited by the second coach\n",
        headers={**coach, **YAML, "If-Match": goals.headers["etag"]},
    )
    assert second.status_code == 200, second.text  # no 412: another file changed meanwhile
    now = client.get(f"{draft}/goals.yaml", headers=coach)
    assert second.headers["etag"] == now.headers["etag"]
    # the same file, with the ETag read before the first coach's edit: 412
    stale = client.put(
        f"{draft}/load.yaml",
        content=load.text + "\n# a late edit\n",
        headers={**coach, **YAML, "If-Match": load.headers["etag"]},
    )
    assert stale.status_code == 412
    assert first.headers["etag"] in stale.json()["detail"]
    assert client.get(f"{draft}/load.yaml", headers=coach).text.endswith("first coach\n")


def test_a_new_file_is_created_with_if_none_match_and_only_once(
    client: TestClient, settings: Settings
) -> None:
    _, coach = coach_setup(client, settings)
    url = f"/v1/rulesets/drafts/{new_draft(client, coach)}/files/hips.yaml"
    assert client.get(url, headers=coach).status_code == 404
    assert client.put(url, content=NEW_RULE, headers={**coach, **YAML}).status_code == 428
    created = client.put(url, content=NEW_RULE, headers={**coach, **YAML, "If-None-Match": "*"})
    assert created.status_code == 200, created.text
    assert "hips.yaml" in created.json()["files"]
    again = client.put(url, content=NEW_RULE, headers={**coach, **YAML, "If-None-Match": "*"})
    assert again.status_code == 412
    assert client.get(url, headers=coach).text == NEW_RULE
    gone = client.delete(url, headers={**coach, "If-Match": created.headers["etag"]})
    assert gone.status_code == 204
    assert client.get(url, headers=coach).status_code == 404


def test_a_draft_can_be_discarded_but_not_a_published_version(
    client: TestClient, settings: Settings
) -> None:
    admin, coach = coach_setup(client, settings)
    draft_id = new_draft(client, coach)
    url = f"/v1/rulesets/drafts/{draft_id}"
    etag = client.get(url, headers=coach).headers["etag"]
    assert client.delete(url, headers=coach).status_code == 428
    assert client.delete(url, headers={**coach, "If-Match": '"v999"'}).status_code == 412
    assert client.delete(url, headers={**coach, "If-Match": etag}).status_code == 204
    assert client.get(url, headers=coach).status_code == 404
    assert client.delete(url, headers={**coach, "If-Match": etag}).status_code == 404
    app_key = client.post("/v1/api-keys", json={"role": "app"}, headers=admin).json()
    reader = {"Authorization": f"Bearer {app_key['api_key']}"}
    other = new_draft(client, coach)
    other_etag = client.get(f"/v1/rulesets/drafts/{other}", headers=coach).headers["etag"]
    refused = client.delete(
        f"/v1/rulesets/drafts/{other}", headers={**reader, "If-Match": other_etag}
    )
    assert refused.status_code == 403


def test_the_diff_shows_files_and_rules_added_removed_and_changed(
    client: TestClient, settings: Settings
) -> None:
    _, coach = coach_setup(client, settings)
    draft_id = new_draft(client, coach)
    files = f"/v1/rulesets/drafts/{draft_id}/files"
    findings = client.get(f"{files}/findings.yaml", headers=coach)
    edited = findings.text.replace(
        "A weak gluteus medius lets the pelvis drop", "A weak gluteus medius lets the hip drop", 1
    )
    assert edited != findings.text
    client.put(
        f"{files}/findings.yaml",
        content=edited,
        headers={**coach, **YAML, "If-Match": findings.headers["etag"]},
    )
    client.put(
        f"{files}/hips.yaml", content=NEW_RULE, headers={**coach, **YAML, "If-None-Match": "*"}
    )
    response = client.get(f"/v1/rulesets/diff?from=base&to={draft_id}", headers=coach)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["from"] == "base"
    assert result["to"] == f"draft {draft_id}"
    by_file = {f["name"]: f for f in result["files"]}
    assert set(by_file) == {"findings.yaml", "hips.yaml"}
    assert by_file["hips.yaml"]["change"] == "added"
    assert "-      A weak gluteus medius lets the pelvis drop" in by_file["findings.yaml"]["diff"]
    assert "+      A weak gluteus medius lets the hip drop" in by_file["findings.yaml"]["diff"]
    rules = {r["id"]: r for r in result["rules"]}
    assert rules == {
        "finding.weak_glute_med": {
            "id": "finding.weak_glute_med",
            "file": "findings.yaml",
            "change": "changed",
            "fields": ["why"],
        },
        "coach.hip_flexors": {
            "id": "coach.hip_flexors",
            "file": "hips.yaml",
            "change": "added",
            "fields": [],
        },
    }
    assert result["summary"]["rules_added"] == result["summary"]["rules_changed"] == 1
    assert result["summary"]["files_changed"] == 2
    # the other way round, the new rule is removed; the same side twice differs in nothing
    back = client.get(f"/v1/rulesets/diff?from={draft_id}&to=base", headers=coach).json()
    assert {r["id"]: r["change"] for r in back["rules"]}["coach.hip_flexors"] == "removed"
    same = client.get("/v1/rulesets/diff?from=active&to=base", headers=coach).json()
    assert same["files"] == []
    assert same["rules"] == []


def test_a_diff_reference_that_names_nothing_is_refused_clearly(
    client: TestClient, settings: Settings
) -> None:
    _, coach = coach_setup(client, settings)
    bad = client.get("/v1/rulesets/diff?from=yesterday&to=base", headers=coach)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "from"]
    missing = client.get("/v1/rulesets/diff?from=base&to=42", headers=coach)
    assert missing.status_code == 404
    unknown = client.get(
        "/v1/rulesets/diff?from=base&to=00000000-0000-4000-8000-000000000000", headers=coach
    )
    assert unknown.status_code == 404
    assert client.get("/v1/rulesets/diff?from=base", headers=coach).status_code == 422


def test_validate_and_test_show_warnings_beside_problems(
    client: TestClient, settings: Settings
) -> None:
    """A likely mistake is a warning with file, line and rule: the draft still validates and
    its test still passes; an error elsewhere does not hide it."""
    _admin, coach = coach_setup(client, settings)
    draft_id = new_draft(client, coach)
    slip = (
        "topic: Slips\nrules:\n  - id: coach.slip\n    title: A slip\n"
        "    why: Avoids an exercise the catalog does not have.\n"
        "    when: {fact: symptom, condition: knee_pain}\n"
        "    then:\n      - avoid: {exercise: pistol_squat}\n"
    )
    url = f"/v1/rulesets/drafts/{draft_id}/files/slips.yaml"
    put = client.put(url, content=slip, headers={**coach, **YAML, "If-None-Match": "*"})
    assert put.status_code == 200, put.text
    warning = {
        "file": "slips.yaml",
        "line": 8,
        "rule": "coach.slip",
        "message": "'pistol_squat' is not in the catalog, so this avoid changes nothing (add "
        "the exercise to the catalog, or correct the name)",
    }
    checked = client.post(f"/v1/rulesets/drafts/{draft_id}/validate", headers=coach).json()
    assert (checked["ok"], checked["problems"], checked["warnings"]) == (True, [], [warning])
    tested = client.post(f"/v1/rulesets/drafts/{draft_id}/test", headers=coach).json()
    assert (tested["ok"], tested["warnings"]) == (True, [warning])

    broken = slip + "      - prescribe: {exercise: moonwalk, phase: strength}\n"
    etag = put.headers["ETag"]
    client.put(url, content=broken, headers={**coach, **YAML, "If-Match": etag})
    checked = client.post(f"/v1/rulesets/drafts/{draft_id}/validate", headers=coach).json()
    assert checked["ok"] is False
    assert [p["line"] for p in checked["problems"]] == [9]
    assert checked["warnings"] == [warning]

"""A preview says what a draft changes in each session: exercises added, removed or changed in
dose, the fields that differ, and changes of wording alone; from today or a chosen day, and
plainly when a plan has nothing left to change."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.schemas import DraftPreviewOut
from app.config import Settings
from tests.api.test_ruleset_files import YAML, new_draft
from tests.api.test_rulesets import coach_setup
from tests.conftest import load_example


def edit(
    client: TestClient, coach: dict[str, str], draft_id: str, name: str, old: str, new: str
) -> None:
    url = f"/v1/rulesets/drafts/{draft_id}/files/{name}"
    current = client.get(url, headers=coach)
    assert old in current.text
    put = client.put(
        url,
        content=current.text.replace(old, new, 1),
        headers={**coach, **YAML, "If-Match": current.headers["etag"]},
    )
    assert put.status_code == 200, put.text


def seed_athlete(client: TestClient, coach: dict[str, str]) -> str:
    athlete: str = client.post("/v1/athletes", json={"name": "Sam"}, headers=coach).json()["id"]
    client.post(
        f"/v1/athletes/{athlete}/intakes",
        json=load_example("weak_left_glute_hamstring"),
        headers=coach,
    )
    assert client.post(f"/v1/athletes/{athlete}/plans", headers=coach).status_code == 201
    return athlete


def preview(
    client: TestClient, coach: dict[str, str], draft_id: str, athlete: str, **extra: Any
) -> dict[str, Any]:
    response = client.post(
        f"/v1/rulesets/drafts/{draft_id}/preview",
        json={"athlete_ids": [athlete], **extra},
        headers=coach,
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    DraftPreviewOut.model_validate(result, strict=True)  # as the OpenAPI document describes it
    return result


def test_a_dose_change_shows_as_exercises_changed_in_the_sessions_it_touches(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client.app.state.services, "today", lambda _tz: date(2026, 1, 10))  # type: ignore[attr-defined]
    _, coach = coach_setup(client, settings)
    athlete = seed_athlete(client, coach)
    draft_id = new_draft(client, coach)
    edit(
        client,
        coach,
        draft_id,
        "findings.yaml",
        "{exercise: clamshell, phase: activation, side: matched, extra_sets: 1}",
        "{exercise: clamshell, phase: activation, side: matched, extra_sets: 2}",
    )
    [entry] = preview(client, coach, draft_id, athlete)["athletes"]
    changed = entry["sessions"]["changed"]
    dosed = [c for c in changed if "exercises" in c["fields"]]
    assert dosed
    for change in changed:  # a session whose exercises did not change only changed its notes
        assert change["wording_only"] == (change not in dosed)
    touched = [c for c in dosed if c["exercises"]["changed"]]
    assert touched
    for change in touched:
        doses = change["exercises"]["changed"]
        assert all(d["before"]["id"] == d["after"]["id"] == "clamshell" for d in doses)
        assert all(d["after"]["sets"] == d["before"]["sets"] + 1 for d in doses)
        assert {d["after"]["side"] for d in doses} == {"left"}  # the weak side only
    # a longer warm-up keeps a strength session within 45 minutes by resting an exercise or
    # moving one kept on N days a week to another day: whole exercises, no other dose changes
    moved_in = {e["id"] for c in dosed for e in c["exercises"]["added"]}
    moved_out = {e["id"] for c in dosed for e in c["exercises"]["removed"]}
    assert moved_in <= moved_out


def test_a_note_worded_differently_is_reported_as_wording_only(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client.app.state.services, "today", lambda _tz: date(2026, 1, 10))  # type: ignore[attr-defined]
    _, coach = coach_setup(client, settings)
    athlete = client.post("/v1/athletes", json={"name": "Ria"}, headers=coach).json()["id"]
    client.post(f"/v1/athletes/{athlete}/intakes", json=load_example("itb_10k_soon"), headers=coach)
    assert client.post(f"/v1/athletes/{athlete}/plans", headers=coach).status_code == 201
    draft_id = new_draft(client, coach)
    edit(
        client,
        coach,
        draft_id,
        "conditions.yaml",
        "Avoid downhills and cambered roads; change direction on a track.",
        "Keep off downhills and cambered roads; turn around often on a track.",
    )
    result = preview(client, coach, draft_id, athlete)
    changed = result["athletes"][0]["sessions"]["changed"]
    assert changed
    assert all(c["wording_only"] and c["fields"] == ["notes"] for c in changed)
    assert all(c["exercises"] == {"added": [], "removed": [], "changed": []} for c in changed)
    assert result["totals"]["wording_only"] == len(changed)


def test_a_plan_in_the_past_is_said_to_have_nothing_to_change_unless_previewed_from_a_date(
    client: TestClient, settings: Settings
) -> None:
    _, coach = coach_setup(client, settings)  # today: the examples' 2026 season has passed
    athlete = seed_athlete(client, coach)
    draft_id = new_draft(client, coach)
    edit(
        client,
        coach,
        draft_id,
        "findings.yaml",
        "{exercise: clamshell, phase: activation, side: matched, extra_sets: 1}",
        "{exercise: clamshell, phase: activation, side: matched, extra_sets: 2}",
    )
    ended = preview(client, coach, draft_id, athlete)
    [entry] = ended["athletes"]
    assert "nothing after" in entry["note"]
    assert entry["changed"] == 0
    assert ended["totals"]["ended"] == 1
    earlier = preview(client, coach, draft_id, athlete, from_date="2026-05-01")
    [entry] = earlier["athletes"]
    assert entry["from"] == "2026-05-01"
    assert "note" not in entry
    assert entry["changed"] > 0
    far = client.post(
        f"/v1/rulesets/drafts/{draft_id}/preview",
        json={"athlete_ids": [athlete], "from_date": "1990-01-01"},
        headers=coach,
    )
    assert far.status_code == 422
    assert far.json()["detail"][0]["loc"] == ["body", "from_date"]

"""An organisation's own vocabulary, as a coach uses it: declare a finding, write a rule and an
exercise for it in their own files, validate, test, preview, publish, take an intake with the
new finding, and roll back without losing anything (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from tests.api.test_ruleset_files import YAML, new_draft
from tests.api.test_rulesets import coach_setup, wait_for_job
from tests.conftest import load_example

VOCABULARY = """findings:
  - name: tight_hip_flexors
    label: Tight hip flexors
    description: A positive modified Thomas test.
"""
RULE = """topic: Hip flexors
rules:
  - id: coach.tight_hip_flexors
    title: Tight hip flexors get a half-kneeling stretch
    why: Lengthening the front of the hip lets the glutes extend it without the back arching.
    when: {fact: finding, name: [tight_hip_flexors, anterior_pelvic_tilt]}
    then:
      - prescribe: {exercise: half_kneeling_hip_flexor_stretch, phase: activation}
cases:
  - name: the new finding gets the stretch
    intake: {findings: [{name: tight_hip_flexors, side: both}]}
    expect:
      fires: [coach.tight_hip_flexors]
      in_plan: [{exercise: half_kneeling_hip_flexor_stretch, phase: activation}]
"""
EXERCISE = """version: 1
exercises:
  - id: half_kneeling_hip_flexor_stretch
    name: Half-kneeling hip flexor stretch
    kind: activation
    phases: [activation]
    targets: [hip_flexors]
    unilateral: true
    dose: {sets: 2, seconds: 30}
    cues:
      - Tuck the pelvis under before leaning forward; the stretch is at the front of the hip.
"""


def create(client: TestClient, coach: dict[str, str], draft_id: str, name: str, text: str) -> None:
    url = f"/v1/rulesets/drafts/{draft_id}/files/{name}"
    answer = client.put(url, content=text, headers={**coach, **YAML, "If-None-Match": "*"})
    assert answer.status_code == 200, answer.text


def test_a_coach_declares_a_finding_and_uses_it_end_to_end(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client.app.state.services, "today", lambda _tz: date(2026, 1, 10))  # type: ignore[attr-defined]
    admin, coach = coach_setup(client, settings)
    sarah = client.post("/v1/athletes", json={"name": "Sarah"}, headers=coach).json()["id"]
    with_tilt = load_example("weak_left_glute_hamstring")  # anterior pelvic tilt among findings
    client.post(f"/v1/athletes/{sarah}/intakes", json=with_tilt, headers=coach)
    assert client.post(f"/v1/athletes/{sarah}/plans", headers=coach).status_code == 201

    # before: the finding is unknown, with the fields named
    new_finding = {**with_tilt, "findings": [{"name": "tight_hip_flexors", "side": "both"}]}
    refused = client.post(f"/v1/athletes/{sarah}/intakes", json=new_finding, headers=coach)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "findings", 0, "name"]
    vocabulary = client.get("/v1/vocabulary", headers=coach).json()
    assert "tight_hip_flexors" not in {t["name"] for t in vocabulary["findings"]}

    draft_id = new_draft(client, coach)
    create(client, coach, draft_id, "vocabulary.yaml", VOCABULARY)
    create(client, coach, draft_id, "hips.yaml", RULE)
    create(client, coach, draft_id, "catalog_hips.yaml", EXERCISE)
    checked = client.post(f"/v1/rulesets/drafts/{draft_id}/validate", headers=coach).json()
    assert checked["ok"], checked
    assert checked["warnings"] == []  # nothing that looks like a slip either
    tested = client.post(f"/v1/rulesets/drafts/{draft_id}/test", headers=coach).json()
    assert tested["ok"], tested
    diff = client.get(f"/v1/rulesets/diff?from=active&to={draft_id}", headers=coach).json()
    assert {(f["name"], f["change"]) for f in diff["files"]} == {
        ("vocabulary.yaml", "added"),
        ("hips.yaml", "added"),
        ("catalog_hips.yaml", "added"),
    }
    assert [(r["id"], r["change"]) for r in diff["rules"]] == [("coach.tight_hip_flexors", "added")]
    assert [(e["id"], e["change"]) for e in diff["exercises"]] == [
        ("half_kneeling_hip_flexor_stretch", "added")
    ]
    preview = client.post(
        f"/v1/rulesets/drafts/{draft_id}/preview", json={"athlete_ids": [sarah]}, headers=coach
    ).json()
    [entry] = preview["athletes"]
    added = [
        dose
        for change in entry["sessions"]["changed"]
        for dose in change["exercises"]["added"]
        if dose["id"] == "half_kneeling_hip_flexor_stretch"
    ]
    assert added  # the new exercise, in the sessions it joins
    joined = {
        c["after"]["kind"]
        for c in entry["sessions"]["changed"]
        if any(d["id"] == "half_kneeling_hip_flexor_stretch" for d in c["exercises"]["added"])
    }
    # activation days, and the light rehab kept up on strength and run days; never a race
    assert "activation" in joined
    assert joined <= {"activation", "strength", "run"}

    published = client.post(f"/v1/rulesets/drafts/{draft_id}/publish", headers=admin)
    assert published.status_code == 202, published.text
    assert wait_for_job(client, admin, published.json()["job"])["status"] == "done"
    vocabulary = client.get("/v1/vocabulary", headers=coach).json()
    declared = [t for t in vocabulary["findings"] if not t["shipped"]]
    assert declared == [
        {
            "name": "tight_hip_flexors",
            "label": "Tight hip flexors",
            "description": "A positive modified Thomas test.",
            "shipped": False,
        }
    ]

    lee = client.post("/v1/athletes", json={"name": "Lee"}, headers=coach).json()["id"]
    stored = client.post(f"/v1/athletes/{lee}/intakes", json=new_finding, headers=coach)
    assert stored.status_code == 201, stored.text
    plan = client.post(f"/v1/athletes/{lee}/plans", headers=coach)
    assert plan.status_code == 201, plan.text
    assert "half_kneeling_hip_flexor_stretch" in plan.json()["exercises"]

    # rules that drop the term would orphan Lee's intake: publishing them is refused
    base_draft = new_draft(client, coach)
    orphaning = client.post(f"/v1/rulesets/drafts/{base_draft}/publish", headers=admin)
    assert orphaning.status_code == 409
    assert "tight_hip_flexors" in orphaning.json()["message"]
    assert orphaning.json()["detail"][0]["athlete_id"] == lee

    # a rollback is allowed; the intake stays readable, and re-planning names the lost term
    back = client.post("/v1/rulesets/rollback", json={"version": "base"}, headers=admin)
    assert back.status_code == 202, back.text
    job = wait_for_job(client, admin, back.json()["job"])
    assert any("tight_hip_flexors" in error for error in job["errors"].values())
    intakes = client.get(f"/v1/athletes/{lee}/intakes", headers=coach)
    assert intakes.status_code == 200
    assert intakes.json()[0]["intake"]["findings"][0]["name"] == "tight_hip_flexors"
    again = client.post(f"/v1/athletes/{lee}/plans", headers=coach)
    assert again.status_code == 409
    assert "tight_hip_flexors" in again.json()["message"]
    assert again.json()["detail"][0]["loc"] == ["intake", "findings", 0, "name"]
    kept = client.get(f"/v1/plans/{plan.json()['id']}", headers=coach)
    assert kept.status_code == 200  # Lee keeps the plan made before
    assert "half_kneeling_hip_flexor_stretch" in kept.json()["exercises"]


def test_declared_terms_are_checked_like_rules() -> None:
    from app.engine.compile import compile_sources, read_sources
    from app.engine.problems import RuleSetRejected
    from tests.conftest import RULES

    base = {name: text.decode() for name, text in read_sources(RULES).items()}
    unused = {**base, "vocabulary.yaml": VOCABULARY}
    with pytest.raises(RuleSetRejected, match="declared but nothing uses it"):
        compile_sources(unused)
    shipped = {
        **base,
        "vocabulary.yaml": "findings:\n  - {name: weak_glute_med, label: Weak glute}\n",
    }
    with pytest.raises(RuleSetRejected, match="already one of the shipped findings"):
        compile_sources(shipped)
    ruleset = compile_sources(
        {**base, "vocabulary.yaml": VOCABULARY, "hips.yaml": RULE, "catalog_hips.yaml": EXERCISE}
    )
    assert "tight_hip_flexors" in ruleset.vocabulary.names("findings")
    assert "half_kneeling_hip_flexor_stretch" in ruleset.catalog


OWN_GATE_AND_TAG = """gate_criteria:
  - name: thomas_test_negative
    label: Negative Thomas test
    description: The thigh rests flat on the table in the modified Thomas test.
exercise_tags:
  - name: overhead
    label: Overhead
    description: A weight held or moved overhead.
"""
GATED = """topic: Hip flexors before strength
rules:
  - id: coach.thomas_gate
    title: Hip flexors free before strength
    why: Strength work on a tilted pelvis trains the tilt; loosen the hip flexors first.
    when: {fact: finding, name: anterior_pelvic_tilt}
    then:
      - gate: {phase: strength, criterion: thomas_test_negative}
      - avoid: {tag: overhead}
cases:
  - name: a tilted pelvis waits for the Thomas test
    intake: {findings: [{name: anterior_pelvic_tilt}]}
    expect:
      gates: [{phase: strength, criterion: thomas_test_negative}]
"""
OVERHEAD = """exercises:
  - id: overhead_walking_lunge
    name: Overhead walking lunge
    kind: strength
    phases: [strength]
    targets: [glutes, core]
    unilateral: true
    loaded: true
    dose: {sets: 2, reps: 8}
    contraindications: [lunge, external_load, overhead]
    cues:
      - Keep the weight over the shoulders and the ribs down.
"""


def _base() -> dict[str, str]:
    from app.engine.compile import read_sources
    from tests.conftest import RULES

    return {name: text.decode() for name, text in read_sources(RULES).items()}


def test_an_organisation_declares_gate_criteria_and_exercise_tags() -> None:
    from app.engine.compile import compile_sources

    ruleset = compile_sources(
        {
            **_base(),
            "vocabulary.yaml": OWN_GATE_AND_TAG,
            "gates.yaml": GATED,
            "catalog_overhead.yaml": OVERHEAD,
        }
    )
    assert "thomas_test_negative" in ruleset.vocabulary.names("gate_criteria")
    assert "overhead" in ruleset.vocabulary.names("exercise_tags")
    assert ruleset.warnings == ()


@pytest.mark.parametrize(
    ("files", "message", "where"),
    [
        (
            {"gates.yaml": GATED, "catalog_overhead.yaml": OVERHEAD},
            "unknown gate criterion 'thomas_test_negative'; the criteria are: heel_raises_25",
            "gates.yaml:8",
        ),
        (
            {"gates.yaml": GATED, "catalog_overhead.yaml": OVERHEAD},
            "(an organisation declares its own in vocabulary.yaml, under gate_criteria)",
            "gates.yaml:8",
        ),
        (
            {"vocabulary.yaml": OWN_GATE_AND_TAG},
            "'thomas_test_negative' is declared but nothing uses it (a rule's gate: {phase: "
            "strength, criterion: thomas_test_negative})",
            "vocabulary.yaml:2",
        ),
        (
            {"vocabulary.yaml": OWN_GATE_AND_TAG},
            "'overhead' is declared but nothing uses it (an exercise's contraindications: "
            "[overhead], or a rule's avoid: {tag: overhead})",
            "vocabulary.yaml:6",
        ),
        (
            {"vocabulary.yaml": "exercise_tags:\n  - {name: squat, label: Squat}\n"},
            "'squat' is already one of the shipped exercise_tags",
            "vocabulary.yaml:2",
        ),
    ],
)
def test_undeclared_and_unused_gate_criteria_and_tags_are_errors(
    files: dict[str, str], message: str, where: str
) -> None:
    from app.engine.compile import compile_sources
    from app.engine.problems import RuleSetRejected

    with pytest.raises(RuleSetRejected) as refused:
        compile_sources({**_base(), **files})
    found = [str(p) for p in refused.value.problems]
    assert any(message in text and text.startswith(where) for text in found), found


def test_an_undeclared_tag_in_the_catalog_is_a_warning() -> None:
    """Catalogs with tags of their own kept working before tags could be declared: such a tag
    is a warning (with the catalog's file and line), not an error."""
    from app.engine.compile import compile_sources

    catalog = OVERHEAD.replace("overhead]", "overhead_press]")
    ruleset = compile_sources({**_base(), "catalog_overhead.yaml": catalog})
    [warning] = ruleset.warnings
    assert warning.file == "catalog_overhead.yaml"
    assert warning.line == 10
    assert "'overhead_walking_lunge' has the tag 'overhead_press', which is neither shipped" in (
        warning.message
    )


def test_a_check_in_passes_a_declared_gate_criterion(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before publishing, the criterion is unknown to check-ins (422); after, a check-in may
    report it passed and the plan's gate shows the organisation's label as met."""
    monkeypatch.setattr(client.app.state.services, "today", lambda _tz: date(2026, 5, 10))  # type: ignore[attr-defined]
    admin, coach = coach_setup(client, settings)
    sarah = client.post("/v1/athletes", json={"name": "Sarah"}, headers=coach).json()["id"]
    intake = load_example("weak_left_glute_hamstring")  # anterior pelvic tilt among findings
    client.post(f"/v1/athletes/{sarah}/intakes", json=intake, headers=coach)
    plan = client.post(f"/v1/athletes/{sarah}/plans", headers=coach).json()
    assert plan["start"] == "2026-05-04"  # activation: the strength gate is ahead
    report = {"date": "2026-05-08", "pain_during": 1, "tests_passed": ["thomas_test_negative"]}
    refused = client.post(f"/v1/athletes/{sarah}/check-ins", json=report, headers=coach)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "tests_passed", 0]

    draft_id = new_draft(client, coach)
    create(client, coach, draft_id, "vocabulary.yaml", OWN_GATE_AND_TAG)
    create(client, coach, draft_id, "gates.yaml", GATED)
    create(client, coach, draft_id, "catalog_overhead.yaml", OVERHEAD)
    checked = client.post(f"/v1/rulesets/drafts/{draft_id}/validate", headers=coach).json()
    assert (checked["ok"], checked["warnings"]) == (True, []), checked
    published = client.post(f"/v1/rulesets/drafts/{draft_id}/publish", headers=admin)
    assert published.status_code == 202, published.text
    assert wait_for_job(client, admin, published.json()["job"])["status"] == "done"
    vocabulary = client.get("/v1/vocabulary", headers=coach).json()
    assert [t["name"] for t in vocabulary["gate_criteria"] if not t["shipped"]] == [
        "thomas_test_negative"
    ]
    assert [t["label"] for t in vocabulary["exercise_tags"] if not t["shipped"]] == ["Overhead"]

    accepted = client.post(f"/v1/athletes/{sarah}/check-ins", json=report, headers=coach)
    assert accepted.status_code in (200, 201), accepted.text
    replanned = client.get(f"/v1/plans/{plan['id']}", headers=coach).json()
    strength = next(p for p in replanned["phases"] if p["name"] == "strength")
    criteria = {c["id"]: c for c in strength["gate"]["criteria"]}
    assert criteria["thomas_test_negative"]["description"] == (
        "Negative Thomas test: The thigh rests flat on the table in the modified Thomas test."
    )
    assert criteria["thomas_test_negative"]["met"] is True

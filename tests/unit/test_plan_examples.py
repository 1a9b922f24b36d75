"""Plans for the runners in the seeds: the properties a coach would check."""

from __future__ import annotations

import itertools
import json
from collections import Counter

import pytest

from app.engine.model import RuleSet
from app.intake.checks import finalize
from app.intake.models import Intake
from app.plan.build import build_plan
from app.plan.models import Plan
from app.plan.review import ReviewContext, hard_findings, review_plan
from tests.conftest import TODAY, example_intake, load_example


@pytest.fixture(scope="module")
def sarah(ruleset: RuleSet) -> Plan:
    return build_plan(example_intake("weak_left_glute_hamstring"), ruleset)


def test_phases_run_activation_strength_form(sarah: Plan) -> None:
    names = [p.name for p in sarah.phases]
    assert names[:3] == ["activation", "strength", "running_form"]
    activation, strength, form = sarah.phases[:3]
    assert activation.end < strength.start <= strength.end < form.start
    assert (activation.end - activation.start).days + 1 >= 28


def test_weeks_stay_under_their_caps(sarah: Plan) -> None:
    assert sarah.weeks
    for week in sarah.weeks:
        assert week.planned_distance <= week.cap + 1e-9, week


def test_left_side_gets_extra_work(sarah: Plan) -> None:
    sets: Counter[str] = Counter()
    for session in sarah.sessions:
        for entry in session.exercises:
            if entry.side in ("left", "right"):
                sets[entry.side] += entry.sets
    assert sets["left"] > sets["right"]


def test_every_session_says_why(sarah: Plan) -> None:
    assert all(session.why for session in sarah.sessions)
    assert all(sarah.reasons[rule] for s in sarah.sessions for rule in s.why)


def test_each_reason_and_exercise_is_stated_once(sarah: Plan) -> None:
    """Sessions refer to rule ids and exercise ids; the texts live once in the plan's maps,
    and the maps hold nothing the plan does not use."""
    used_rules = {r for s in sarah.sessions for r in s.why} | {
        r for w in sarah.weeks for r in w.why
    }
    used_rules |= {d.rule for d in sarah.decisions}
    used_rules |= {c.why for p in sarah.phases if p.gate for c in p.gate.criteria if c.why}
    assert used_rules == set(sarah.reasons)
    used = {e.id for s in sarah.sessions for e in [*s.exercises, *s.drills]}
    assert used == set(sarah.exercises)
    assert all(info.name and info.cue in info.cues for info in sarah.exercises.values())
    document = sarah.model_dump_json()
    for text in sarah.reasons.values():
        assert document.count(json.dumps(text)) == 1


def test_activation_is_daily_then_strength_away_from_long_runs(sarah: Plan) -> None:
    activation = sarah.phases[0]
    days = {s.date for s in sarah.sessions if s.kind == "activation" and s.phase == "activation"}
    assert len(days) == (activation.end - activation.start).days + 1
    strength = sorted(s.date for s in sarah.sessions if s.kind == "strength")
    assert strength
    assert strength[0] > activation.end
    assert all((b - a).days >= 2 for a, b in itertools.pairwise(strength))
    assert not any(d.weekday() in (5, 6) for d in strength)  # long run Sunday: not Sat/Sun


def test_tendon_protection_keeps_deep_hip_flexion_out(sarah: Plan, ruleset: RuleSet) -> None:
    used = {e.id for s in sarah.sessions for e in s.exercises}
    assert "single_leg_crossover" not in used
    for exercise_id in used:
        assert "deep_hip_flexion" not in ruleset.catalog[exercise_id].contraindications


def test_the_plan_is_safe_and_deterministic(sarah: Plan, ruleset: RuleSet) -> None:
    intake = example_intake("weak_left_glute_hamstring")
    assert hard_findings(review_plan(sarah, ReviewContext(intake, ruleset.catalog))) == []
    again = build_plan(intake, ruleset)
    assert again.model_dump_json() == sarah.model_dump_json()


def test_ultra_relay_goal_is_flagged_with_numbers(sarah: Plan) -> None:
    relay = next(f for f in sarah.feasibility if "Reach the Beach" in f.goal)
    assert relay.needed_peak > relay.reachable_peak
    assert relay.at_risk
    assert relay.weeks_short > 0
    assert {a.code for a in relay.alternatives} >= {"regular_team", "later_race"}
    assert sarah.status == "goal_at_risk"


def test_red_flag_refers_without_training(ruleset: RuleSet) -> None:
    data = load_example("weak_left_glute_hamstring")
    data["red_flags"] = ["night_pain"]
    plan = build_plan(finalize(Intake.model_validate(data), TODAY), ruleset)
    assert plan.status == "referral_required"
    assert plan.referral is not None
    assert plan.referral.reasons
    assert not [s for s in plan.sessions if s.kind in ("run", "strength", "race")]

"""Plain-language texts for plan elements: facts, gate criteria."""

from __future__ import annotations

from app.engine.verbs import GateCriterion
from app.facts.build import Fact

GATE_TEXT: dict[GateCriterion, str] = {
    GateCriterion.pain_running_max_2: "Pain while running stays at 2/10 or less",
    GateCriterion.pain_running_max_3: "Pain while running stays at 3/10 or less",
    GateCriterion.no_morning_flare: "No rise in pain or stiffness the next morning",
    GateCriterion.walk_30_min_pain_free: "Walk 30 minutes without pain or a limp",
    GateCriterion.single_leg_squat_no_valgus: (
        "10 single-leg squats a side with the knee tracking over the toes"
    ),
    GateCriterion.single_leg_bridge_20: "20 single-leg bridges a side with a level pelvis",
    GateCriterion.side_plank_60s: "Side plank for 60 seconds a side",
    GateCriterion.heel_raises_25: "25 single-leg heel raises a side",
    GateCriterion.hop_test_pain_free: "10-15 hops a leg with pain at 2/10 or less",
    GateCriterion.level_pelvis_single_leg: "Stand 30 seconds on one leg with a level pelvis",
}

_KEY_FIELD = {
    "symptom": "condition",
    "finding": "name",
    "restriction": "name",
    "red_flag": "name",
    "red_s": "name",
    "goal": "type",
    "derived": "name",
    "check_in": "pain_during_zone",
}


def describe_fact(fact: Fact) -> str:
    """A short text for a fact, e.g. 'symptom proximal_hamstring_tendinopathy (left)'."""
    kind = str(fact["t"])
    key = _KEY_FIELD.get(kind)
    if key is None:
        return kind
    text = f"{kind} {fact.get(key, '')}"
    if "side" in fact:
        text += f" ({fact['side']})"
    if kind == "symptom":
        text += f", running pain {fact.get('pain_running')}/10"
    if kind == "finding" and "grade" in fact:
        text += f", grade {fact['grade']}/5"
    if kind == "goal" and "team_format" in fact:
        text += f", {fact['team_format']} team"
    return text


# What a gate's test asks the runner to do (contraindication tags), and the test used instead
# when that is ruled out for them (a gate never asks for a forbidden test, docs/plan-shape.md §11).
GATE_NEEDS: dict[GateCriterion, tuple[frozenset[str], GateCriterion]] = {
    GateCriterion.single_leg_squat_no_valgus: (
        frozenset({"squat", "deep_knee_flexion"}),
        GateCriterion.level_pelvis_single_leg,
    ),
    GateCriterion.hop_test_pain_free: (frozenset({"jumping"}), GateCriterion.heel_raises_25),
}

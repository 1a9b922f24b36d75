"""Which exercises a session gets when the core exercises overflow its slots (pure)."""

from __future__ import annotations

from app.engine.decisions import Prescription, Reason
from app.engine.model import RuleSet
from app.scheduler.exercises import Chosen, Rotations, rotation

TENDON = "condition.tendon"


def chosen(ruleset: RuleSet, exercise: str, rule: str) -> Chosen:
    reason = Reason(rule, "why")
    prescription = Prescription(exercise, "strength", None, None, None, None, 0, [reason])
    return Chosen(
        ruleset.catalog[exercise],
        prescription,
        [reason],
        core=not rule.startswith("baseline."),
        prescribed_by=frozenset({rule}),
    )


def overflowing(ruleset: RuleSet) -> list[Chosen]:
    """Seven core exercises for five slots, the tendon's own three in the middle of the list
    (the rules' order), and two baseline ones."""
    return [
        chosen(ruleset, "lateral_band_walk", "finding.hips"),
        chosen(ruleset, "backward_lunge", "finding.hips"),
        chosen(ruleset, "nordic_regression", TENDON),
        chosen(ruleset, "single_leg_glute_bridge", "finding.glute"),
        chosen(ruleset, "single_leg_deadlift", TENDON),
        chosen(ruleset, "pogo_hops", TENDON),
        chosen(ruleset, "side_plank", "finding.glute"),
        chosen(ruleset, "hip_thrust", "baseline.strength"),
        chosen(ruleset, "pallof_press", "baseline.strength"),
    ]


def test_a_conditions_own_exercises_come_first_every_day_when_core_overflows(
    ruleset: RuleSet,
) -> None:
    """The tendon's loading is in every session (they rotated out with the rest: the hinge and
    the hops were missing one block in two); the general core exercises take turns in the
    slots left, each of them in turn."""
    items = overflowing(ruleset)
    own = ["nordic_regression", "single_leg_deadlift", "pogo_hops"]
    general = {"lateral_band_walk", "backward_lunge", "single_leg_glute_bridge", "side_plank"}
    seen: set[str] = set()
    for day in range(8):
        picked = [c.exercise.id for c in rotation(items, 5, day, frozenset({TENDON}))]
        assert len(picked) == len(set(picked)) == 5
        assert picked[:3] == own, (day, picked)
        assert set(picked[3:]) <= general, (day, picked)
        seen |= set(picked[3:])
    assert seen == general


def test_without_an_overflow_the_rotation_is_unchanged(ruleset: RuleSet) -> None:
    """Core exercises that fit the slots stay in the rules' order with the rest rotating, and
    a list without the condition's own exercises rotates its core as before."""
    items = overflowing(ruleset)
    fits = [c for c in items if c.exercise.id not in ("lateral_band_walk", "backward_lunge")]
    for day in range(6):
        with_own = rotation(fits, 6, day, frozenset({TENDON}))
        assert with_own == rotation(fits, 6, day)
        assert [c.exercise.id for c in with_own[:5]] == [c.exercise.id for c in fits[:5]]
        assert rotation(items, 5, day, frozenset({"condition.other"})) == rotation(items, 5, day)


def test_remembered_rotations_match_the_rotation(ruleset: RuleSet) -> None:
    """`Rotations` caches by the day index modulo a cycle that covers the general core's turns
    too (four general exercises for one slot repeat every four days, not every 7 × 2)."""
    items = overflowing(ruleset)
    rotations = Rotations(frozenset({TENDON}))
    for day in range(60):
        assert rotations.pick(items, 4, day) == rotation(items, 4, day, frozenset({TENDON}))

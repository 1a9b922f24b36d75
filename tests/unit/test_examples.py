"""Plans for the runners in the seed posts (examples/): each passes every safety rule and shows
the emphasis a physical therapist would expect. These pin properties, not bytes."""

from __future__ import annotations

from collections import Counter
from datetime import date, time, timedelta

import pytest

from app.engine.model import RuleSet
from app.plan.build import build_plan
from app.plan.models import Plan
from app.plan.review import ReviewContext, hard_findings, review_plan
from tests.conftest import EXAMPLES, example_intake

NAMES = sorted(p.stem for p in EXAMPLES.glob("*.json"))


@pytest.fixture(scope="module")
def plans(ruleset: RuleSet) -> dict[str, Plan]:
    return {name: build_plan(example_intake(name), ruleset) for name in NAMES}


def used(plan: Plan, kind: str | None = None) -> Counter[str]:
    return Counter(
        e.id for s in plan.sessions if kind in (None, s.kind) for e in [*s.exercises, *s.drills]
    )


def test_at_least_six_examples() -> None:
    assert len(NAMES) >= 6


@pytest.mark.parametrize("name", NAMES)
def test_every_example_is_safe(name: str, plans: dict[str, Plan], ruleset: RuleSet) -> None:
    plan = plans[name]
    assert (
        hard_findings(review_plan(plan, ReviewContext(example_intake(name), ruleset.catalog))) == []
    )
    assert [p.name for p in plan.phases][:3] == ["activation", "strength", "running_form"]
    assert all(session.why for session in plan.sessions)


def test_knees_that_cannot_squat_or_lunge(plans: dict[str, Plan], ruleset: RuleSet) -> None:
    plan = plans["knees_no_squat_lunge"]
    for exercise_id in used(plan):
        tags = set(ruleset.catalog[exercise_id].contraindications)
        assert not tags & {"squat", "lunge"}, exercise_id
    assert {"fire_hydrant", "side_lying_leg_raise", "clamshell"} <= set(used(plan, "activation"))
    assert "hip_thrust" in used(plan, "strength")
    # a step-down lowers the body on a bent knee: it waits; a step-up from a low step stays,
    # and every session that holds one says how low
    assert "step_down" not in used(plan)
    assert {"single_leg_glute_bridge", "glute_bridge"} & set(used(plan, "strength"))
    stepping = [s for s in plan.sessions if any(e.id == "step_up" for e in s.exercises)]
    assert stepping
    for session in stepping:
        assert any("low step only (15 cm at most)" in note for note in session.notes), session.date


def test_it_band_runner_with_a_10k_soon(plans: dict[str, Plan]) -> None:
    plan = plans["itb_10k_soon"]
    sides: Counter[str] = Counter()
    for session in plan.sessions:
        for entry in session.exercises:
            if entry.id == "side_lying_leg_raise" and entry.side in ("left", "right"):
                sides[entry.side] += entry.sets
    assert sides["right"] > sides["left"]
    assert "quick_feet" in used(plan, "run")
    assert any("downhill" in n for s in plan.sessions if s.kind == "run" for n in s.notes)
    race = next(s for s in plan.sessions if s.kind == "race")
    assert (race.date, race.start_time) == (date(2026, 4, 5), time(9, 15))
    assert plan.status == "goal_at_risk"
    assert {w.code for w in plan.warnings} >= {"phases_compressed", "goal_at_risk"}


def test_ultra_runner_with_sciatic_irritation(plans: dict[str, Plan]) -> None:
    plan = plans["ultra_sciatic"]
    activation_days = [s for s in plan.sessions if s.kind == "activation"]
    assert len(activation_days) >= 28
    for session in activation_days:  # the seed's daily hinge and bridge for a month
        ids = {e.id for e in session.exercises}
        assert {"hip_hinge", "glute_bridge", "nerve_slider"} <= ids, session.date
    assert any("tingling" in note for note in plan.notes)
    assert not any(s.kind == "strength" and s.date.weekday() == 4 for s in plan.sessions)
    assert plan.status == "ok"


def test_weak_hips_and_back_to_back_halves(plans: dict[str, Plan], ruleset: RuleSet) -> None:
    plan = plans["weak_hips_back_to_back_halves"]
    races = [s for s in plan.sessions if s.kind == "race"]
    assert [r.date for r in races] == [date(2026, 10, 10), date(2026, 10, 11)]
    after = [s for s in plan.sessions if s.kind == "run" and s.date >= races[0].date]
    assert after  # the plan goes on into the recovery
    assert min(s.date for s in after) > races[-1].date + timedelta(days=1)  # a rest day first
    assert {s.run_type for s in after} == {"recovery"}
    assert all(s.workout is None for s in after)  # a week of easy running, no quality
    taper = [p for p in plan.phases if p.name == "taper"]
    assert len(taper) == 1
    assert taper[0].end == races[-1].date
    # ankle pain of unknown cause: the calf is loaded on a flat floor, never below a step
    assert {"heel_raise", "bent_knee_heel_raise"} <= set(used(plan, "activation"))
    assert "eccentric_heel_drop" not in used(plan)
    # ankle trouble: no bounding or hopping in the first 12 weeks of tendon loading (stage 3)
    thirteenth_week = plan.start - timedelta(days=plan.start.weekday()) + timedelta(weeks=12)
    jumping = {e.id for e in ruleset.catalog.exercises.values() if "jumping" in e.contraindications}
    early = [
        (s.date, e.id)
        for s in plan.sessions
        if s.date < thirteenth_week
        for e in [*s.exercises, *s.drills]
        if e.id in jumping
    ]
    assert not early
    assert plan.status == "ok"


def test_returning_after_months_off(plans: dict[str, Plan]) -> None:
    plan = plans["returning_after_months_off"]
    runs = [s for s in plan.sessions if s.kind == "run"]
    assert runs[0].intervals
    assert runs[0].intervals[0].walk_minutes > 0
    assert [w.walk_run for w in plan.weeks[:4]] == [True] * 4
    assert {"dead_bug", "bird_dog"} <= set(used(plan, "activation"))
    first = [s for s in runs if s.date < plan.weeks[1].start]
    running = sum(i.repeats * i.run_minutes for s in first for i in s.intervals)
    assert 0 < running <= 30  # a few minutes of jogging at a time, not a return to old volume
    assert all(s.duration_minutes == 30 for s in first)  # walking included
    assert plan.weeks[0].planned_distance < 12

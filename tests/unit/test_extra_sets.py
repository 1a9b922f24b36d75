"""A weak side gets extra sets; when two rules want extra sets of one exercise on opposite
sides (a weak left glute and a sore right IT band), both sides get them."""

from __future__ import annotations

import copy

from app.engine.decisions import decide
from app.engine.evaluate import evaluate
from app.engine.model import RuleSet
from app.facts.build import intake_facts
from app.intake.checks import finalize
from app.intake.models import Intake
from app.plan.build import build_plan
from tests.conftest import TODAY, load_example


def intake(findings_side: str, itb_side: str | None) -> Intake:
    data = copy.deepcopy(load_example("weak_left_glute_hamstring"))
    data["findings"] = [{"name": "weak_glute_med", "side": findings_side, "grade": 4}]
    data["symptoms"] = (
        [{"condition": "it_band_syndrome", "side": itb_side, "pain_rest": 0, "pain_running": 2}]
        if itb_side
        else []
    )
    return finalize(Intake.model_validate(data), TODAY)


def leg_raise(runner: Intake, ruleset: RuleSet) -> tuple[str | None, int]:
    assert runner.start_date is not None
    decisions = decide(evaluate(ruleset, intake_facts(runner, runner.start_date)))
    prescribed = decisions.prescriptions["activation"]["side_lying_leg_raise"]
    return prescribed.side, prescribed.extra_sets


def test_the_weak_side_gets_the_extra_set(ruleset: RuleSet) -> None:
    assert leg_raise(intake("left", None), ruleset) == ("left", 1)


def test_extra_sets_wanted_on_opposite_sides_go_to_both(ruleset: RuleSet) -> None:
    runner = intake("left", "right")
    assert leg_raise(runner, ruleset) == ("both", 1)
    plan = build_plan(runner, ruleset)
    entries = [
        e
        for s in plan.sessions
        if s.kind == "activation"
        for e in s.exercises
        if e.id == "side_lying_leg_raise"
    ]
    assert entries
    assert {e.side for e in entries} == {"both"}
    assert {e.sets for e in entries} == {2}  # one set in each activation block, plus the extra


def test_the_same_side_twice_stays_one_sided(ruleset: RuleSet) -> None:
    assert leg_raise(intake("right", "right"), ruleset) == ("right", 1)

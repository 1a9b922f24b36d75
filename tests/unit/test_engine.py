"""The engine adapter and evaluator: facts → fired rules, strata, explanations."""

from __future__ import annotations

from app.engine.compile import compile_sources
from app.engine.evaluate import evaluate
from app.engine.model import RuleSet
from app.facts.build import intake_facts
from tests.conftest import RULES, example_intake

CATALOG = (RULES / "catalog.yaml").read_text()


def ruleset_of(rules: str) -> RuleSet:
    return compile_sources({"catalog.yaml": CATALOG, "t.yaml": rules})


CHAIN = """
topic: Chain
rules:
  - id: a.first
    title: First
    why: Derives a need from a weak glute medius.
    when: {fact: finding, name: weak_glute_med}
    then: [{derive: {name: needs_hip_work, side: matched}}]
  - id: a.second
    title: Second
    why: Acts on the derived need, on the same side.
    when: {fact: derived, name: needs_hip_work, side: left}
    then: [{prescribe: {exercise: clamshell, phase: activation, side: matched, extra_sets: 1}}]
  - id: a.never
    title: Never
    why: Needs a finding and a symptom together.
    when:
      all:
        - {fact: finding, name: weak_glute_med}
        - {fact: symptom, condition: low_back_pain}
    then: [{note: {text: "both present"}}]
"""


def test_derived_facts_feed_later_strata() -> None:
    rules = ruleset_of(CHAIN)
    assert [r.stratum for r in rules.rules if r.id in ("a.first", "a.second")] == [0, 1]
    intake = example_intake("weak_left_glute_hamstring")
    assert intake.start_date is not None
    facts = intake_facts(intake, intake.start_date)
    result = evaluate(rules, facts, explain=True)
    assert {"a.first", "a.second"} <= result.fired_ids()
    derived = [f for f in result.facts if f["t"] == "derived"]
    assert derived == [{"t": "derived", "name": "needs_hip_work", "side": "left"}]


def test_near_miss_names_the_missing_condition() -> None:
    rules = ruleset_of(CHAIN)
    intake = example_intake("weak_left_glute_hamstring")
    assert intake.start_date is not None
    result = evaluate(rules, intake_facts(intake, intake.start_date), explain=True)
    misses = {m.rule.id: m.missing for m in result.near_misses}
    assert "a.never" in misses
    assert "low_back_pain" in misses["a.never"]


def test_evaluations_do_not_leak_between_calls(ruleset: RuleSet) -> None:
    intake = example_intake("weak_left_glute_hamstring")
    assert intake.start_date is not None
    facts = intake_facts(intake, intake.start_date)
    first = evaluate(ruleset, facts).fired_ids()
    healthy = [f for f in facts if f["t"] == "athlete"]
    assert evaluate(ruleset, healthy).fired_ids() < first
    assert evaluate(ruleset, facts).fired_ids() == first


STAGES = """
topic: Stages
rules:
  - id: s.short
    title: Short
    why: Ends the bridge early.
    when: {fact: finding, name: weak_glute_med}
    then: [{prescribe: {exercise: hamstring_bridge, phase: strength, last_week: 8}}]
  - id: s.long
    title: Long
    why: Keeps the bridge longer.
    when: {fact: finding, name: weak_glute_med}
    then: [{prescribe: {exercise: hamstring_bridge, phase: strength, last_week: 12}}]
"""


def test_rules_ending_one_exercise_keep_it_until_the_latest_end() -> None:
    from app.engine.decisions import decide

    intake = example_intake("weak_left_glute_hamstring")
    assert intake.start_date is not None
    facts = intake_facts(intake, intake.start_date)
    both = decide(evaluate(ruleset_of(STAGES), facts))
    assert both.prescriptions["strength"]["hamstring_bridge"].last_week == 12
    endless = (
        STAGES
        + """  - id: s.open
    title: Open
    why: Never ends the bridge.
    when: {fact: finding, name: weak_glute_med}
    then: [{prescribe: {exercise: hamstring_bridge, phase: strength}}]
"""
    )
    merged = decide(evaluate(ruleset_of(endless), facts))
    assert merged.prescriptions["strength"]["hamstring_bridge"].last_week is None

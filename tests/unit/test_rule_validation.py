"""Rule files are checked before the engine sees them; problems name file, line and rule."""

from __future__ import annotations

import pytest

from app.engine.compile import compile_sources
from app.engine.conditions import MAX_GROUP_ITEMS
from app.engine.problems import RuleProblem, RuleSetRejected
from tests.conftest import RULES

CATALOG = (RULES / "catalog.yaml").read_text()


def problems(rules: str) -> list[RuleProblem]:
    with pytest.raises(RuleSetRejected) as caught:
        compile_sources({"catalog.yaml": CATALOG, "topic.yaml": rules})
    return caught.value.problems


def rule(when: str, then: str = "[{note: {text: hello there}}]", rule_id: str = "t.one") -> str:
    return f"""topic: Test
rules:
  - id: {rule_id}
    title: A rule
    why: Because this is a test.
    when: {when}
    then: {then}
"""


def test_unknown_field_is_reported_with_line_and_rule() -> None:
    [problem] = problems(rule("{fact: symptom, colour: red}"))
    assert problem.file == "topic.yaml"
    assert problem.line == 6
    assert problem.rule == "t.one"
    assert "unknown field 'colour'" in problem.message


def test_unknown_value_is_unreachable() -> None:
    [problem] = problems(rule("{fact: symptom, condition: broken_leg}"))
    assert "never 'broken_leg'" in problem.message


def test_impossible_range_is_unreachable() -> None:
    [problem] = problems(rule("{fact: symptom, pain_running: {gt: 7, lt: 3}}"))
    assert "unreachable" in problem.message


def test_out_of_range_number_is_unreachable() -> None:
    [problem] = problems(rule("{fact: symptom, pain_running: 11}"))
    assert "never 11" in problem.message


def test_unknown_exercise_and_verb() -> None:
    found = problems(
        rule("{fact: athlete}", "[{prescribe: {exercise: moonwalk, phase: strength}}]")
    )
    assert any("unknown exercise 'moonwalk'" in p.message for p in found)
    found = problems(rule("{fact: athlete}", "[{teleport: {to: moon}}]"))
    assert any("unknown key 'teleport'" in p.message for p in found)


def test_duplicate_ids_name_the_first() -> None:
    text = (
        rule("{fact: athlete}")
        + """  - id: t.one
    title: Again
    why: Because this is a test.
    when: {fact: athlete}
    then: [{note: {text: hello}}]
"""
    )
    found = problems(text)
    assert any("duplicate rule id" in p.message and "topic.yaml:3" in p.message for p in found)


def test_derive_cycle_is_an_error() -> None:
    text = """topic: Cycle
rules:
  - id: c.a
    title: Rule A
    why: Derives b when a is there.
    when: {fact: derived, name: a}
    then: [{derive: {name: b}}]
  - id: c.b
    title: Rule B
    why: Derives a when b is there.
    when: {fact: derived, name: b}
    then: [{derive: {name: a}}]
"""
    assert any("derive cycle" in p.message for p in problems(text))


def test_contradictory_settings_need_precedence() -> None:
    then = "[{set: {parameter: deload_every_weeks, value: 3}}]"
    text = rule("{fact: symptom, condition: knee_pain}", then)
    text += """  - id: t.two
    title: Other
    why: Because this is a test.
    when: {fact: symptom, condition: knee_pain}
    then: [{set: {parameter: deload_every_weeks, value: 2}}]
"""
    assert any("contradicts rule 't.one'" in p.message for p in problems(text))


def test_two_caps_for_one_case_compile_and_the_lowest_wins() -> None:
    """Caps never contradict (docs/plan-shape.md §8): the lowest applies; `rules check` reports the
    other as shadowed."""
    from app.engine.decisions import decide
    from app.engine.evaluate import evaluate

    text = rule("{fact: symptom, condition: knee_pain}", "[{cap: {phase: strength, km: 30}}]")
    text += """  - id: t.two
    title: Other
    why: Because this is a test.
    when: {fact: symptom, condition: knee_pain}
    priority: 10
    then: [{cap: {phase: strength, km: 20}}]
"""
    ruleset = compile_sources({"catalog.yaml": CATALOG, "topic.yaml": text})
    facts: list[dict[str, str | int | float | bool]] = [
        {"t": "athlete", "weekly_km": 40.0},
        {"t": "symptom", "condition": "knee_pain", "pain_rest": 1, "pain_running": 2},
    ]
    decisions = decide(evaluate(ruleset, facts))
    assert decisions.caps["strength"].value == 20
    assert decisions.caps["strength"].reason.rule == "t.two"


def test_yaml_syntax_error_has_a_line() -> None:
    [problem] = problems("topic: Broken\nrules:\n  - id: [unclosed\n")
    assert problem.line is not None
    assert "invalid YAML" in problem.message


def test_aliases_are_refused() -> None:
    [problem] = problems("topic: &t Alias\ndescription: *t\n")
    assert "aliases" in problem.message


@pytest.mark.parametrize("size", [0, MAX_GROUP_ITEMS + 1])
def test_a_plain_list_of_conditions_has_the_same_bounds_as_all(size: int) -> None:
    """`when: [a, b]` means `when: {all: [a, b]}`, limits included."""
    when = "[" + ", ".join(["{fact: athlete}"] * size) + "]"
    [problem] = problems(rule(when))
    assert problem.rule == "t.one"
    assert f"takes a list of 1 to {MAX_GROUP_ITEMS} conditions" in problem.message

"""Rule-file problems in a coach's words, found in one pass: what is wrong, where (items counted
from 1), what is allowed there with an example; a file checked with the rest of its base."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.compile import compile_sources, load_ruleset
from app.engine.problems import RuleProblem, RuleSetRejected
from tests.conftest import RULES
from tests.unit.test_rule_validation import CATALOG, problems, rule


def messages(found: list[RuleProblem]) -> str:
    return "\n".join(str(p) for p in found)


def test_a_schema_error_does_not_hide_a_misspelt_name_elsewhere() -> None:
    broken = rule("{fact: finding, name: tight_hamstringz}", "[{note: stretch}]", "t.broken")
    other = "\n".join(
        rule("{fact: finding, name: weak_glute_mde}", rule_id="t.other").splitlines()[2:]
    )
    found = problems(broken + other + "\n")
    text = messages(found)
    assert "then, item 1, note: needs text" in text  # the schema error
    assert "never 'tight_hamstringz'" in text  # the broken rule's own condition
    assert "never 'weak_glute_mde'" in text  # and the rule beside it
    assert "did you mean 'weak_glute_med'" in text
    assert {p.rule for p in found} == {"t.broken", "t.other"}


def test_messages_name_the_allowed_keys_values_and_an_example() -> None:
    text = messages(problems(rule("{fact: athlete}", "[{note: stretch}]")))
    assert 'e.g. note: {kind: run, text: "Keep runs flat for now."}' in text
    assert "Input should" not in text
    assert "dictionary" not in text
    text = messages(problems(rule("{fact: athlete}", "[{cap: {phase: strength, kmh: 3}}]")))
    assert "unknown key 'kmh' (did you mean 'km'?)" in text
    assert "the keys here are: phase, km, mi, percent_of_current, replaces" in text
    text = messages(problems(rule("{fact: athlete}", "[{note: {kind: runs, text: hello there}}]")))
    assert "'runs' is not allowed here (did you mean 'run'?)" in text
    assert "choose one of: plan, activation, strength, run, drills, race" in text


def test_a_condition_without_fact_shows_how_to_write_it() -> None:
    text = messages(problems(rule("{finding: {name: weak_glute_med}}")))
    assert "names its fact type with 'fact:', e.g. {fact: finding, name: …}" in text
    text = messages(problems(rule("{fact: findings, name: weak_glute_med}")))
    assert "unknown fact type 'findings' (did you mean 'finding'?)" in text  # its value shown
    assert "{fact" not in text.replace("{fact:", "")


@pytest.mark.parametrize(
    ("then", "field"),
    [
        ("[{cap: {phase: strength, percent_of_current: 0.7}}]", "percent_of_current"),
        ("[{target: {peak_percent_of_race: 1.5}}]", "peak_percent_of_race"),
    ],
)
def test_a_fraction_written_as_a_percentage_is_refused(then: str, field: str) -> None:
    [problem] = problems(rule("{fact: athlete}", then))
    assert problem.message.startswith(f"{field} is a percentage")
    assert "write " in problem.message
    assert problem.line == 7


def test_a_percentage_of_zero_or_more_than_five_is_fine() -> None:
    for value in (0, 5, 70):
        compile_sources(
            {
                "catalog.yaml": CATALOG,
                "topic.yaml": rule(
                    "{fact: athlete}",
                    f"[{{cap: {{phase: strength, percent_of_current: {value}}}}}]",
                ),
            }
        )


def test_one_file_is_checked_with_the_rest_of_the_base(tmp_path: Path) -> None:
    alone = tmp_path / "hips.yaml"
    alone.write_text(
        rule("{fact: finding, name: anterior_pelvic_tilt}", rule_id="coach.hips").replace(
            "hello there", "Stretch the hip flexors after each run."
        )
    )
    with pytest.raises(RuleSetRejected):  # alone, the protected core and catalog are missing
        load_ruleset(alone, protected=True)
    ruleset = load_ruleset(alone, protected=True, base=RULES)
    assert "coach.hips" in {r.id for r in ruleset.rules}
    assert len(ruleset.rules) == len(load_ruleset(RULES).rules) + 1
    # a file named like one of the base replaces it (no duplicate ids)
    edited = tmp_path / "findings.yaml"
    edited.write_text((RULES / "findings.yaml").read_text())
    assert len(load_ruleset(edited, protected=True, base=RULES).rules) == len(
        load_ruleset(RULES).rules
    )

"""rules/README.md is the coach's guide: it names everything a rule can use, and its worked
examples compile and pass their cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.authoring.cases import run_case
from app.engine.compile import compile_sources, read_sources
from app.engine.verbs import PARAMETERS, GateCriterion, ThenItem, Window
from app.facts.schema import FACT_TYPES
from tests.conftest import RULES

GUIDE = (RULES / "README.md").read_text()


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", GUIDE, flags=re.S)


def test_guide_names_every_fact_field_verb_parameter_criterion_and_tag() -> None:
    shipped = compile_sources(read_sources(RULES))
    names = [*FACT_TYPES, *(f for fields in FACT_TYPES.values() for f in fields)]
    names += [field.alias or name for name, field in ThenItem.model_fields.items()]
    names += [p.value for p in PARAMETERS] + [c.value for c in GateCriterion]
    names += sorted(shipped.catalog.tags)
    names += [*Window.model_fields, "window", "warning:"]
    missing = [name for name in names if f"`{name}`" not in GUIDE]
    assert not missing, f"rules/README.md does not mention: {missing}"


def test_first_worked_example_compiles_and_its_cases_pass() -> None:
    example = yaml_blocks()[0]
    sources: dict[str, str | bytes] = {**read_sources(RULES), "my_first_rule.yaml": example}
    ruleset = compile_sources(sources)
    cases = [c for c in ruleset.cases if c.file == "my_first_rule.yaml"]
    assert len(cases) == 2
    for case in cases:
        result = run_case(ruleset, case)
        assert result.passed, result.failures


@pytest.mark.parametrize("index", [1, 2])
def test_condition_examples_compile(index: int) -> None:
    when = yaml_blocks()[index]
    text = (
        "topic: Guide example\nrules:\n  - id: guide.example\n    title: Guide example\n"
        "    why: An example from the guide.\n"
        + "".join(f"    {line}\n" for line in when.splitlines())
        + "    then: [{note: {text: example}}]\n"
    )
    compile_sources({**read_sources(RULES), "guide.yaml": text})


def test_derive_example_layers_the_rules() -> None:
    derive = next(block for block in yaml_blocks() if "derive:" in block)
    text = "topic: Guide example\nrules:\n" + derive
    ruleset = compile_sources({**read_sources(RULES), "guide.yaml": text})
    strata = {rule.id: rule.stratum for rule in ruleset.rules}
    assert strata["glute_med.single_leg"] > strata["hip.needs_glute_med"]


def test_stage_example_compiles() -> None:
    staged = next(block for block in yaml_blocks() if "until_week" in block)
    text = (
        "topic: Guide example\nrules:\n  - id: guide.stages\n    title: Guide example\n"
        "    why: An example from the guide.\n"
        "    when: {fact: symptom, condition: proximal_hamstring_tendinopathy}\n"
        "    then:\n" + staged
    )
    ruleset = compile_sources({**read_sources(RULES), "guide.yaml": text})
    assert any(rule.id == "guide.stages" for rule in ruleset.rules)


def test_each_verb_has_an_example_in_the_guide_and_it_is_valid() -> None:
    """The examples `rules check` shows for a mistyped verb are in the guide, and each is a
    valid consequence (so neither the guide nor the messages teach something that fails)."""
    from app.engine.loader import load_yaml
    from app.engine.messages import VERB_EXAMPLES

    assert set(VERB_EXAMPLES) == {f.alias or n for n, f in ThenItem.model_fields.items()}
    for verb, example in VERB_EXAMPLES.items():
        assert f"`{example}`" in GUIDE, verb
        text = example.split("  (")[0]  # without the alternatives given in brackets
        ThenItem.model_validate(load_yaml(text, "example").data)


def test_the_catalog_example_is_a_valid_catalog_entry() -> None:
    from app.catalog.models import Exercise
    from app.engine.loader import load_yaml

    [block] = [b for b in re.findall(r"```yml\n(.*?)```", GUIDE, flags=re.S) if "- id:" in b]
    [entry] = load_yaml(block, "guide").data
    exercise = Exercise.model_validate(entry)
    described = re.findall(r"^\s+(\w+):", block, flags=re.M)
    assert set(described) >= set(Exercise.model_fields) - {"id"}  # every field is explained
    assert exercise.dose.seconds == 30


def test_the_window_example_limits_its_rules_and_its_cases_pass() -> None:
    """The guide's windowed rules compile with their windows, and their cases (exercise and
    note in and out of dated windows) pass."""
    [block] = [b for b in yaml_blocks() if "window:" in b]
    ruleset = compile_sources({**read_sources(RULES), "windows.yaml": block})
    windows = {r.id: r.window for r in ruleset.rules if r.file == "windows.yaml"}
    assert windows["coach.squats_before_taper"] is not None
    assert windows["coach.squats_before_taper"].weeks_before == "taper"
    assert windows["coach.flat_until_form"] is not None
    assert windows["coach.flat_until_form"].until_phase == "running_form"
    cases = [c for c in ruleset.cases if c.file == "windows.yaml"]
    assert len(cases) == 2
    for case in cases:
        result = run_case(ruleset, case)
        assert result.passed, result.failures
    # the same rules without their windows break the cases: the windows are what they test
    unlimited = re.sub(r"\n\s+window: .*", "", block)
    ruleset = compile_sources({**read_sources(RULES), "windows.yaml": unlimited})
    for case in (c for c in ruleset.cases if c.file == "windows.yaml"):
        assert not run_case(ruleset, case).passed


def test_the_cap_and_note_case_example_passes_and_could_fail() -> None:
    [block] = [b for b in yaml_blocks() if "caps: [" in b]
    ruleset = compile_sources({**read_sources(RULES), "knees.yaml": block})
    [case] = [c for c in ruleset.cases if c.file == "knees.yaml"]
    assert run_case(ruleset, case).passed, run_case(ruleset, case).failures
    stricter = block.replace("at_most_km: 15", "at_most_km: 5").replace(
        '"Stop the run if the knee"', '"Walk the hills"'
    )
    ruleset = compile_sources({**read_sources(RULES), "knees.yaml": stricter})
    [case] = [c for c in ruleset.cases if c.file == "knees.yaml"]
    failures = run_case(ruleset, case).failures
    assert len(failures) == 2
    assert failures[0].startswith("expected the activation cap at most 5 km, got")
    assert failures[1] == "expected a note saying 'Walk the hills'"


def test_the_warning_example_prints_what_the_guide_shows(tmp_path: Path) -> None:
    """Each new warning, triggered by the guide's example file, exactly as the guide prints it;
    the check still passes."""
    from typer.testing import CliRunner

    from app.cli import cli

    [block] = [b for b in yaml_blocks() if "topic: Slips" in b]
    (tmp_path / "slips.yaml").write_text(block)
    result = CliRunner().invoke(
        cli, ["rules", "check", str(tmp_path / "slips.yaml"), "--samples", "0"]
    )
    assert result.exit_code == 0, result.stdout
    [shown] = re.findall(r"```text\n(.*?)```", GUIDE, flags=re.S)
    expected = shown.strip().splitlines()
    assert len(expected) == 3
    printed = [" ".join(line.split()) for line in result.stdout.splitlines()]
    joined = " ".join(printed)  # the terminal may wrap long lines
    for line in expected:
        assert line in joined, line

"""Likely mistakes are warnings, beside the errors: each with file, line and rule; a rule set
with only warnings still compiles (and so validates and publishes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.engine.compile import compile_sources, read_sources
from app.engine.likely_mistakes import note_distances_km
from app.engine.problems import RuleSetRejected
from tests.conftest import RULES


def compiled_with(then: str) -> list[str]:
    """The warnings of the shipped rules plus one rule doing `then`."""
    sources = {name: text.decode() for name, text in read_sources(RULES).items()}
    sources["coach.yaml"] = f"""topic: Coach slips
rules:
  - id: coach.slip
    title: A coach's slip
    why: Valid, but probably not what the coach meant.
    when: {{fact: symptom, condition: knee_pain}}
    then:
      - {then}
"""
    return [str(w) for w in compile_sources(sources).warnings]


def test_the_shipped_rules_have_no_warnings() -> None:
    assert compile_sources(read_sources(RULES)).warnings == ()


@pytest.mark.parametrize(
    ("then", "warning"),
    [
        (
            "set: {parameter: progression_limit_pct, value: 0.1}",
            "coach.yaml:8: [rule coach.slip] progression_limit_pct is a percentage: 0.1 means "
            "0.1 %, not 10 %; if you meant 10 %, write value: 10",
        ),
        (
            "set: {parameter: easy_pace_slower_pct, value: 0.15}",
            "easy_pace_slower_pct is a percentage: 0.15 means 0.15 %, not 15 %",
        ),
        (
            "avoid: {exercise: pistol_squat}",
            "coach.yaml:8: [rule coach.slip] 'pistol_squat' is not in the catalog, so this avoid "
            "changes nothing",
        ),
        (
            "avoid: {exercise: clamshells}",
            "'clamshells' (did you mean 'clamshell'?) is not in the catalog",
        ),
        (
            "substitute: {exercise: pistol_squat, with: box_squat}",
            "'pistol_squat' is not in the catalog, so this substitute changes nothing",
        ),
    ],
)
def test_likely_mistakes_are_warnings(then: str, warning: str) -> None:
    warnings = compiled_with(then)
    assert any(warning in w for w in warnings), warnings


def test_a_known_tag_no_exercise_carries_is_a_warning() -> None:
    sources = {name: text.decode() for name, text in read_sources(RULES).items()}
    sources["vocabulary.yaml"] = "exercise_tags:\n  - {name: overhead, label: Overhead}\n"
    sources["coach.yaml"] = """topic: Overhead
rules:
  - id: coach.no_overhead
    title: Nothing overhead
    why: A sore shoulder keeps weights below the head.
    when: {fact: symptom, condition: knee_pain}
    then:
      - avoid: {tag: overhead}
"""
    [warning] = compile_sources(sources).warnings
    assert str(warning).startswith(
        "coach.yaml:8: [rule coach.no_overhead] no exercise in the catalog has the tag "
        "'overhead', so this avoid changes nothing"
    )


def test_a_note_whose_distance_contradicts_its_rules_cap_is_a_warning() -> None:
    sources = {name: text.decode() for name, text in read_sources(RULES).items()}
    sources["coach.yaml"] = """topic: Caps and notes
rules:
  - id: coach.cap_and_note
    title: A cap and a note that disagree
    why: The note was written for an older cap.
    when: {fact: symptom, condition: knee_pain}
    then:
      - cap: {phase: strength, km: 12}
      - note: {kind: run, text: "Build the long run to 14-16 km before the race."}
      - note: {kind: run, text: "Keep each run under 10 km for now."}
  - id: coach.miles
    title: A cap in miles and its note in km
    why: The same distance in two units agrees.
    when: {fact: symptom, condition: knee_pain}
    then:
      - cap: {phase: strength, mi: 10}
      - note: {kind: run, text: "Up to 16 km a week, in short runs."}
"""
    [warning] = [str(w) for w in compile_sources(sources).warnings]
    assert warning == (
        "coach.yaml:9: [rule coach.cap_and_note] the note says '14-16 km', but this rule caps "
        "weekly running at 12 km (strength): a runner cannot do that much under it; check the "
        "note's number or the cap"
    )


def test_note_distances_are_read_in_both_units() -> None:
    assert note_distances_km("long runs of 16–18 km, or 10 miles") == [
        ("16–18 km", 18.0),
        ("10 miles", pytest.approx(16.09344)),
    ]
    assert note_distances_km("a 5k race, 3 x 400 m, week 12") == []


def test_a_fraction_written_for_a_cap_percentage_stays_an_error_that_says_why() -> None:
    """0.7 % of today's distance is weeks of a few hundred metres: surely a fraction, so an
    error (not a warning), and the message says so."""
    sources = {name: text.decode() for name, text in read_sources(RULES).items()}
    sources["coach.yaml"] = """topic: Fraction
rules:
  - id: coach.fraction
    title: Seventy percent
    why: Meant as 70 % of today's distance.
    when: {fact: symptom, condition: knee_pain}
    then:
      - cap: {phase: strength, percent_of_current: 0.7}
"""
    with pytest.raises(RuleSetRejected) as refused:
        compile_sources(sources)
    [problem] = refused.value.problems
    assert problem.message == (
        "percent_of_current is a percentage: 0.7 means 0.7 %, not 70 %; write 70 for 70 %. "
        "This is an error, not a warning: a cap under 5 % of today's distance would plan weeks "
        "of a few hundred metres (write 0 for no running), so it is surely a fraction"
    )


def test_rules_check_prints_warnings_and_passes(tmp_path: Path) -> None:
    for name in read_sources(RULES):
        (tmp_path / name).write_bytes((RULES / name).read_bytes())
    (tmp_path / "coach.yaml").write_text(
        "topic: Slips\nrules:\n  - id: c.slip\n    title: A slip\n    why: For a test only.\n"
        "    when: {fact: symptom, condition: knee_pain}\n"
        "    then:\n      - avoid: {exercise: pistol_squat}\n"
    )
    result = CliRunner().invoke(cli, ["rules", "check", str(tmp_path), "--samples", "0"])
    assert result.exit_code == 0, result.stdout
    assert (
        "warning: coach.yaml:8: [rule c.slip] 'pistol_squat' is not in the catalog" in result.stdout
    )
    assert "1 warning(s)" in result.stdout


def test_warnings_are_shown_beside_errors(tmp_path: Path) -> None:
    """A rule set with an error still shows its warnings, so one run shows everything."""
    for name in read_sources(RULES):
        (tmp_path / name).write_bytes((RULES / name).read_bytes())
    (tmp_path / "coach.yaml").write_text(
        "topic: Slips\nrules:\n  - id: c.slip\n    title: A slip\n    why: For a test only.\n"
        "    when: {fact: symptom, condition: knee_pain}\n"
        "    then:\n      - avoid: {exercise: pistol_squat}\n"
        "      - prescribe: {exercise: moonwalk, phase: strength}\n"
    )
    result = CliRunner().invoke(cli, ["rules", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert "coach.yaml:9: [rule c.slip] unknown exercise 'moonwalk'" in result.stdout
    assert "warning: coach.yaml:8: [rule c.slip] 'pistol_squat'" in result.stdout

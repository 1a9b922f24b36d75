"""A rule file's cases can pin what a coach cares about: doses (sides, sets), caps, settings,
notes, gates, and exercises present or absent in a phase or a date window of the plan."""

from __future__ import annotations

import pytest

from app.authoring.cases import run_case
from app.engine.compile import compile_sources, read_sources
from tests.conftest import RULES

PHT = (
    "{symptoms: [{condition: proximal_hamstring_tendinopathy, side: left, pain_rest: 1, "
    "pain_running: 3}]}"
)


def failures(expect: str, intake: str = PHT) -> list[str]:
    """Run one case (with this `expect`) against the shipped rules; its failures."""
    sources = {name: text.decode() for name, text in read_sources(RULES).items()}
    sources["coach.yaml"] = f"""topic: Coach cases
cases:
  - name: a coach's expectations
    intake: {intake}
    expect: {expect}
"""
    ruleset = compile_sources(sources)
    [case] = [c for c in ruleset.cases if c.file == "coach.yaml"]
    return run_case(ruleset, case).failures


@pytest.mark.parametrize(
    "expect",
    [
        "{doses: [{exercise: hamstring_bridge, phase: strength, side: left}]}",
        "{doses: [{exercise: isometric_hip_extension, side: left}]}",
        "{caps: [{phase: activation, at_most_km: 20}]}",
        "{settings: {strength_sessions_per_week: 3, strength_min_days: 56}}",
        "{notes: ['Keep runs flat'], not_notes: ['cambered roads']}",
        "{gates: [{phase: strength, criterion: pain_running_max_3}]}",
        "{in_plan: [{exercise: nordic_regression, phase: strength}]}",
        "{not_in_plan: [{exercise: nordic_regression, from: 2026-01-05, until: 2026-03-01}]}",
        "{doubles: false}",
    ],
)
def test_expectations_that_hold_pass(expect: str) -> None:
    assert failures(expect) == []


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        (
            "{doses: [{exercise: hamstring_bridge, side: right}]}",
            "expected hamstring_bridge prescribed with {'side': 'right'}; "
            "got [{'phase': 'strength', 'side': 'left'",
        ),
        ("{caps: [{phase: activation, km: 30}]}", "expected the activation cap to be 30 km, got"),
        (
            "{caps: [{phase: running_form, mi: 5}]}",
            "expected a running_form cap; the rules set none",
        ),
        ("{settings: {strength_sessions_per_week: 2}}", "to be 2, got 3"),
        ("{notes: ['Run downhill often']}", "expected a note saying 'Run downhill often'"),
        ("{not_notes: ['Keep runs flat']}", "expected no note saying 'Keep runs flat'"),
        (
            "{gates: [{phase: running_form, criterion: heel_raises_25}]}",
            "expected the gate heel_raises_25 before running_form",
        ),
        (
            "{in_plan: [{exercise: nordic_regression, until: 2026-02-01}]}",
            "expected nordic_regression in a session until 2026-02-01; it is in none",
        ),
        (
            "{not_in_plan: [{exercise: hamstring_bridge, phase: strength}]}",
            "expected no hamstring_bridge in strength; it is on",
        ),
        ("{doubles: true}", "expected back-to-back practice (doubles), the plan has none"),
    ],
)
def test_expectations_that_do_not_hold_say_what_was_found(expect: str, message: str) -> None:
    found = failures(expect)
    assert len(found) == 1, found
    assert message in found[0]


def test_an_unknown_expectation_names_the_keys_a_case_can_check() -> None:
    with pytest.raises(Exception, match="the keys here are: fires, not_fires") as caught:
        failures("{cap: {phase: strength, km: 30}}")
    assert "caps" in str(caught.value.detail)  # type: ignore[attr-defined]


RELAY = (
    "{running: {weekly_distance: 45, longest_run: 16, runs_per_week: 3}, goals: [{name: Relay, "
    'date: "2026-06-12", type: relay, team_format: regular, legs: 3, distance: 27, priority: A}]}'
)


def test_a_case_can_expect_the_relay_practice_doubles() -> None:
    """A relay runner's plan practises running 8-12 hours apart; a case says so, or that a
    plan does not (and names the first day when it does)."""
    assert failures("{doubles: true}", RELAY) == []
    [found] = failures("{doubles: false}", RELAY)
    assert found.startswith("expected no back-to-back practice, the plan has some from 2026-")

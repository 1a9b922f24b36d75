"""A coach writes distances in the unit they think in: caps and targets in miles, conditions on
weekly or race distance in miles; the engine works in km underneath."""

from __future__ import annotations

from datetime import date

import pytest

from app.engine.compile import compile_sources
from app.engine.decisions import Decisions, decide
from app.engine.evaluate import evaluate
from app.engine.problems import RuleSetRejected
from app.facts.build import intake_facts
from app.intake.checks import finalize
from app.intake.models import Intake
from app.intake.vocabulary import KM_PER_MILE
from tests.conftest import TODAY, load_example
from tests.unit.test_rule_validation import CATALOG, problems, rule


def decisions_for(then: str, when: str = "{fact: athlete}") -> Decisions:
    ruleset = compile_sources({"catalog.yaml": CATALOG, "topic.yaml": rule(when, then)})
    data = load_example("novice_marathon")  # 20 mi a week, a marathon of 26.2 mi
    data["goals"][0]["distance"] = 26.2
    intake = finalize(Intake.model_validate(data), TODAY)
    return decide(evaluate(ruleset, intake_facts(intake, date(2026, 5, 4))))


def test_a_cap_in_miles_is_the_same_cap_in_km() -> None:
    in_miles = decisions_for("[{cap: {phase: strength, mi: 20}}]")
    in_km = decisions_for(f"[{{cap: {{phase: strength, km: {20 * KM_PER_MILE}}}}}]")
    miles, km = in_miles.caps["strength"].value, in_km.caps["strength"].value
    assert miles == pytest.approx(km, abs=1e-3)
    assert in_miles.caps["strength"].value == pytest.approx(32.187, abs=0.01)


def test_a_cap_takes_one_distance_only() -> None:
    [problem] = problems(rule("{fact: athlete}", "[{cap: {phase: strength, km: 30, mi: 20}}]"))
    assert "exactly one of 'km', 'mi' or 'percent_of_current'" in problem.message


def test_targets_in_miles_are_the_needs_in_km() -> None:
    found = decisions_for(
        "[{target: {peak_mi: 40, long_run_mi: 18}}]", "{fact: goal, type: marathon}"
    )
    [needs] = found.targets.values()
    assert needs["peak_km"][0] == pytest.approx(40 * KM_PER_MILE, abs=1e-3)
    assert needs["long_run_km"][0] == pytest.approx(18 * KM_PER_MILE, abs=1e-3)
    with pytest.raises(RuleSetRejected, match="peak_km, peak_mi"):
        compile_sources(
            {
                "catalog.yaml": CATALOG,
                "topic.yaml": rule("{fact: athlete}", "[{target: {peak_km: 60, peak_mi: 40}}]"),
            }
        )


@pytest.mark.parametrize(
    ("when", "fires"),
    [
        ("{fact: athlete, weekly_mi: {gte: 19, lte: 21}}", True),  # the runner's 20 mi
        ("{fact: athlete, weekly_mi: {gt: 25}}", False),
        ("{fact: goal, distance_mi: {gt: 26, lt: 27}}", True),  # a marathon: 26.2 mi
    ],
)
def test_conditions_on_distances_in_miles(when: str, fires: bool) -> None:
    found = decisions_for("[{note: {text: hello there}}]", when)
    assert bool(found.notes) is fires

"""Property: no valid intake makes the shipped rule base produce an unsafe plan; and a rule
set that can (here: one that forgets the red-flag rules) is caught with a counterexample."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.authoring.sample import check_one, check_sample, random_intake
from app.engine.compile import compile_sources, read_sources
from app.engine.model import RuleSet
from tests.conftest import RULES


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rng=st.randoms(use_true_random=False))
def test_shipped_rules_never_produce_an_unsafe_plan(ruleset: RuleSet, rng: random.Random) -> None:
    found = check_one(ruleset, random_intake(rng))
    assert found is None, f"{found.problems}\n{found.intake}"


def test_a_rule_set_without_red_flag_rules_fails_with_a_counterexample() -> None:
    sources = read_sources(RULES)
    del sources["red_flags.yaml"]
    unsafe = compile_sources(sources)
    found = check_sample(unsafe, count=200)
    assert found is not None
    assert found.intake["red_flags"]
    assert any(p.startswith("red_flags") for p in found.problems)

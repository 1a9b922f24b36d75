"""Property: no valid intake makes the shipped rule base produce an unsafe plan; a rule set
that drops the red-flag rules is refused, and the protected core still refers its runners."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.authoring.sample import SAMPLE_START, check_one, check_sample, random_intake
from app.engine.compile import compile_sources, read_sources
from app.engine.model import RuleSet
from app.engine.problems import RuleSetRejected
from app.intake.checks import finalize
from app.intake.models import Intake
from app.plan.build import build_plan
from tests.conftest import RULES


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rng=st.randoms(use_true_random=False))
def test_shipped_rules_never_produce_an_unsafe_plan(ruleset: RuleSet, rng: random.Random) -> None:
    found = check_one(ruleset, random_intake(rng))
    assert found is None, f"{found.problems}\n{found.intake}"


def test_a_rule_set_without_red_flag_rules_is_refused_and_still_refers() -> None:
    """Red-flag referral is the protected core: a rule set without it does not compile for
    use, and even compiled as a fragment its plans still refer (the core does it)."""
    sources = read_sources(RULES)
    del sources["red_flags.yaml"]
    with pytest.raises(RuleSetRejected) as caught:
        compile_sources(sources, protected=True)
    text = " ".join(str(p) for p in caught.value.problems)
    assert "red_flag" in text
    assert "night_pain" in text
    assert "protected safety core" in text
    fragment = compile_sources(sources)
    assert check_sample(fragment, count=200) is None
    data = {**random_intake(random.Random(3)), "red_flags": ["night_pain"], "symptoms": []}
    intake = finalize(Intake.model_validate(data), SAMPLE_START)
    plan = build_plan(intake, fragment)
    assert plan.status == "referral_required"
    assert plan.referral is not None
    assert "safety.protected_referral" in plan.referral.why

"""A phase's gate lists each test once: a stricter criterion replaces a looser one of the same
test."""

from __future__ import annotations

import copy

from app.engine.model import RuleSet
from app.intake.checks import finalize
from app.intake.models import Intake
from app.plan.build import build_plan
from tests.conftest import TODAY, load_example


def test_a_stricter_pain_gate_replaces_the_looser_one(ruleset: RuleSet) -> None:
    """Knee-cap pain gates strength at 2/10; the baseline's 3/10 beside it would only confuse."""
    data = copy.deepcopy(load_example("knees_no_squat_lunge"))
    plan = build_plan(finalize(Intake.model_validate(data), TODAY), ruleset)
    strength = next(p for p in plan.phases if p.name == "strength")
    assert strength.gate is not None
    criteria = {c.id for c in strength.gate.criteria}
    assert "pain_running_max_2" in criteria
    assert "pain_running_max_3" not in criteria

"""The plan's chart: races are labelled with their goal's whole name."""

from __future__ import annotations

import html

from app.engine.model import RuleSet
from app.export.chart import to_svg
from app.plan.build import build_plan
from tests.conftest import example_intake


def test_race_markers_carry_the_whole_goal_name(ruleset: RuleSet) -> None:
    intake = example_intake("weak_left_glute_hamstring")
    relay, *others = intake.goals
    named = relay.model_copy(update={"name": "Reach the Beach · New Hampshire"})
    plan = build_plan(intake.model_copy(update={"goals": [named, *others]}), ruleset)
    text = html.unescape(to_svg(plan).decode())
    assert "Reach the Beach · New Hampshire" in text
    assert "Fall marathon" in text

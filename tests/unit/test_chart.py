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


def test_the_chart_never_touches_pyplot() -> None:
    """pyplot keeps global state that is not safe in a thread pool: the chart draws on a
    Figure of its own (checked in a fresh interpreter, where nothing else imported it)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from tests.conftest import example_intake, load_ruleset, RULES\n"
        "from app.plan.build import build_plan\n"
        "from app.export.chart import to_svg\n"
        "svg = to_svg(build_plan(example_intake('novice_marathon'), load_ruleset(RULES)))\n"
        "assert svg.startswith(b'<?xml'), svg[:40]\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    from app.config import PROJECT_ROOT

    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]

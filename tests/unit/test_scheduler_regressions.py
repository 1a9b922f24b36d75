"""Regressions found by the safety property (each intake is a shrunk counterexample)."""

from __future__ import annotations

from typing import Any

from app.engine.model import RuleSet
from app.intake.checks import finalize
from app.intake.models import Intake
from app.plan.build import build_plan
from app.plan.models import Plan
from tests.conftest import TODAY


def plan_for(ruleset: RuleSet, data: dict[str, Any]) -> Plan:
    return build_plan(finalize(Intake.model_validate(data), TODAY), ruleset)


def base(**running: Any) -> dict[str, Any]:
    return {
        "athlete": {"name": "R", "timezone": "UTC", "units": "mi"},
        "start_date": "2026-03-02",
        "running": running,
        "availability": {
            "run_days": ["mon", "tue", "thu", "fri", "sat", "sun"],
            "long_run_day": "thu",
        },
    }


def test_build_returns_to_the_level_before_a_deload(ruleset: RuleSet) -> None:
    """Weeks after a deload went on at the deload volume, ratcheting down at every deload."""
    data = base(weekly_distance=40, longest_run=12, runs_per_week=5)
    data["goals"] = [{"name": "10k", "date": "2026-06-20", "type": "10k", "priority": "A"}]
    plan = plan_for(ruleset, data)
    weeks = [w for w in plan.weeks if w.phase != "taper"]
    deloads = [i for i, w in enumerate(weeks) if w.deload]
    assert deloads
    for index in deloads:
        if index + 1 < len(weeks):
            assert weeks[index + 1].planned_distance >= weeks[index - 1].planned_distance - 0.1


def test_taper_never_jumps_above_recent_weeks(ruleset: RuleSet) -> None:
    """A taper cut from an old peak came out far above the weeks before it."""
    data = base(weekly_distance=70, longest_run=36.2, runs_per_week=5)
    data["goals"] = [{"name": "10k", "date": "2026-06-20", "type": "10k", "priority": "A"}]
    plan = plan_for(ruleset, data)
    for before, week in zip(plan.weeks, plan.weeks[1:], strict=False):
        if week.phase == "taper":
            assert week.planned_distance <= before.planned_distance * 1.1 + 0.05


def test_walk_run_stages_are_not_skipped_by_a_race_week(ruleset: RuleSet) -> None:
    """A week without runs (a race on its Monday) advanced the walk-run progression anyway,
    and the first continuous run was then 150% of the longest before it."""
    data = base(weekly_distance=0, longest_run=0, runs_per_week=0)
    data["athlete"]["units"] = "km"
    data["availability"] = {"run_days": ["mon", "wed", "thu", "fri", "sun"], "long_run_day": "wed"}
    data["goals"] = [{"name": "5k", "date": "2026-03-23", "type": "5k", "priority": "A"}]
    plan = plan_for(ruleset, data)
    run_minutes = [
        s.intervals[0].repeats * s.intervals[0].run_minutes
        for s in plan.sessions
        if s.kind == "run" and s.intervals
    ]
    stages = list(dict.fromkeys(run_minutes))
    assert stages[:5] == [10, 15, 20, 28, 30]

"""Properties of the running layer over hundreds of generated runners (docs/plan-shape.md, "The plan
review"): every plan passes the review's hard limits; every run's pace is plausible in km and in
mi; and a healthy runner with enough time for a goal gets a plan with no shape warning at all.
"""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.engine.decisions import decide
from app.engine.evaluate import evaluate
from app.engine.model import RuleSet
from app.errors import SafetyViolation
from app.facts.build import intake_facts
from app.intake.checks import finalize
from app.intake.models import Intake
from app.intake.vocabulary import (
    RESTRICTION_TAGS,
    Condition,
    Finding,
    GoalType,
    Restriction,
    TeamFormat,
    Weekday,
)
from app.plan.build import build_plan
from app.plan.models import Plan

START = date(2026, 3, 2)
KM_PER_MILE = 1.609344
WEEKDAYS = [d.value for d in Weekday]


@st.composite
def goals(draw: st.DrawFn, count: tuple[int, int], priorities: str) -> list[dict[str, Any]]:
    result = []
    for index in range(draw(st.integers(*count))):
        kind = draw(st.sampled_from(list(GoalType)))
        goal: dict[str, Any] = {
            "name": f"Race {index + 1}",
            "date": (START + timedelta(days=draw(st.integers(42, 364)))).isoformat(),
            "type": kind.value,
            "priority": draw(st.sampled_from(priorities)),
        }
        if kind == GoalType.relay:
            team = draw(st.sampled_from(list(TeamFormat)))
            goal.update(
                team_format=team.value,
                legs=draw(st.integers(2, 6)),
                distance=draw(st.sampled_from([15.0, 17.0, 25.0, 33.0, 40.0])),
            )
        if draw(st.booleans()):
            goal["terrain"] = draw(st.sampled_from(["flat", "hilly", "mountain", "downhill"]))
        result.append(goal)
    return result


@st.composite
def runners(draw: st.DrawFn, *, healthy: bool = False) -> dict[str, Any]:
    """A valid intake: km or mi, 0-80 km a week, 1-3 goals of every type and priority within
    6-52 weeks; injured runners have symptoms, findings and restrictions too."""
    units = draw(st.sampled_from(["km", "mi"]))
    per_unit = KM_PER_MILE if units == "mi" else 1.0
    # A healthy runner's runs are a few km long (a plan schedules nothing under 2 km).
    weekly_km = draw(st.one_of(st.just(0.0), st.floats(15 if healthy else 3, 80)))
    runs = 0 if weekly_km == 0 else draw(st.integers(3 if healthy else 1, 6))
    day_count = draw(st.integers(max(runs, 4 if healthy else 1), 7))
    days = sorted(draw(st.permutations(range(7)))[:day_count])
    longest_km = 0.0
    if weekly_km:
        low = max(weekly_km / runs, weekly_km * 0.2)
        longest_km = draw(st.floats(low, max(low, weekly_km * 0.5)))
    data: dict[str, Any] = {
        "athlete": {"name": "Runner", "timezone": "UTC", "units": units},
        "start_date": START.isoformat(),
        "running": {
            "weekly_distance": round(weekly_km / per_unit, 1),
            "longest_run": round(longest_km / per_unit, 1) + (0.1 if weekly_km else 0.0),
            "runs_per_week": runs,
        },
        "availability": {
            "run_days": [WEEKDAYS[d] for d in days],
            "long_run_day": WEEKDAYS[draw(st.sampled_from(days))],
        },
        "goals": draw(goals((1, 1), "A") if healthy else goals((1, 3), "ABC")),
    }
    if healthy:
        # A usual race calendar: the long run and the race at the weekend.
        data["availability"]["long_run_day"] = draw(st.sampled_from(["sat", "sun"]))
        if data["availability"]["long_run_day"] not in data["availability"]["run_days"]:
            data["availability"]["run_days"].append(data["availability"]["long_run_day"])
        race = date.fromisoformat(data["goals"][0]["date"])
        weekend = race - timedelta(days=(race.weekday() - draw(st.sampled_from([5, 6]))) % 7)
        data["goals"][0]["date"] = weekend.isoformat()
        return data
    conditions = draw(st.lists(st.sampled_from(list(Condition)), max_size=2, unique=True))
    data["symptoms"] = [
        {
            "condition": c.value,
            "pain_rest": draw(st.integers(0, 4)),
            "pain_running": draw(st.integers(0, 7)),
            "side": draw(st.sampled_from(["left", "right", "both"])),
        }
        for c in conditions
    ]
    names = draw(st.lists(st.sampled_from(list(Finding)), max_size=3, unique=True))
    data["findings"] = [{"name": f.value} for f in names]
    restrictions = draw(st.lists(st.sampled_from(list(Restriction)), max_size=2, unique=True))
    data["restrictions"] = [r.value for r in restrictions]
    return data


def plan_for(ruleset: RuleSet, data: dict[str, Any]) -> Plan:
    return build_plan(finalize(Intake.model_validate(data), START), ruleset)


def assert_paces(plan: Plan) -> None:
    per_unit = KM_PER_MILE if plan.units == "mi" else 1.0
    for session in plan.sessions:
        if session.kind == "run" and session.distance and session.duration_minutes:
            pace = session.duration_minutes / (session.distance * per_unit)
            assert 4.5 - 1e-9 <= pace <= 15 + 1e-9, (session.date, session.title, pace)


def assert_deloads_apart(plan: Plan, data: dict[str, Any]) -> None:
    """Never two deload weeks in a row (a deload steps back from a full week)."""
    for before, after in itertools.pairwise(plan.weeks):
        assert not (before.deload and after.deload), json.dumps([str(after.start), data])


def assert_rehab_rules(ruleset: RuleSet, plan: Plan, data: dict[str, Any]) -> None:
    """Checked here independently of the plan review: no exercise a restriction or a rule rules
    out, none of an early-stage limit before its week, and no week's cap looser than any
    matching rule's cap for its phase (the safest cap wins)."""
    intake = Intake.model_validate(data)
    decisions = decide(evaluate(ruleset, intake_facts(intake, START)))
    ruled_out = set(decisions.avoided_tags)
    for restriction in intake.restrictions:
        ruled_out |= RESTRICTION_TAGS.get(restriction, frozenset())
    first_monday = START - timedelta(days=START.weekday())
    for session in plan.sessions:
        week = (session.date - first_monday).days // 7 + 1  # no check-ins: the plain week
        for entry in [*session.exercises, *session.drills]:
            exercise = ruleset.catalog[entry.id]
            assert entry.id not in decisions.avoided_exercises, (session.date, entry.id)
            assert not ruled_out & set(exercise.contraindications), (session.date, entry.id)
            for key in [f"exercise:{entry.id}", *(f"tag:{t}" for t in exercise.contraindications)]:
                until = decisions.staged_avoids.get(key)
                assert until is None or week >= until[0], (session.date, entry.id, key)
    per_unit = KM_PER_MILE if plan.units == "mi" else 1.0
    for week_out in plan.weeks:
        candidates = decisions.cap_candidates.get(week_out.phase, [])
        if candidates and week_out.cap is not None:
            safest = min(c.value for c in candidates) / per_unit
            assert week_out.cap <= safest + 0.06, (week_out.start, week_out.cap, safest)


@settings(
    max_examples=320,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=runners())
def test_every_plan_passes_the_hard_limits(ruleset: RuleSet, data: dict[str, Any]) -> None:
    """build_plan refuses (raises) a plan that breaks a hard limit, so building is the check;
    shape warnings are counted (pytest --hypothesis-show-statistics shows them)."""
    try:
        plan = plan_for(ruleset, data)
    except SafetyViolation as refused:  # pragma: no cover - the failure message
        raise AssertionError(json.dumps([refused.detail, data])) from None
    assert all(f.level == "warn" for f in plan.review)
    assert_paces(plan)
    assert_deloads_apart(plan, data)
    assert_rehab_rules(ruleset, plan, data)
    event(f"status: {plan.status}")
    for finding in plan.review:
        event(f"warning: {finding.rule}")


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=runners(healthy=True))
def test_a_healthy_runner_with_time_for_the_goal_gets_no_shape_warning(
    ruleset: RuleSet, data: dict[str, Any]
) -> None:
    plan = plan_for(ruleset, data)
    assert_paces(plan)
    enough_time = not any(f.at_risk for f in plan.feasibility)
    event(f"enough time: {enough_time}")
    if enough_time:
        assert plan.review == [], json.dumps(
            [[(f.rule, str(f.week), f.message) for f in plan.review], data]
        )

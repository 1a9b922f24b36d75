"""The plan review: each hard limit refuses a plan that breaks it, naming the rule and the week.

A good plan (the novice marathoner's) is broken in one way at a time; the review must name
exactly what was broken.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from app.engine.decisions import decide
from app.engine.evaluate import evaluate
from app.engine.model import RuleSet
from app.errors import SafetyViolation
from app.facts.build import intake_facts
from app.plan.build import build_plan, review_or_raise
from app.plan.models import Plan, SessionOut, WorkoutOut
from app.plan.review import Finding, ReviewContext, hard_findings, review_plan
from app.scheduler.checkins import CheckInRecord
from app.scheduler.settings import ScheduleSettings
from tests.conftest import example_intake

NAME = "novice_marathon"


@pytest.fixture(scope="module")
def plan(ruleset: RuleSet) -> Plan:
    return build_plan(example_intake(NAME), ruleset)


def review(
    plan: Plan, ruleset: RuleSet, check_ins: tuple[CheckInRecord, ...] = ()
) -> list[Finding]:
    """The review as the build runs it: with the settings the rules chose for this runner."""
    intake = example_intake(NAME)
    settings = ScheduleSettings.from_decisions(
        decide(evaluate(ruleset, intake_facts(intake, plan.start)))
    )
    return review_plan(
        plan, ReviewContext(intake, ruleset.catalog, settings=settings, check_ins=check_ins)
    )


def replace(plan: Plan, change: Callable[[SessionOut], SessionOut | None]) -> Plan:
    sessions = [s2 for s in plan.sessions if (s2 := change(s)) is not None]
    return plan.model_copy(update={"sessions": sessions})


def runs(plan: Plan) -> list[SessionOut]:
    return [s for s in plan.sessions if s.kind == "run"]


def race_day(plan: Plan) -> date:
    return next(s.date for s in plan.sessions if s.kind == "race")


def rules(findings: list[Finding], level: str = "hard") -> set[str]:
    return {f.rule for f in findings if f.level == level}


def test_the_good_plan_passes_every_check(plan: Plan, ruleset: RuleSet) -> None:
    assert review(plan, ruleset) == []
    assert plan.review == []


def test_a_week_grown_by_more_than_ten_percent_is_refused(plan: Plan, ruleset: RuleSet) -> None:
    week = next(w for w in plan.weeks if w.kind == "build" and not w.deload and w.start.month == 6)
    longest = max(
        (s for s in runs(plan) if week.start <= s.date < week.start + timedelta(7)),
        key=lambda s: s.distance or 0,
    )
    grown = replace(
        plan,
        lambda s: (
            s.model_copy(update={"distance": round((s.distance or 0) * 1.3, 1)})
            if s.kind == "run"
            and week.start <= s.date < week.start + timedelta(7)
            and s is not longest
            else s
        ),
    )
    found = [f for f in review(grown, ruleset) if f.rule == "growth"]
    assert found
    assert found[0].week == week.start


def test_a_long_run_beyond_110_percent_is_refused(plan: Plan, ruleset: RuleSet) -> None:
    first_long = next(s for s in runs(plan) if s.run_type == "long")
    longer = replace(
        plan,
        lambda s: (
            s.model_copy(
                update={
                    "distance": round((s.distance or 0) * 1.5, 1),
                    "duration_minutes": round((s.duration_minutes or 0) * 1.5),
                }
            )
            if s is first_long
            else s
        ),
    )
    assert "single_run" in rules(review(longer, ruleset))


def test_a_long_run_the_day_before_the_race_is_refused(plan: Plan, ruleset: RuleSet) -> None:
    day = race_day(plan) - timedelta(days=1)
    template = max(runs(plan), key=lambda s: s.distance or 0)
    long_run = template.model_copy(update={"date": day, "id": "long-before-race"})
    broken = plan.model_copy(update={"sessions": [*plan.sessions, long_run]})
    found = review(broken, ruleset)
    assert {"race_week", "taper_long_runs"} <= rules(found)
    assert any(
        f.week == day - timedelta(days=day.weekday()) for f in found if f.rule == "race_week"
    )


def test_a_taper_that_does_not_cut_volume_is_refused(plan: Plan, ruleset: RuleSet) -> None:
    race = race_day(plan)
    kept = replace(
        plan,
        lambda s: (
            s.model_copy(update={"distance": round((s.distance or 0) * 2, 1)})
            if s.kind == "run" and race - timedelta(days=20) <= s.date < race - timedelta(days=7)
            else s
        ),
    )
    assert "taper_volume" in rules(review(kept, ruleset))


def test_a_deload_that_keeps_its_long_run_is_refused(plan: Plan, ruleset: RuleSet) -> None:
    deload = next(w for w in plan.weeks if w.deload)
    before = max(
        s.distance or 0 for s in runs(plan) if deload.start - timedelta(7) <= s.date < deload.start
    )
    kept = replace(
        plan,
        lambda s: (
            s.model_copy(update={"distance": before})
            if s.run_type == "long" and deload.start <= s.date < deload.start + timedelta(7)
            else s
        ),
    )
    found = [f for f in review(kept, ruleset) if f.rule == "deload_long_run"]
    assert found
    assert found[0].week == deload.start


def test_a_week_without_a_rest_day_is_refused(plan: Plan, ruleset: RuleSet) -> None:
    week = next(w for w in plan.weeks if w.kind == "build" and w.start.month == 7)
    template = next(s for s in runs(plan) if s.date >= week.start and s.run_type == "easy")
    busy = {s.date for s in plan.sessions if s.kind in ("run", "strength")}
    extra = [
        template.model_copy(update={"date": d, "id": f"extra-{d}"})
        for d in (week.start + timedelta(days=k) for k in range(7))
        if d not in busy
    ]
    broken = plan.model_copy(update={"sessions": [*plan.sessions, *extra]})
    found = [f for f in review(broken, ruleset) if f.rule == "rest_days"]
    assert found
    assert found[0].week == week.start


def test_quality_next_to_the_long_run_is_refused(plan: Plan, ruleset: RuleSet) -> None:
    day_before = next(
        b
        for s in runs(plan)
        if s.run_type == "long" and (s.duration_minutes or 0) >= 90 and s.phase == "running_form"
        for b in runs(plan)
        if b.date == s.date - timedelta(days=1)
    )
    hard = replace(
        plan,
        lambda s: (
            s.model_copy(update={"workout": WorkoutOut(kind="threshold", detail="x", hard=True)})
            if s is day_before
            else s
        ),
    )
    assert "hard_days" in rules(review(hard, ruleset))


def test_intensity_before_the_running_form_phase_is_refused(plan: Plan, ruleset: RuleSet) -> None:
    early = next(s for s in runs(plan) if s.phase == "activation")
    hard = replace(
        plan,
        lambda s: (
            s.model_copy(update={"workout": WorkoutOut(kind="strides", detail="x")})
            if s is early
            else s
        ),
    )
    found = [f for f in review(hard, ruleset) if f.rule == "intensity"]
    assert found
    assert found[0].week == early.date - timedelta(days=early.date.weekday())


def test_a_pace_outside_4_30_to_15_minutes_per_km_is_refused(plan: Plan, ruleset: RuleSet) -> None:
    first = runs(plan)[0]
    too_fast = replace(
        plan, lambda s: s.model_copy(update={"duration_minutes": 10}) if s is first else s
    )
    assert "pace" in rules(review(too_fast, ruleset))


def test_racing_again_days_after_a_marathon_is_refused(plan: Plan, ruleset: RuleSet) -> None:
    race = next(s for s in plan.sessions if s.kind == "race")
    again = race.model_copy(update={"date": race.date + timedelta(days=10), "id": "again"})
    broken = plan.model_copy(update={"sessions": [*plan.sessions, again]})
    assert "race_too_soon" in rules(review(broken, ruleset))


def test_a_big_first_week_of_recovery_is_refused(plan: Plan, ruleset: RuleSet) -> None:
    race = race_day(plan)
    big = replace(
        plan,
        lambda s: (
            s.model_copy(update={"distance": round((s.distance or 0) * 3, 1)})
            if s.kind == "run" and race < s.date <= race + timedelta(days=7)
            else s
        ),
    )
    assert {"recovery_volume"} <= rules(review(big, ruleset))


def test_strength_the_day_before_the_long_run_is_refused(plan: Plan, ruleset: RuleSet) -> None:
    long_run = next(s for s in runs(plan) if s.run_type == "long" and s.phase == "strength")
    strength = next(s for s in plan.sessions if s.kind == "strength")
    moved = strength.model_copy(update={"date": long_run.date - timedelta(days=1), "id": "moved"})
    broken = plan.model_copy(update={"sessions": [*plan.sessions, moved]})
    assert "strength_before_long_run" in rules(review(broken, ruleset))


def test_a_refused_plan_names_the_rule_and_the_week(plan: Plan, ruleset: RuleSet) -> None:
    day = race_day(plan) - timedelta(days=1)
    template = next(s for s in runs(plan) if s.run_type == "long")
    broken = plan.model_copy(
        update={"sessions": [*plan.sessions, template.model_copy(update={"date": day, "id": "x"})]}
    )
    with pytest.raises(SafetyViolation) as refused:
        review_or_raise(broken, example_intake(NAME), ruleset)
    assert any(line.startswith("race_week (week of ") for line in refused.value.detail)


def test_shape_rules_warn_without_refusing(plan: Plan, ruleset: RuleSet) -> None:
    """A race week cut to one short run is too sharp a taper, and keeps too few runs:
    warnings, not a refusal."""
    race = race_day(plan)
    week = [s for s in runs(plan) if race - timedelta(days=6) <= s.date < race]
    keep = min(week, key=lambda s: s.date)
    sharp = replace(plan, lambda s: None if s in week and s is not keep else s)
    found = review(sharp, ruleset)
    assert "taper_too_sharp" in rules(found, "warn")
    assert hard_findings(found) == []
    reviewed = review_or_raise(sharp, example_intake(NAME), ruleset)
    warning = next(w for w in reviewed.warnings if w.code == "review.taper_too_sharp")
    assert "week of" in warning.message
    assert sorted(f.rule for f in reviewed.review) == ["taper_frequency", "taper_too_sharp"]
    frequency = next(f for f in reviewed.review if f.rule == "taper_frequency")
    assert "2 run days" in frequency.message
    assert "the race counted" in frequency.message


def test_a_long_run_over_half_of_a_taper_week_is_refused(plan: Plan, ruleset: RuleSet) -> None:
    """The long run's 50 % share holds in every week with a long run, not only in the build:
    here the first taper week's easy runs are cut so the long run is most of the week."""
    taper = next(b.start for b in plan.blocks if b.kind == "taper")
    monday = taper - timedelta(days=taper.weekday())
    week = [s for s in runs(plan) if monday <= s.date <= monday + timedelta(days=6)]
    longest = max(week, key=lambda s: s.distance or 0)
    assert longest.run_type == "long"
    assert (longest.distance or 0) <= 0.5 * sum(s.distance or 0 for s in week)
    cut = replace(
        plan,
        lambda s: s.model_copy(update={"distance": 1.0}) if s in week and s is not longest else s,
    )
    assert "long_run_share" in rules(review(cut, ruleset))


def test_a_long_run_held_for_a_5k_is_not_a_repeated_peak(ruleset: RuleSet) -> None:
    """Found by the property test: a 59 km/week runner on four days holds a 16.7 km long run
    for a 5k; a 5k has no peak long run to reach once or twice, so no shape warning."""
    from app.intake.checks import finalize
    from app.intake.models import Intake

    data = {
        "athlete": {"name": "Runner", "timezone": "UTC", "units": "km"},
        "start_date": "2026-03-02",
        "running": {"weekly_distance": 59.0, "longest_run": 15.1, "runs_per_week": 4},
        "availability": {"run_days": ["mon", "wed", "thu", "sat"], "long_run_day": "sat"},
        "goals": [{"name": "Race 1", "date": "2026-05-23", "type": "5k", "priority": "A"}],
    }
    intake = finalize(Intake.model_validate(data), date(2026, 3, 2))
    five_k = build_plan(intake, ruleset)
    assert "longest_run_repeated" not in {f.rule for f in five_k.review}


def test_a_marathon_long_run_held_for_weeks_warns(plan: Plan, ruleset: RuleSet) -> None:
    longest = max(s.distance or 0 for s in runs(plan) if s.run_type == "long")
    peak = next(s for s in runs(plan) if s.run_type == "long" and s.distance == longest)
    sundays = [s for s in runs(plan) if s.run_type == "long" and s.date < peak.date][-6:]
    held = {s.id for s in sundays}

    def hold(session: SessionOut) -> SessionOut:
        if session.id in held:
            return session.model_copy(update={"distance": longest})
        return session

    assert "longest_run_repeated" in rules(review(replace(plan, hold), ruleset), "warn")


def _healthy(
    ruleset: RuleSet,
    weekly: float,
    longest: float,
    days: list[str],
    long_day: str,
    goal: dict[str, str],
    runs: int = 3,
) -> Plan:
    from app.intake.checks import finalize
    from app.intake.models import Intake

    data = {
        "athlete": {"name": "Runner", "timezone": "UTC", "units": "km"},
        "start_date": "2026-03-02",
        "running": {"weekly_distance": weekly, "longest_run": longest, "runs_per_week": runs},
        "availability": {"run_days": days, "long_run_day": long_day},
        "goals": [{"name": "Race 1", "priority": "A", **goal}],
    }
    return build_plan(finalize(Intake.model_validate(data), date(2026, 3, 2)), ruleset)


def test_a_race_week_keeps_a_run_on_a_free_day(ruleset: RuleSet) -> None:
    """Found by the property test: run days Thursday to Sunday before a Saturday 5K; the
    build ran Thursday to Saturday, so race week had only its shake-out. It now keeps the
    Sunday six days out."""
    plan = _healthy(
        ruleset, 18, 6.1, ["thu", "fri", "sat", "sun"], "sat", {"date": "2026-05-23", "type": "5k"}
    )
    race = date(2026, 5, 23)
    week = [s for s in runs(plan) if race - timedelta(days=6) <= s.date < race]
    assert [s.run_type for s in week] == ["easy", "shake_out"]
    assert plan.review == []


def test_taper_frequency_counts_the_runs_of_the_peak_weeks(ruleset: RuleSet) -> None:
    """Found by the property test: the base ran five days and the peak four; the taper
    keeps three of the four, one fewer than the peak weeks it follows."""
    plan = _healthy(
        ruleset,
        63,
        21.1,
        ["mon", "tue", "wed", "thu", "sat"],
        "sat",
        {"date": "2026-04-11", "type": "half"},
    )
    assert "taper_frequency" not in {f.rule for f in plan.review}

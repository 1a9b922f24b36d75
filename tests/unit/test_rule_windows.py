"""A rule limited to a window (`window:`) prescribes and notes only in that part of the plan:
the last weeks before each A race or its taper, from one phase, until another."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.authoring.cases import case_intake, run_case
from app.engine.compile import compile_sources, read_sources
from app.engine.model import RuleSet
from app.engine.problems import RuleSetRejected
from app.plan.build import build_plan
from app.plan.models import Plan
from tests.conftest import RULES

HALF = '{goals: [{name: Autumn Half, date: "2026-09-20", type: half, priority: A}]}'


def ruleset_with(rules: str, cases: str = "") -> RuleSet:
    sources = {name: text.decode() for name, text in read_sources(RULES).items()}
    sources["coach.yaml"] = f"topic: Coach windows\nrules:\n{rules}\ncases:\n{cases or '  []'}\n"
    return compile_sources(sources)


def rule(window: str, then: str, when: str = "{fact: goal, type: half}") -> str:
    return f"""  - id: coach.windowed
    title: A windowed rule
    why: Part of the plan only, as the coach's method says.
    window: {window}
    when: {when}
    then:
      - {then}
"""


def plan_for(rules: str, intake: str = HALF) -> Plan:
    ruleset = ruleset_with(
        rules,
        f"  - name: the runner\n    intake: {intake}\n    expect: {{fires: [coach.windowed]}}",
    )
    [case] = [c for c in ruleset.cases if c.file == "coach.yaml"]
    assert run_case(ruleset, case).passed
    intake_model = case_intake(case, ruleset.vocabulary)
    return build_plan(intake_model, ruleset)


def days_with(plan: Plan, exercise: str) -> list[date]:
    return [
        s.date for s in plan.sessions if any(e.id == exercise for e in [*s.exercises, *s.drills])
    ]


def phase_start(plan: Plan, name: str) -> date:
    return min(s.date for s in plan.sessions if s.phase == name)


def test_a_prescription_before_the_taper_stays_in_the_weeks_before_it() -> None:
    plan = plan_for(
        rule(
            "{weeks_before: taper, weeks: 6}",
            "prescribe: {exercise: goblet_squat, phase: strength}",
        )
    )
    taper = phase_start(plan, "taper")
    days = days_with(plan, "goblet_squat")
    assert days, "the squat is in the window"
    assert all(taper - timedelta(weeks=6) <= d < taper for d in days), days
    # without the window the same rule prescribes it from the running-form phase on
    unlimited = plan_for(
        rule("{from_phase: activation}", "prescribe: {exercise: goblet_squat, phase: strength}")
    )
    assert min(days_with(unlimited, "goblet_squat")) < taper - timedelta(weeks=6)


def test_a_window_before_the_race_ends_the_day_before_it() -> None:
    plan = plan_for(
        rule(
            "{weeks_before: goal, weeks: 3}",
            'note: {kind: run, text: "Practise race-day fuelling on this run."}',
        )
    )
    noted = [s for s in plan.sessions if any("race-day fuelling" in n for n in s.notes)]
    assert noted
    assert all(date(2026, 8, 30) <= s.date < date(2026, 9, 20) for s in noted), noted
    assert {s.kind for s in noted} == {"run"}


def test_a_note_until_running_form_is_on_runs_before_it_only() -> None:
    plan = plan_for(
        rule(
            "{until_phase: running_form}",
            'note: {kind: run, text: "Keep this run on flat routes."}',
        )
    )
    form = phase_start(plan, "running_form")
    flat = [s for s in plan.sessions if any("flat routes" in n for n in s.notes)]
    assert flat
    assert all(s.date < form and s.kind == "run" for s in flat)
    runs_before = [s for s in plan.sessions if s.kind == "run" and s.date < form]
    assert len(flat) == len(runs_before)


def test_a_prescription_from_running_form_starts_with_it() -> None:
    plan = plan_for(
        rule("{from_phase: running_form}", "prescribe: {exercise: goblet_squat, phase: strength}")
    )
    squats = days_with(plan, "goblet_squat")
    assert squats
    assert min(squats) >= phase_start(plan, "running_form")


def test_a_window_before_the_taper_holds_nowhere_without_a_race() -> None:
    plan = plan_for(
        rule(
            "{weeks_before: taper, weeks: 6}",
            "prescribe: {exercise: goblet_squat, phase: strength}",
            when="{fact: athlete, running_now: true}",
        ),
        intake="{}",
    )
    assert days_with(plan, "goblet_squat") == []


def test_cases_check_a_windowed_rule_in_the_plan() -> None:
    ruleset = ruleset_with(
        rule(
            "{until_phase: running_form}",
            'note: {kind: run, text: "Keep this run on flat routes."}',
        ),
        f"""  - name: flat until form
    intake: {HALF}
    expect:
      in_plan: [{{note: flat routes, until: "2026-03-01"}}]
      not_in_plan: [{{note: flat routes, from: "2026-04-01"}}]
  - name: a wrong expectation says where the note is
    intake: {HALF}
    expect:
      not_in_plan: [{{note: flat routes}}]
""",
    )
    passing, failing = [c for c in ruleset.cases if c.file == "coach.yaml"]
    assert run_case(ruleset, passing).passed, run_case(ruleset, passing).failures
    [failure] = run_case(ruleset, failing).failures
    assert failure.startswith(
        'expected no the note "flat routes" anywhere in the plan; it is on 2026-01-'
    )


@pytest.mark.parametrize(
    ("window", "then", "message"),
    [
        (
            "{weeks_before: taper}",
            "prescribe: {exercise: goblet_squat, phase: strength}",
            "weeks_before and weeks go together, e.g. window: {weeks_before: taper, weeks: 6}",
        ),
        (
            "{}",
            "prescribe: {exercise: goblet_squat, phase: strength}",
            "a window needs weeks_before with weeks, from_phase or until_phase, e.g. window: "
            "{weeks_before: taper, weeks: 6}",
        ),
        (
            "{weeks_before: race, weeks: 6}",
            "prescribe: {exercise: goblet_squat, phase: strength}",
            "window, weeks_before: 'race' is not allowed here; choose one of: goal, taper",
        ),
        (
            "{from_phase: running_form, until_phase: strength}",
            "prescribe: {exercise: goblet_squat, phase: strength}",
            "until_phase strength does not come after from_phase running_form",
        ),
        (
            "{from_phase: strength, week: 3}",
            "prescribe: {exercise: goblet_squat, phase: strength}",
            "unknown key 'week' (did you mean 'weeks'?); the keys here are: weeks_before, "
            "weeks, from_phase, until_phase",
        ),
        (
            "6",
            "prescribe: {exercise: goblet_squat, phase: strength}",
            "window: is a mapping, written as a mapping, e.g. window: {weeks_before: taper, "
            "weeks: 6}",
        ),
        (
            "{from_phase: strength}",
            "set: {parameter: strides_per_week, value: 1}",
            "a rule with a window may only prescribe, avoid, note and cap (what goes into "
            "sessions and weeks, day by day); 'set' applies to a whole phase or plan",
        ),
        (
            "{until_phase: running_form}",
            "avoid: {tag: jumping, until_week: 8}",
            "a windowed avoid takes no until_week: the rule's window says when",
        ),
        (
            "{from_phase: strength}",
            'note: {text: "A plan note."}',
            "a plan note has no day for a window to limit; give the note the kind of session "
            "it is for",
        ),
    ],
)
def test_a_wrong_window_is_refused_with_what_is_allowed(
    window: str, then: str, message: str
) -> None:
    with pytest.raises(RuleSetRejected) as refused:
        ruleset_with(rule(window, then))
    messages = [p.message for p in refused.value.problems]
    assert any(message in m for m in messages), messages
    assert all(p.file == "coach.yaml" and p.line for p in refused.value.problems)


def test_a_drills_note_is_on_the_runs_that_carry_drills_in_its_window() -> None:
    plan = plan_for(
        rule(
            "{weeks_before: goal, weeks: 8}",
            'note: {kind: drills, text: "Do the drills on grass if you can."}',
        )
    )
    with_drills = [s for s in plan.sessions if s.drills and s.date >= date(2026, 7, 26)]
    noted = [s for s in plan.sessions if any("on grass" in n for n in s.notes)]
    assert noted
    assert noted == [s for s in with_drills if s.date < date(2026, 9, 20)]


def test_an_avoidance_until_running_form_keeps_the_exercise_out_before_it_only() -> None:
    """The baseline's backward lunge, avoided until running form by a windowed rule: not in
    the sessions before running form (its easier version stands in), back from it on."""
    unlimited = plan_for(
        rule("{from_phase: activation}", 'note: {kind: run, text: "Just a note."}')
    )
    form = phase_start(unlimited, "running_form")
    lunges = days_with(unlimited, "backward_lunge")
    assert any(d < form for d in lunges), "the baseline has lunges before running form"
    plan = plan_for(rule("{until_phase: running_form}", "avoid: {exercise: backward_lunge}"))
    form = phase_start(plan, "running_form")
    lunges = days_with(plan, "backward_lunge")
    assert lunges
    assert min(lunges) >= form
    # its catalog regression takes its place, where the lunge was
    before = [d for d in days_with(unlimited, "backward_lunge") if d < form]
    assert [d for d in days_with(plan, "step_up") if d < form] == before
    assert [d for d in days_with(unlimited, "step_up") if d < form] == []


def test_a_cap_in_a_window_caps_only_the_weeks_it_covers() -> None:
    """A coach's "no more than 30 km a week in the 4 weeks before the taper" caps those weeks
    of the running-form phase and names the rule; the weeks before them are not held by it."""
    plan = plan_for(rule("{weeks_before: taper, weeks: 4}", "cap: {phase: running_form, km: 30}"))
    taper = phase_start(plan, "taper")
    inside = [w for w in plan.weeks if taper - timedelta(weeks=4) <= w.start < taper]
    assert inside
    for week in inside:
        assert week.cap <= 30
        assert week.planned_distance <= 30 + 0.05
        assert "coach.windowed" in week.why
    before = [w for w in plan.weeks if w.start < taper - timedelta(weeks=4)]
    assert before
    assert not [w for w in before if "coach.windowed" in w.why]
    # the same cap for the whole phase holds in the earlier running-form weeks too
    whole = plan_for(rule("{from_phase: activation}", "cap: {phase: running_form, km: 30}"))
    form = [w for w in whole.weeks if w.phase == "running_form" and w.start < taper]
    assert any("coach.windowed" in w.why for w in form if w.start < taper - timedelta(weeks=4))

"""Words match the plan (docs/plan-shape.md §11): what a shipped rule promises in its `why` or its
notes is true of every plan it fires in. Each promising rule has a check here; a new rule that
promises something ("until", "at least", "from week"…) fails the completeness test until it
gets one."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from app.engine.model import RuleSet
from app.intake.checks import finalize
from app.intake.models import Intake
from app.plan.build import build_plan
from app.plan.models import Plan
from tests.conftest import EXAMPLES, example_intake

START = date(2026, 3, 2)  # a Monday
PROMISE = re.compile(
    r"\b(wait|until|from week|at least|no more than|at most|more, shorter|every third|"
    r"lower running volume|drops to|no hill|every day|every second)\b",
    re.IGNORECASE,
)
# Rules whose promising words describe the evidence or the race, not this plan's sessions.
GENERAL = {
    "goal.marathon": "describes published novice plans; the season planner's own checks apply",
    "goal.relay_regular": "describes what a relay leg asks; the relay build is checked elsewhere",
}


def week_start(n: int) -> date:
    return START + timedelta(weeks=n - 1)


def intake(symptom: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "athlete": {"name": "Runner", "timezone": "UTC", "units": "km"},
        "start_date": START.isoformat(),
        "running": {"weekly_distance": 32, "longest_run": 12, "runs_per_week": 4},
        "availability": {"run_days": ["tue", "thu", "sat", "sun"], "long_run_day": "sun"},
        "goals": [{"name": "Autumn Half", "date": "2026-09-13", "type": "half", "priority": "A"}],
    }
    if symptom is not None:
        data["symptoms"] = [{"side": "left", "pain_rest": 1, **symptom}]
    data.update(changes)
    return data


def tagged(ruleset: RuleSet, tag: str) -> set[str]:
    return {e.id for e in ruleset.catalog.exercises.values() if tag in e.contraindications}


def first_use(plan: Plan, ids: set[str]) -> date | None:
    return min(
        (s.date for s in plan.sessions for e in [*s.exercises, *s.drills] if e.id in ids),
        default=None,
    )


def activation_weeks(plan: Plan) -> list[Any]:
    return [w for w in plan.weeks if w.phase == "activation" and not w.walk_run]


def days_a_week(plan: Plan, ids: set[str], weeks: range) -> list[int]:
    counts: Counter[date] = Counter()
    for s in plan.sessions:
        if any(e.id in ids for e in s.exercises):
            counts[s.date - timedelta(days=s.date.weekday())] += 1
    return [counts[week_start(n)] for n in weeks]


# -- one check per promising rule: (intake that fires it, what must hold) -------------------------
Check = Callable[[RuleSet, Plan, dict[str, Any]], None]


def pht(ruleset: RuleSet, plan: Plan, data: dict[str, Any]) -> None:
    # "hinges that stop at knee height and assisted Nordics from week 9"
    for exercise in ("limited_range_rdl", "nordic_regression"):
        first = first_use(plan, {exercise})
        assert first is None or first >= week_start(9), exercise
    # "loaded hinges, lunges and hops only from week 13"
    early = first_use(
        plan,
        tagged(ruleset, "lunge") | tagged(ruleset, "loaded_hip_flexion") | {"pogo_hops"},
    )
    assert early is None or early >= week_start(13)
    # "deep squats and crossovers stay out"
    assert first_use(plan, tagged(ruleset, "deep_hip_flexion")) is None
    # "no hill repeats while the tendon is loaded in stages"
    assert not [s for s in plan.sessions if s.workout and s.workout.kind in ("hills", "downhill")]


def pfp(ruleset: RuleSet, plan: Plan, data: dict[str, Any]) -> None:
    # "step-downs and step-ups from a low step added from week 7"
    first = first_use(plan, {"step_down", "step_up"})
    assert first is not None
    assert first >= week_start(7)
    # "shallow knee bends first (wall sit, then a Spanish squat hold)"
    wall_sit = first_use(plan, {"wall_sit"})
    assert wall_sit is not None
    assert wall_sit < (first_use(plan, {"spanish_squat"}) or date.max)
    # "spread over at least four runs when four days are free for running"
    runs: Counter[date] = Counter(
        s.date - timedelta(days=s.date.weekday()) for s in plan.sessions if s.kind == "run"
    )
    full = [w for w in plan.weeks if w.kind in ("base", "build", "peak", "deload")]
    assert full
    assert all(runs[w.start] >= 4 for w in full if w.start + timedelta(days=6) <= plan.end)


def pace(plan: Plan) -> float:
    """Median minutes per unit of the plan's easy runs."""
    paces = sorted(
        s.duration_minutes / s.distance
        for s in plan.sessions
        if s.kind == "run" and s.run_type == "easy" and s.distance and s.duration_minutes
    )
    return paces[len(paces) // 2]


def pfp_slower(ruleset: RuleSet, plan: Plan, data: dict[str, Any]) -> None:
    # "Run 10-20% slower than usual while the knee settles."
    healthy = build_plan(finalize(Intake.model_validate({**data, "symptoms": []}), START), ruleset)
    assert pace(plan) >= 1.09 * pace(healthy)


def pfp_three_days(ruleset: RuleSet, plan: Plan, data: dict[str, Any]) -> None:
    # with three run days the four runs cannot be kept: the plan says so
    assert "run_days_too_few" in {w.code for w in plan.warnings}


def achilles(ruleset: RuleSet, plan: Plan, data: dict[str, Any]) -> None:
    # "calf loading on both legs ... at least three days a week for twelve weeks"
    calf = {"eccentric_heel_drop", "bent_knee_heel_raise", "loaded_heel_raise"}
    assert all(n >= 3 for n in days_a_week(plan, calf, range(1, 13)))
    # "hops and bounds wait until week 13"
    early = first_use(plan, tagged(ruleset, "jumping"))
    assert early is None or early >= week_start(13)


def achilles_insertional(ruleset: RuleSet, plan: Plan, data: dict[str, Any]) -> None:
    # "both legs, straight and bent knee, at least three days a week for twelve weeks"
    calf = {"single_leg_heel_raise", "bent_knee_heel_raise", "loaded_heel_raise", "heel_raise"}
    assert all(n >= 3 for n in days_a_week(plan, calf, range(1, 13)))
    # "on a flat floor": never the drop below a step
    assert first_use(plan, {"eccentric_heel_drop"}) is None
    # "hops and bounds from week 13"
    early = first_use(plan, tagged(ruleset, "jumping"))
    assert early is None or early >= week_start(13)


def no_knee_bends(ruleset: RuleSet, plan: Plan, data: dict[str, Any]) -> None:
    # "step-downs ... wait", even for a knee rule that prescribes them; "a step-up from a low
    # step ... stays", and the strength sessions that hold one say how low
    assert first_use(plan, {"step_down"}) is None
    for session in plan.sessions:
        if any(e.id == "step_up" for e in session.exercises):
            assert any("low step only" in note for note in session.notes), session.date
    assert first_use(plan, {"hip_thrust"}) is not None


def no_hops(ruleset: RuleSet, plan: Plan, data: dict[str, Any]) -> None:
    # "hops and bounds ... are left out"
    assert first_use(plan, tagged(ruleset, "jumping")) is None
    # "weekly distance stays at today's level" (in every phase, not only activation)
    assert plan.weeks
    assert all(w.planned_distance <= current_km(data) + 0.1 for w in plan.weeks)


def plantar(ruleset: RuleSet, plan: Plan, data: dict[str, Any]) -> None:
    assert all(n >= 3 for n in days_a_week(plan, {"towel_heel_raise"}, range(1, 13)))
    # "loads the plantar fascia progressively": under load from the start, fewer reps later
    raises = [(s.date, e) for s in plan.sessions for e in s.exercises if e.id == "towel_heel_raise"]
    assert all(e.load for _, e in raises)
    assert min(e.reps or 99 for _, e in raises) < max(e.reps or 0 for _, e in raises)


def current_km(data: dict[str, Any]) -> float:
    return float(data["running"]["weekly_distance"])


def itb_early(ruleset: RuleSet, plan: Plan, data: dict[str, Any]) -> None:
    # "activation starts at a lower running volume"
    weeks = activation_weeks(plan)
    assert weeks
    assert all(w.planned_distance < current_km(data) for w in weeks)
    # "a couple of easy days": no run on the plan's first two days
    first_run = min(s.date for s in plan.sessions if s.kind == "run")
    assert first_run >= plan.start + timedelta(days=2)


def at_most(share: float) -> Check:
    def check(ruleset: RuleSet, plan: Plan, data: dict[str, Any]) -> None:
        weeks = activation_weeks(plan)
        assert weeks
        assert all(w.planned_distance <= share * current_km(data) + 0.1 for w in weeks)

    return check


def pain_too_much(ruleset: RuleSet, plan: Plan, data: dict[str, Any]) -> None:
    # "running drops to half of today's volume with walk breaks until it settles"
    at_most(0.5)(ruleset, plan, data)
    runs = [s for s in plan.sessions if s.kind == "run" and s.phase == "activation"]
    assert runs
    assert all(any("walk" in n.lower() for n in s.notes) or s.intervals for s in runs)


def deload_every_third(ruleset: RuleSet, plan: Plan, data: dict[str, Any]) -> None:
    # "a lighter week every third week": never three full build weeks in a row
    building = [w for w in plan.weeks if w.kind in ("base", "build", "peak", "deload")]
    for a, b, c in zip(building, building[1:], building[2:], strict=False):
        consecutive = (c.start - a.start).days == 14
        if consecutive:
            assert a.deload or b.deload or c.deload, a.start


def deload_every_second(ruleset: RuleSet, plan: Plan, data: dict[str, Any]) -> None:
    # "a lighter week every second week": in activation and strength, after the first three
    # weeks, never two full build weeks in a row (and never two deloads in a row anywhere)
    early = [
        w
        for w in plan.weeks
        if w.phase in ("activation", "strength") and w.kind in ("base", "build", "deload")
    ][3:]
    for a, b in itertools.pairwise(early):
        if (b.start - a.start).days == 7:
            assert a.deload != b.deload, a.start


def sciatic(ruleset: RuleSet, plan: Plan, data: dict[str, Any]) -> None:
    # "every day in the activation month, then at least three days a week"
    sliding = {s.date for s in plan.sessions for e in s.exercises if e.id == "nerve_slider"}
    month = next(p for p in plan.phases if p.name == "activation")
    days = {month.start + timedelta(days=k) for k in range((month.end - month.start).days + 1)}
    assert days <= sliding
    later = [n for n in range(1, 53) if week_start(n) > month.end and week_start(n) < plan.end]
    assert later
    assert all(n >= 3 for n in days_a_week(plan, {"nerve_slider"}, range(later[0], later[-1])))
    # "to light tension": never loaded, never on the strength ladder
    sliders = [e for s in plan.sessions for e in s.exercises if e.id == "nerve_slider"]
    assert all(e.load is None and e.sets <= 2 for e in sliders)


def bone_stress(ruleset: RuleSet, plan: Plan, data: dict[str, Any]) -> None:
    deload_every_third(ruleset, plan, data)
    # "weekly distance grows by at most 7%"
    full = [w for w in plan.weeks if w.kind in ("base", "build", "peak") and not w.deload]
    for a, b in itertools.pairwise(full):
        if (b.start - a.start).days == 7 and a.planned_distance:
            assert b.planned_distance <= a.planned_distance * 1.07 + 0.15, b.start


def plyometrics(ruleset: RuleSet, plan: Plan, data: dict[str, Any]) -> None:
    # "hops come from week 13, after the slow heavy work"
    first = first_use(plan, {"pogo_hops"})
    assert first is not None
    assert first >= week_start(13)
    heavier = [
        s.date
        for s in plan.sessions
        if s.kind == "strength" and s.title.startswith(("Strength (strength", "Strength (heavy"))
    ]
    assert heavier
    assert min(heavier) < first


PHT = {"condition": "proximal_hamstring_tendinopathy", "pain_running": 2}
CASES: dict[str, list[tuple[dict[str, Any], Check]]] = {
    "condition.pht.protect_tendon": [
        (intake(PHT), pht),
        (intake({**PHT, "pain_running": 4}), pht),
        (
            intake(
                PHT,
                goals=[
                    {
                        "name": "Hilly 10K",
                        "date": "2026-08-30",
                        "type": "10k",
                        "priority": "A",
                        "terrain": "hilly",
                    }
                ],
            ),
            pht,
        ),
    ],
    "condition.pfp": [
        (intake({"condition": "patellofemoral_pain", "pain_running": 2}), pfp),
        (intake({"condition": "patellofemoral_pain", "pain_running": 2}), pfp_slower),
        (
            intake(
                {"condition": "knee_pain", "pain_running": 2},
                availability={"run_days": ["mon", "wed", "sun"], "long_run_day": "sun"},
                running={"weekly_distance": 32, "longest_run": 12, "runs_per_week": 3},
            ),
            pfp_three_days,
        ),
    ],
    "condition.achilles": [
        (intake({"condition": "achilles_tendinopathy", "pain_running": 3}), achilles),
    ],
    "condition.achilles_insertional": [
        (intake({"condition": "ankle_pain", "pain_running": 2}), achilles_insertional),
        (
            intake({"condition": "insertional_achilles_tendinopathy", "pain_running": 3}),
            achilles_insertional,
        ),
        (
            intake(
                {"condition": "insertional_achilles_tendinopathy", "pain_running": 2},
                symptoms=[
                    {
                        "condition": "insertional_achilles_tendinopathy",
                        "pain_rest": 1,
                        "pain_running": 2,
                    },
                    {"condition": "ankle_pain", "pain_rest": 1, "pain_running": 2},
                ],
            ),
            achilles_insertional,
        ),
    ],
    "restriction.knees_cannot_squat_or_lunge": [
        (
            intake(
                {"condition": "patellofemoral_pain", "pain_running": 2},
                restrictions=["no_squat", "no_lunge"],
            ),
            no_knee_bends,
        ),
        (intake(restrictions=["no_squat", "no_lunge"]), no_knee_bends),
    ],
    "condition.pfp.sore": [
        (intake({"condition": "knee_pain", "pain_running": 3}), no_hops),
    ],
    "condition.plantar_fasciitis": [
        (intake({"condition": "plantar_fasciitis", "pain_running": 2}), plantar)
    ],
    "condition.itb.early": [
        (intake({"condition": "it_band_syndrome", "pain_running": 2, "weeks": 1}), itb_early)
    ],
    "load.pain_acceptable": [(intake({"condition": "hip_pain", "pain_running": 5}), at_most(0.8))],
    "load.pain_safe": [(intake({"condition": "hip_pain", "pain_running": 1}), at_most(1.0))],
    "load.pain_too_much": [(intake({"condition": "hip_pain", "pain_running": 6}), pain_too_much)],
    "load.returning_from_injury": [
        (intake({"condition": "hip_pain", "pain_running": 1}), deload_every_second)
    ],
    "condition.sciatic": [
        (intake({"condition": "sciatic_irritation", "pain_running": 2}), sciatic)
    ],
    "load.masters": [
        (intake(athlete={"name": "R", "timezone": "UTC", "age": 61}), deload_every_third)
    ],
    "load.bone_stress_history": [(intake(bone_stress_history=True), bone_stress)],
    "baseline.plyometrics": [(intake(), plyometrics)],
}


@pytest.mark.parametrize(
    ("rule", "index"), [(rule, i) for rule, cases in CASES.items() for i in range(len(cases))]
)
def test_a_rules_words_hold_in_the_plans_it_fires_in(
    ruleset: RuleSet, rule: str, index: int
) -> None:
    data, check = CASES[rule][index]
    plan = build_plan(finalize(Intake.model_validate(data), START), ruleset)
    assert rule in {d.rule for d in plan.decisions}, f"{rule} did not fire"
    check(ruleset, plan, data)


def test_every_promising_rule_has_a_check(ruleset: RuleSet) -> None:
    promising = set()
    for rule in ruleset.rules:
        if rule.domain.value == "safety":
            continue  # referrals: no plan to hold them to
        texts = [rule.why, *(getattr(c, "text", "") for c in rule.consequences)]
        if any(PROMISE.search(t) for t in texts):
            promising.add(rule.id)
    missing = promising - CASES.keys() - GENERAL.keys()
    assert not missing, f"rules promise something no test checks: {sorted(missing)}"


@pytest.mark.parametrize(
    ("findings", "symptoms", "restriction", "forbidden", "instead"),
    [
        (
            [{"name": "knee_valgus", "side": "left"}],
            [],
            "no_squat",
            "single_leg_squat_no_valgus",
            "level_pelvis_single_leg",
        ),
        (
            [],
            [
                {
                    "condition": "medial_tibial_stress_syndrome",
                    "side": "left",
                    "pain_rest": 0,
                    "pain_running": 2,
                }
            ],
            "no_jumping",
            "hop_test_pain_free",
            "heel_raises_25",
        ),
    ],
)
def test_a_gate_never_asks_for_a_test_the_runner_may_not_do(
    ruleset: RuleSet,
    findings: list[dict[str, Any]],
    symptoms: list[dict[str, Any]],
    restriction: str,
    forbidden: str,
    instead: str,
) -> None:
    def gates(plan: Plan) -> set[str]:
        return {c.id for p in plan.phases if p.gate for c in p.gate.criteria}

    free = intake(findings=findings, symptoms=symptoms)
    plan = build_plan(finalize(Intake.model_validate(free), START), ruleset)
    assert forbidden in gates(plan)
    restricted = intake(findings=findings, symptoms=symptoms, restrictions=[restriction])
    plan = build_plan(finalize(Intake.model_validate(restricted), START), ruleset)
    assert forbidden not in gates(plan)
    assert instead in gates(plan)
    assert any("instead of" in note and "ruled out for you" in note for note in plan.notes)


def test_knee_pain_at_two_keeps_the_hops(ruleset: RuleSet) -> None:
    data = intake({"condition": "patellofemoral_pain", "pain_running": 2})
    plan = build_plan(finalize(Intake.model_validate(data), START), ruleset)
    assert "condition.pfp.sore" not in {d.rule for d in plan.decisions}
    assert first_use(plan, {"pogo_hops"}) is not None


def test_strength_notes_match_their_sessions(ruleset: RuleSet) -> None:
    """A strength session's first note never rests an exercise the session holds, never says
    "up a step" over fewer sets without saying so, and its title names strength work first."""
    checked = 0
    for path in sorted(EXAMPLES.glob("*.json")):
        plan = build_plan(example_intake(path.stem), ruleset)
        done_before: set[str] = set()
        for s in (s for s in plan.sessions if s.kind == "strength"):
            checked += 1
            note = s.notes[0]
            new = re.search(r"New: ([^.]*)\.", note)
            if new:  # "new" is the first time; one done before is "back"
                ids = {_id_of(plan, name) for name in new.group(1).split(", ")}
                assert not ids & done_before, (path.stem, s.date, note)
            done_before |= {e.id for e in s.exercises if e.block == "main"}
            names = {plan.exercises[e.id].name.lower() for e in s.exercises}
            resting = re.search(r"Resting: ([^.]*)\.", note)
            if resting:
                assert not set(resting.group(1).split(", ")) & names, (path.stem, s.date, note)
            was = re.search(r"Up a step[^:]*: (\d+) sets?, .*\(was (\d+) sets?", note)
            if was and int(was.group(1)) < int(was.group(2)):
                assert "a set fewer" in note, (path.stem, s.date, note)
            kinds = [ruleset.catalog[e.id].kind for e in s.exercises if e.block == "main"]
            first = s.title.split(" · ")[1].split(", ")[0]
            if "strength" in kinds:
                assert ruleset.catalog[_id_of(plan, first)].kind == "strength", (s.date, s.title)
    assert checked > 100


def _id_of(plan: Plan, name: str) -> str:
    return next(i for i, info in plan.exercises.items() if info.name.lower() == name)


def test_no_session_lists_an_exercise_twice_for_the_same_side_and_block(
    ruleset: RuleSet,
) -> None:
    sessions = 0
    for path in sorted(EXAMPLES.glob("*.json")):
        plan = build_plan(example_intake(path.stem), ruleset)
        for s in plan.sessions:
            keys = [(e.id, e.side, e.block) for e in s.exercises]
            assert len(keys) == len(set(keys)), (path.stem, s.date, s.title, keys)
            sessions += bool(keys)
    assert sessions > 500

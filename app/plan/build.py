"""build_plan: intake + rule set → a dated, explained, safety-checked Plan (pure)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.engine.decisions import Decisions, Reason, decide
from app.engine.evaluate import Evaluation, evaluate
from app.engine.model import RuleSet
from app.errors import InvalidInput, SafetyViolation
from app.facts.build import intake_facts, to_km
from app.intake.models import Intake
from app.intake.vocabulary import Units
from app.plan.describe import GATE_TEXT, describe_fact
from app.plan.models import DISCLAIMER, Plan
from app.plan.safety import Violation, check_plan, summarise
from app.scheduler.calendar import choose_run_days, choose_strength_days
from app.scheduler.checkins import CheckInRecord, GateEvidence, adjustments, gate_delay, judge_gate
from app.scheduler.exercises import blocked, choose_exercises
from app.scheduler.goals import GoalPlan, goal_plans, weeks_short
from app.scheduler.load import LoadInputs, LoadPlanner, WeekLoad, floor1
from app.scheduler.phases import PhasePlan, TaperGoal, plan_phases
from app.scheduler.sessions import SessionBuilder, SessionContext
from app.scheduler.settings import EASY_PACE_MIN_PER_KM, ScheduleSettings

PLAN_NAMESPACE = uuid.UUID("0c6f7f4e-61a4-4b57-9d8e-2f7e4d7c9b21")
REFERRAL_MESSAGE = (
    "Some of what you told us needs a clinician's assessment before you train. "
    "No plan has been made; please see a doctor or physical therapist first."
)


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """How to identify the plan and what to include."""

    lineage: str = "preview"
    plan_id: str | None = None
    revision: int = 1
    explain: bool = False
    check_ins: Sequence[CheckInRecord] = ()  # past check-ins with their verdicts


def _units_from_km(km: float, units: Units) -> float:
    return km / to_km(1.0, units)


def _decisions_out(evaluation: Evaluation) -> list[dict[str, Any]]:
    return [
        {
            "rule": fired.rule.id,
            "title": fired.rule.title,
            "because": fired.rule.why,
            "matched": [describe_fact(evaluation.facts[i]) for i in fired.matched][:10],
        }
        for fired in evaluation.fired
    ]


def _header(
    intake: Intake, ruleset: RuleSet, options: BuildOptions, evaluation: Evaluation
) -> dict[str, Any]:
    assert intake.start_date is not None
    plan_id = options.plan_id or str(uuid.uuid5(PLAN_NAMESPACE, options.lineage))
    header: dict[str, Any] = {
        "id": plan_id,
        "revision": options.revision,
        "ruleset": {
            "name": ruleset.name,
            "version": ruleset.version,
            "digest": ruleset.digest[:16],
        },
        "athlete": {
            "name": intake.athlete.name,
            "timezone": intake.athlete.timezone,
            "units": intake.athlete.units.value,
        },
        "units": intake.athlete.units.value,
        "start": intake.start_date,
        "decisions": _decisions_out(evaluation),
        "disclaimer": DISCLAIMER,
    }
    if options.explain:
        header["near_misses"] = [
            {"rule": m.rule.id, "title": m.rule.title, "missing": m.missing}
            for m in evaluation.near_misses
        ]
    return header


def _referral(header: dict[str, Any], decisions: Decisions) -> dict[str, Any]:
    reasons = list(dict.fromkeys(text for text, _ in decisions.referrals))
    return {
        **header,
        "status": "referral_required",
        "end": header["start"],
        "referral": {
            "reasons": reasons,
            "message": REFERRAL_MESSAGE,
            "why": [
                r.as_dict() for r in dict.fromkeys(reason for _, reason in decisions.referrals)
            ],
        },
    }


def _phases_out(
    phase_plan: PhasePlan,
    decisions: Decisions,
    goals: list[GoalPlan],
    evidence: dict[str, GateEvidence],
) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for span in phase_plan.spans:
        phase: dict[str, Any] = {"name": span.name, "start": span.start, "end": span.end}
        gates = decisions.gates.get(span.name)
        if (
            gates
            and span.name in ("strength", "running_form")
            and span.name not in {p["name"] for p in result}
        ):
            judged = evidence.get(span.name, GateEvidence())
            phase["gate"] = {
                "criteria": [
                    {
                        "id": c.value,
                        "description": GATE_TEXT[c],
                        "met": judged.met.get(c),
                        "why": r.as_dict(),
                    }
                    for c, r in sorted(gates.items(), key=lambda item: item[0].value)
                ],
                "projected": span.start,
                "status": judged.status,
            }
        if span.goal is not None:
            phase["goal"] = goals[span.goal].goal.name
        result.append(phase)
    return result


def _weeks_out(weeks: list[WeekLoad]) -> list[dict[str, Any]]:
    return [
        {
            "start": w.start,
            "planned_distance": w.planned,
            "cap": max(w.cap, w.planned),
            "deload": w.deload,
            "race_distance": w.race_distance,
            "phase": w.phase,
            "walk_run": w.walk_run,
            "why": [r.as_dict() for r in dict.fromkeys(w.reasons)],
        }
        for w in weeks
    ]


def _feasibility(
    goals: list[GoalPlan],
    weeks: list[WeekLoad],
    settings: ScheduleSettings,
    compressed: bool,
    units: str,
) -> list[dict[str, Any]]:
    result = []
    for goal in goals:
        if goal.goal.priority.value == "C" or (not goal.needed_peak and not goal.needed_long_run):
            continue
        before = [w for w in weeks if w.start <= goal.day]
        reachable_peak = max((w.planned for w in before), default=0.0)
        reachable_long = max(
            (r.distance for w in before for r in w.runs if r.day < goal.day), default=0.0
        )
        short = max(
            weeks_short(reachable_peak, goal.needed_peak, settings.progression_limit),
            weeks_short(reachable_long, goal.needed_long_run, settings.progression_limit),
        )
        at_risk = (
            compressed
            or reachable_peak < goal.needed_peak * 0.95
            or (reachable_long < goal.needed_long_run * 0.9)
        )
        alternatives = []
        if at_risk:
            alternatives = _alternatives(goal, short, units)
        result.append(
            {
                "goal": goal.goal.name,
                "date": goal.day,
                "priority": goal.goal.priority.value,
                "needed_peak": goal.needed_peak,
                "reachable_peak": round(reachable_peak, 1),
                "needed_long_run": goal.needed_long_run,
                "reachable_long_run": round(reachable_long, 1),
                "weeks_short": short if at_risk else 0,
                "at_risk": at_risk,
                "alternatives": alternatives,
            }
        )
    return result


def _alternatives(goal: GoalPlan, short: int, units: str) -> list[dict[str, str]]:
    result = []
    if (
        goal.goal.type.value == "relay"
        and goal.goal.team_format
        and goal.goal.team_format.value == "ultra"
    ):
        per_runner = round(goal.race_distance / 2, 1)
        result.append(
            {
                "code": "regular_team",
                "message": f"Run on a regular team instead: about {per_runner:g} {units} over "
                "3 legs with 4-6 hours between them.",
            }
        )
    if short:
        result.append(
            {
                "code": "later_race",
                "message": f"Choose a race at least {short} weeks later so the build can stay "
                "within the safe limits.",
            }
        )
    if goal.goal.type.value == "marathon":
        result.append(
            {
                "code": "shorter_race",
                "message": "Run the half marathon that many marathons offer on the same day.",
            }
        )
    result.append(
        {
            "code": "run_walk",
            "message": "Run-walk the race (for example 4 minutes running, 1 minute walking) to "
            "finish within what your training reaches.",
        }
    )
    return result


def build_plan(intake: Intake, ruleset: RuleSet, options: BuildOptions = BuildOptions()) -> Plan:
    """Generate the plan for a finalised intake (its start date set). Pure and deterministic."""
    if intake.start_date is None:
        raise InvalidInput(
            "the intake has no start date",
            detail=[{"loc": ["start_date"], "msg": "required", "type": "missing"}],
        )
    evaluation = evaluate(ruleset, intake_facts(intake, intake.start_date), explain=options.explain)
    decisions = decide(evaluation)
    header = _header(intake, ruleset, options, evaluation)
    blocked_ids, blocked_tags = blocked(decisions, [])
    if decisions.referrals:
        plan = Plan.model_validate(_referral(header, decisions))
    else:
        plan = Plan.model_validate(_schedule(intake, ruleset, decisions, header, options))
    _raise_if_unsafe(check_plan(plan, intake, ruleset.catalog, blocked_ids, blocked_tags))
    return plan


def _raise_if_unsafe(violations: list[Violation]) -> None:
    if violations:
        raise SafetyViolation(
            "the generated plan breaks a safety rule; it was not returned",
            detail=summarise(violations),
        )


def check_or_raise(plan: Plan, intake: Intake, ruleset: RuleSet) -> None:
    """Check a plan assembled outside `build_plan` (a merged re-plan) against every safety rule."""
    decisions = decide(evaluate(ruleset, intake_facts(intake, plan.start)))
    blocked_ids, blocked_tags = blocked(decisions, [])
    _raise_if_unsafe(check_plan(plan, intake, ruleset.catalog, blocked_ids, blocked_tags))


RACE_CLUSTER_DAYS = 7


def taper_goals(goals: list[GoalPlan]) -> list[TaperGoal]:
    """One taper per A race, shared by A races a few days apart (back-to-back halves)."""
    result: list[TaperGoal] = []
    for goal in sorted((g for g in goals if g.tapers), key=lambda g: g.day):
        previous = result[-1] if result else None
        if previous and (goal.day - previous.day).days <= RACE_CLUSTER_DAYS:
            result[-1] = TaperGoal(
                previous.index,
                goal.day,
                max(previous.weeks, goal.taper_weeks),
                previous.starts_from,
            )
        else:
            result.append(TaperGoal(goal.index, goal.day, goal.taper_weeks))
    return result


def _gates(
    start: date,
    last_goal: date | None,
    tapers: list[TaperGoal],
    settings: ScheduleSettings,
    decisions: Decisions,
    check_ins: list[CheckInRecord],
) -> tuple[PhasePlan, dict[str, GateEvidence]]:
    """Phases, each gate judged from the check-ins; an unmet gate delays its phase a week."""
    projected = plan_phases(start, last_goal, tapers, settings)
    evidence: dict[str, GateEvidence] = {}
    delays: dict[str, int] = {}
    for name in ("strength", "running_form"):
        span = next(s for s in projected.spans if s.name == name)
        criteria = sorted(decisions.gates.get(name, {}), key=lambda c: c.value)
        evidence[name] = judge_gate(criteria, span.start, check_ins)
        delays[name] = gate_delay(evidence[name], span.start, check_ins)
    if not any(delays.values()):
        return projected, evidence
    return plan_phases(start, last_goal, tapers, settings, delays), evidence


def _schedule(
    intake: Intake,
    ruleset: RuleSet,
    decisions: Decisions,
    header: dict[str, Any],
    options: BuildOptions,
) -> dict[str, Any]:
    """The scheduled plan as a document. Session ids come from the lineage (the athlete), not
    from the plan id, so a new plan for the same athlete keeps its sessions' calendar UIDs."""
    assert intake.start_date is not None
    check_ins, lineage = list(options.check_ins), options.lineage
    start, units = intake.start_date, intake.athlete.units
    settings = ScheduleSettings.from_decisions(decisions)
    goals = goal_plans(list(intake.goals), decisions, units)
    tapers = taper_goals(goals)
    last_goal = max((g.day for g in goals), default=None)
    phase_plan, evidence = _gates(start, last_goal, tapers, settings, decisions, check_ins)
    availability = intake.availability
    long_day = availability.long_run_day.number
    runs_wanted = max(intake.running.runs_per_week, settings.min_runs_per_week)
    if intake.running.weekly_distance == 0:
        runs_wanted = max(runs_wanted, 3)
    run_weekdays = choose_run_days([d.number for d in availability.run_days], long_day, runs_wanted)
    preferred = (
        [d.number for d in availability.strength_days] if availability.strength_days else None
    )
    strength_weekdays, dropped = choose_strength_days(
        preferred, long_day, settings.strength_per_week
    )
    pace = 1 / _units_from_km(1.0, units) / EASY_PACE_MIN_PER_KM  # units per minute
    caps = {
        phase: (floor1(_units_from_km(ranked.value, units)), ranked.reason)
        for phase, ranked in decisions.caps.items()
    }
    weeks = LoadPlanner(
        LoadInputs(
            start=start,
            phase_plan=phase_plan,
            settings=settings,
            caps=caps,
            baseline=intake.running.weekly_distance,
            longest_run=intake.running.longest_run,
            run_weekdays=run_weekdays,
            long_run_weekday=long_day,
            goals=goals,
            units_per_minute=pace,
            min_run=floor1(_units_from_km(2.0, units)),
            adjustments=adjustments(check_ins),
        )
    ).plan()
    exercises = choose_exercises(decisions, ruleset.catalog, list(intake.restrictions))
    notes_by_kind: dict[str, list[tuple[str, Reason]]] = {}
    for kind, text, reason in decisions.notes:
        notes_by_kind.setdefault(kind, []).append((text, reason))
    sessions = SessionBuilder(
        SessionContext(
            lineage=lineage,
            catalog=ruleset.catalog,
            phase_plan=phase_plan,
            exercises=exercises,
            weeks=weeks,
            goals=goals,
            strength_weekdays=strength_weekdays,
            activation_count=settings.activation_exercises,
            session_time=availability.session_time,
            units=units.value,
            units_per_minute=pace,
            notes_by_kind=notes_by_kind,
        )
    ).build(start, phase_plan.end)
    feasibility = _feasibility(goals, weeks, settings, phase_plan.compressed, units.value)
    used = dict.fromkeys(e.id for s in sessions for e in [*s["exercises"], *s["drills"]])
    catalog = ruleset.catalog
    exercise_info = [
        {
            "id": i,
            "name": catalog[i].name,
            "kind": catalog[i].kind,
            "targets": catalog[i].targets,
            "equipment": catalog[i].equipment,
            "cues": catalog[i].cues,
        }
        for i in used
    ]
    warnings = _warnings(dropped, feasibility, phase_plan, len(strength_weekdays))
    at_risk = any(f["at_risk"] and f["priority"] == "A" for f in feasibility)
    return {
        **header,
        "status": "goal_at_risk" if at_risk else "ok",
        "end": phase_plan.end,
        "phases": _phases_out(phase_plan, decisions, goals, evidence),
        "weeks": _weeks_out(weeks),
        "sessions": sessions,
        "warnings": warnings,
        "feasibility": feasibility,
        "exercises": exercise_info,
        "notes": [*[text for text, _ in notes_by_kind.get("plan", [])], *exercises.notes],
    }


def _warnings(
    dropped: list[int],
    feasibility: list[dict[str, Any]],
    phase_plan: PhasePlan,
    strength_count: int,
) -> list[dict[str, str]]:
    names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    warnings = []
    if dropped:
        warnings.append(
            {
                "code": "strength_day_moved",
                "message": "Strength is not scheduled on "
                + ", ".join(names[d] for d in dropped)
                + ": it is within 48 hours before the long run.",
            }
        )
    if strength_count < 2:
        warnings.append(
            {
                "code": "strength_days_short",
                "message": "Fewer than two safe strength days a week are available.",
            }
        )
    if phase_plan.compressed:
        warnings.append(
            {
                "code": "phases_compressed",
                "message": "The first race comes before the full strength phase fits; "
                "strength was shortened to its minimum.",
            }
        )
    for item in feasibility:
        if item["at_risk"]:
            warnings.append(
                {
                    "code": "goal_at_risk",
                    "message": f"{item['goal']}: peak {item['reachable_peak']:g} of "
                    f"{item['needed_peak']:g} needed, long run {item['reachable_long_run']:g} "
                    f"of {item['needed_long_run']:g}; about {item['weeks_short']} "
                    f"{'week' if item['weeks_short'] == 1 else 'weeks'} short.",
                }
            )
    return warnings

"""The scheduler's entry: rule decisions + intake → the dated plan document (phases, weeks,
sessions, feasibility, warnings), before the plan review."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, timedelta
from functools import partial
from typing import Any, NamedTuple

from app.catalog.models import Catalog
from app.engine.decisions import Decisions, Reason, WindowedAvoid, Windows
from app.engine.model import CNode, CPattern, RuleSet
from app.engine.verbs import Parameter
from app.facts.build import to_km
from app.intake.models import Intake
from app.intake.vocabulary import Vocabulary
from app.scheduler.blocks import season_blocks
from app.scheduler.calendar import choose_run_days, choose_strength_days
from app.scheduler.checkins import (
    CheckInRecord,
    GateEvidence,
    adjustments,
    has_tendinopathy,
    intake_allows_intensity,
    intensity_by_week,
    sick_days,
    sore_days,
    stage_clock,
)
from app.scheduler.demand import Demand, DemandInputs
from app.scheduler.exercises import (
    blocked,
    choose_exercises,
    later_stage_exercises,
    stage_starts,
)
from app.scheduler.feasibility import feasibility, too_far_to_race
from app.scheduler.gates import allowed_gates, gate_text, phases_and_gates
from app.scheduler.goals import goal_plans
from app.scheduler.intensity import (
    default_quality,
    easy_pace_of,
    quality_contexts,
    speed_after_hops,
    speed_from,
)
from app.scheduler.load import EASY_MINUTES_MAX, LoadInputs, LoadPlanner, WeekPlan
from app.scheduler.phases import PhasePlan, TaperSpan
from app.scheduler.season import Season, build_season
from app.scheduler.sessions import RACE_NOTES, SessionBuilder, SessionContext, Stage
from app.scheduler.settings import MAX_RUNS_PER_WEEK, ScheduleSettings
from app.scheduler.strength import StageClock
from app.scheduler.units import Measure
from app.scheduler.windows import PlanWindows

WALK_RUN_END_MINUTES = 30


def _stage_without(
    decisions: Decisions,
    catalog: Catalog,
    restrictions: list[str],
    stage: Stage,
    avoids: list[WindowedAvoid],
) -> Stage:
    """`stage` with the exercises and tags of windowed avoidances ruled out too (their easier
    versions stand in, as for any avoidance)."""
    ids = frozenset(a.exercise for a in avoids if a.exercise is not None)
    tags = frozenset(a.tag for a in avoids if a.tag is not None)
    return Stage(
        stage.from_week,
        choose_exercises(decisions, catalog, restrictions, stage.from_week, also=(ids, tags)),
        stage.blocked_ids | ids,
        stage.blocked_tags | tags,
        not_yet=stage.not_yet,
    )


def _phases_out(
    phase_plan: PhasePlan,
    decisions: Decisions,
    names: dict[int, str],
    evidence: dict[str, GateEvidence],
    vocabulary: Vocabulary,
) -> list[dict[str, Any]]:
    declared = {t.name: t for t in vocabulary.gate_criteria if not t.shipped}
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
                        "id": str(c),
                        "description": gate_text(c, declared),
                        "met": judged.met.get(c),
                        "why": r.as_dict(),
                    }
                    for c, r in sorted(gates.items(), key=lambda item: str(item[0]))
                ],
                "projected": span.start,
                "status": judged.status,
            }
        if span.goal is not None:
            phase["goal"] = names[span.goal]
        result.append(phase)
    return result


def _weeks_out(weeks: list[WeekPlan], measure: Measure) -> list[dict[str, Any]]:
    return [
        {
            "start": w.start,
            "planned_distance": measure.out(w.planned_km),
            "cap": max(measure.out(measure.grid(w.cap_km)), measure.out(w.planned_km)),
            "deload": w.deload,
            "race_distance": measure.out(w.race_km),
            "phase": w.phase,
            "walk_run": w.walk_run,
            "kind": w.kind,
            "long_run": measure.out(w.long_run_km),
            "why": [r.as_dict() for r in dict.fromkeys(w.reasons)],
        }
        for w in weeks
    ]


def _symptom_rules(ruleset: RuleSet) -> frozenset[str]:
    """The rules that test a symptom: their exercises are the injury's own rehab."""

    def tests_symptom(node: CNode) -> bool:
        if isinstance(node, CPattern):
            return node.fact == "symptom"
        return any(tests_symptom(child) for child in node.children)

    return frozenset(rule.id for rule in ruleset.rules if tests_symptom(rule.when))


def _rest_weekday(run_weekdays: list[int], long_day: int, strength: list[int] | None) -> int | None:
    """A weekday kept free of running and strength, so every week has a rest day: preferably
    one the runner did not ask strength on, the day before the long run first."""
    free = [d for d in range(7) if d not in run_weekdays]
    if not free:
        return None
    ordered = sorted(free, key=lambda d: ((long_day - d) % 7 != 1, d))
    unwanted = [d for d in ordered if d not in (strength or [])]
    return (unwanted or ordered)[0]


class _Running(NamedTuple):
    """The season and its weekly running, planned once (or again without unsafe races)."""

    season: Season
    phase_plan: PhasePlan
    evidence: dict[str, GateEvidence]
    demand: Demand
    clock: StageClock
    planner: LoadPlanner
    weeks: list[WeekPlan]
    windows: PlanWindows  # the rule windows as dates of this season and these phases


def _rest_day_for_strength(
    run_weekdays: list[int],
    long_day: int,
    preferred: list[int] | None,
    strength_per_week: int,
    usual_runs: int,
) -> tuple[list[int], int | None]:
    """Run days that leave room for the strength sessions the rules ask for and a rest day.
    When every free day holds strength (three sessions a week for a tendon, say), the week has
    no rest day and a strength session is lost; a runner who usually runs on fewer days than
    they listed loses a run day instead, the day before the long run first (strength never
    goes there). Returns the run days and the run day given up (None when none is)."""
    have, _ = choose_strength_days(
        preferred,
        long_day,
        strength_per_week,
        rest_day=_rest_weekday(run_weekdays, long_day, preferred),
    )
    if len(have) >= strength_per_week or len(run_weekdays) <= max(usual_runs, 3):
        return run_weekdays, None
    others = sorted(
        (d for d in run_weekdays if d != long_day), key=lambda d: ((long_day - d) % 7, d)
    )
    for day in others:
        fewer = [d for d in run_weekdays if d != day]
        chosen, _ = choose_strength_days(
            preferred,
            long_day,
            strength_per_week,
            rest_day=_rest_weekday(fewer, long_day, preferred),
        )
        if len(chosen) >= strength_per_week:
            return fewer, day
    return run_weekdays, None


def schedule(
    intake: Intake,
    ruleset: RuleSet,
    decisions: Decisions,
    lineage: str,
    check_ins: Sequence[CheckInRecord],
) -> dict[str, Any]:
    """The scheduled plan as a document. Session ids come from the lineage (the athlete), not
    from the plan id, so a new plan for the same athlete keeps its sessions' calendar UIDs."""
    assert intake.start_date is not None
    check_ins = list(check_ins)
    decisions, gate_notes = allowed_gates(decisions, list(intake.restrictions))
    start, units = intake.start_date, intake.athlete.units
    settings = ScheduleSettings.from_decisions(decisions)
    measure = Measure(units, easy_pace_of(intake, settings))
    goals = goal_plans(list(intake.goals), decisions, units)
    availability = intake.availability
    long_day = availability.long_run_day.number
    current_km = to_km(intake.running.weekly_distance, units)
    runs_wanted = max(intake.running.runs_per_week, settings.min_runs_per_week)
    if current_km <= 0:
        runs_wanted = max(runs_wanted, 3)
    available = [d.number for d in availability.run_days]
    # Every day the runner can run is a candidate: a week uses as many as its volume needs,
    # never fewer than the runner's usual number of runs (when the volume allows them).
    run_weekdays = choose_run_days(available, long_day, min(len(available), MAX_RUNS_PER_WEEK))
    preferred = (
        [d.number for d in availability.strength_days] if availability.strength_days else None
    )
    run_weekdays, rest_for_strength = _rest_day_for_strength(
        run_weekdays, long_day, preferred, settings.strength_per_week, runs_wanted
    )
    base_runs = min(runs_wanted, len(run_weekdays))
    sick, sore = sick_days(check_ins), sore_days(check_ins)  # no training; no running
    first_rest = {start + timedelta(days=k) for k in range(settings.rest_days_first)}

    def plan_running(unsafe: dict[int, str]) -> _Running:
        season = build_season(start, goals, run_weekdays, long_day, unsafe=unsafe)
        tapers = [
            TaperSpan(event.main.index, season.taper_start[event.index], event.last)
            for event in season.a_events()
        ]
        phase_plan, evidence = phases_and_gates(
            start, season.end, tapers, settings, decisions, check_ins
        )
        if phase_plan.end > season.end:  # the phases' minimum lengths run past the last race
            season = build_season(
                start, goals, run_weekdays, long_day, min_end=phase_plan.end, unsafe=unsafe
            )
        # A runner starting from zero is, after the walk-run progression, at three 30-minute runs.
        after_walk_run = measure.km_in(WALK_RUN_END_MINUTES) if current_km <= 0 else 0.0
        demand = Demand(
            DemandInputs(
                season=season,
                current_km=max(current_km, 3 * after_walk_run),
                longest_km=max(to_km(intake.running.longest_run, units), after_walk_run),
                runs_per_week=max(base_runs, 1),
                most_runs=len(run_weekdays),
                long_run_share=settings.long_run_share,
                easy_run_max_km=measure.km_in(EASY_MINUTES_MAX),
                base_fraction=settings.base_fraction,
                peak_weeks=settings.peak_block_weeks,
                easy_pace=measure.easy_pace,
            )
        )
        quality = quality_contexts(intake, season)
        clock = stage_clock(start, check_ins, intake.symptoms)
        windows = PlanWindows(phase_plan, season)
        planner = LoadPlanner(
            LoadInputs(
                start=start,
                season=season,
                demand=demand,
                phase_plan=phase_plan,
                settings=settings,
                caps={
                    phase: (ranked.value, ranked.reason) for phase, ranked in decisions.caps.items()
                },
                measure=measure,
                current_km=current_km,
                longest_km=to_km(intake.running.longest_run, units),
                run_weekdays=run_weekdays,
                runs_per_week=base_runs,
                long_run_weekday=long_day,
                quality=quality,
                quality_default=default_quality(intake),
                speed_from=speed_from(intake, decisions, ruleset, clock, phase_plan),
                intensity_pain_ok=intake_allows_intensity(intake.symptoms),
                adjustments=adjustments(check_ins),
                pain_by_week=intensity_by_week(check_ins, has_tendinopathy(intake.symptoms)),
                skipped=frozenset(day for c in check_ins for day in c.skipped_runs),
                paused=sick | sore | first_rest,
                start_rest=frozenset(first_rest),
                regressions=tuple(c.day for c in check_ins if c.verdict == "regress"),
                windowed_caps=tuple(
                    (c.phase, c.value, c.reason, partial(windows.covers, c.windows))
                    for c in decisions.windowed_caps
                ),
            )
        )
        weeks = planner.plan()
        return _Running(season, phase_plan, evidence, demand, clock, planner, weeks, windows)

    running = first = plan_running({})
    unsafe = too_far_to_race(
        running.season,
        running.weeks,
        measure,
        to_km(intake.running.longest_run, units),
        current_km,
    )
    if unsafe:  # planned again with those races run as easy training runs
        running = plan_running(unsafe)
    season, phase_plan, evidence, demand, clock, planner, weeks, plan_windows = running
    strength_weekdays, dropped = choose_strength_days(
        preferred,
        long_day,
        settings.strength_per_week,
        rest_day=_rest_weekday(run_weekdays, long_day, preferred),
    )
    restrictions = list(intake.restrictions)
    stages = tuple(
        Stage(
            week,
            choose_exercises(decisions, ruleset.catalog, restrictions, week),
            *blocked(decisions, restrictions, week),
            not_yet=later_stage_exercises(decisions, week),
        )
        for week in stage_starts(decisions)
    )
    notes_by_kind: dict[str, list[tuple[str, Reason, Windows]]] = {}
    for kind, text, reason, windows in decisions.notes:
        notes_by_kind.setdefault(kind, []).append((text, reason, windows))
    sessions = SessionBuilder(
        SessionContext(
            lineage=lineage,
            catalog=ruleset.catalog,
            phase_plan=phase_plan,
            stages=stages,
            clock=clock,
            weeks=weeks,
            season=season,
            shortened=planner.shortened,
            strength_weekdays=strength_weekdays,
            activation_count=settings.activation_exercises,
            session_time=availability.session_time,
            measure=measure,
            notes_by_kind=notes_by_kind,
            windows=plan_windows,
            windowed_avoids=tuple(decisions.windowed_avoids),
            stage_without=partial(_stage_without, decisions, ruleset.catalog, restrictions),
            sick_days=sick,
            sore_days=sore - sick,
            condition_rules=_symptom_rules(ruleset),
        )
    ).build(start, season.end)
    speed_note = speed_after_hops(sessions, ruleset, planner.i.speed_from)
    feasible = feasibility(
        season,
        demand,
        weeks,
        planner.shortened,
        measure,
        len(run_weekdays),
        phase_plan.compressed,
        settings.progression_limit,
        fallback=first.demand if unsafe else None,
    )
    _at_risk_race_notes(sessions, feasible, injured=bool(intake.symptoms))
    used = dict.fromkeys(e.id for s in sessions for e in [*s["exercises"], *s["drills"]])
    catalog = ruleset.catalog
    exercise_info = {
        i: {
            "name": catalog[i].name,
            "kind": catalog[i].kind,
            "cue": catalog[i].cues[0] if catalog[i].cues else "",
            "cues": catalog[i].cues,
            "targets": catalog[i].targets,
            "equipment": catalog[i].equipment,
        }
        for i in used
    }
    clamped = [f"{g.goal.name}: {note}" for g in goals for note in g.clamped]
    warnings = _warnings(dropped, feasible, phase_plan, len(strength_weekdays), clamped)
    if planner.held_by_runs:
        warnings.append(
            {
                "code": "run_days_short",
                "message": f"Your {intake.running.weekly_distance:g} {units.value} a week needs "
                f"runs longer than 90 minutes on {len(run_weekdays)} run days; the plan holds "
                f"{measure.out(planner.held_by_runs):g} {units.value}. Add a run day to keep "
                "your volume.",
            }
        )
    if 2 <= len(strength_weekdays) < settings.strength_per_week:
        wanted = decisions.parameter_reason(Parameter.strength_sessions_per_week)
        listed = len(availability.strength_days or [])
        fix = (
            "list more `availability.strength_days` to get them"
            if listed < settings.strength_per_week
            else "with your run days, one of your strength days is kept as the week's rest "
            "day; one run day fewer (or another long-run day) makes room for the third"
        )
        warnings.append(
            {
                "code": "strength_days_fewer",
                "message": f"The rules ask for {settings.strength_per_week} strength sessions a "
                "week" + (f" ({wanted.rule})" if wanted else "") + f", but only "
                f"{len(strength_weekdays)} days fit around the long run (none on it or the day "
                f"before) and the rest day, at least 48 hours apart; {fix}.",
            }
        )
    if rest_for_strength is not None:
        wanted = decisions.parameter_reason(Parameter.strength_sessions_per_week)
        warnings.append(
            {
                "code": "run_day_kept_for_rest",
                "message": f"No runs on {calendar.day_name[rest_for_strength]}s: the rules ask "
                f"for {settings.strength_per_week} strength sessions a week"
                + (f" ({wanted.rule})" if wanted else "")
                + ", at least 48 hours apart and not the day before the long run, and every "
                "week needs a rest day. You usually run "
                f"{intake.running.runs_per_week} times a week; your other run days hold the "
                "running.",
            }
        )
    wanted_runs = settings.min_runs_per_week
    if wanted_runs > len(run_weekdays):
        runs_reason = decisions.parameter_reason(Parameter.min_runs_per_week)
        warnings.append(
            {
                "code": "run_days_too_few",
                "message": f"The rules ask for at least {wanted_runs} runs a week"
                + (f" ({runs_reason.rule})" if runs_reason else "")
                + f", but only {len(run_weekdays)} days are free for running: add a run day "
                "so the week's distance can be spread over more, shorter runs.",
            }
        )
    at_risk = any(f["at_risk"] and f["priority"] == "A" for f in feasible)
    names = {g.index: g.goal.name for g in goals}
    return {
        "status": "goal_at_risk" if at_risk else "ok",
        "end": season.end,
        "phases": _phases_out(phase_plan, decisions, names, evidence, ruleset.vocabulary),
        "weeks": _weeks_out(weeks, measure),
        "sessions": sessions,
        "warnings": warnings,
        "feasibility": feasible,
        "exercises": exercise_info,
        "notes": [
            *[text for text, _, _ in notes_by_kind.get("plan", [])],
            *dict.fromkeys(note for stage in stages for note in stage.exercises.notes),
            *gate_notes,
            *speed_note,
        ],
        "blocks": season_blocks(season, demand, planner.shortened),
    }


AT_RISK_RACE_NOTE = (
    "The plan cannot build you to what this race needs by race day (see the plan's "
    "feasibility): if you start, run it conservatively, walk breaks from the start"
)
AT_RISK_PAIN = " and stop if pain goes above 5/10"
AT_RISK_END = ", or take one of the alternatives."


def _at_risk_race_notes(
    sessions: list[dict[str, Any]], feasible: list[dict[str, Any]], injured: bool
) -> None:
    """A race the plan cannot prepare the runner for says so on race day, where it is read
    (with the pain limit for a runner who has symptoms)."""
    note = AT_RISK_RACE_NOTE + (AT_RISK_PAIN if injured else "") + AT_RISK_END
    at_risk: dict[date, list[str]] = {}
    for f in feasible:
        if f["at_risk"]:
            at_risk.setdefault(f["date"], []).append(f["goal"])
    for session in sessions:
        if session["kind"] != "race":
            continue
        if any(name in session["title"] for name in at_risk.get(session["date"], [])):
            # in place of the advice on racing it
            kept = [n for n in session["notes"] if n not in RACE_NOTES.values()]
            session["notes"] = [note, *kept]


def _warnings(
    dropped: list[int],
    feasible: list[dict[str, Any]],
    phase_plan: PhasePlan,
    strength_count: int,
    clamped: list[str],
) -> list[dict[str, str]]:
    names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    warnings = []
    if dropped:
        warnings.append(
            {
                "code": "strength_day_moved",
                "message": "Strength is not scheduled on "
                + ", ".join(names[d] for d in dropped)
                + ": the day of or the day before the long run, or the week's rest day.",
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
    for note in clamped:
        warnings.append({"code": "setting_clamped", "message": note})
    for item in feasible:
        if item["at_risk"]:
            because = "; ".join(item["reasons"])
            warnings.append(
                {
                    "code": "goal_at_risk",
                    "message": f"{item['goal']}: {because}; about {item['weeks_short']} "
                    f"{'week' if item['weeks_short'] == 1 else 'weeks'} short."
                    if item["weeks_short"]
                    else f"{item['goal']}: {because}.",
                }
            )
    return warnings

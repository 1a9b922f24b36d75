"""build_plan: intake + rule set → a dated, explained, safety-checked Plan (pure)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from app.engine.decisions import Decisions, Reason, decide
from app.engine.evaluate import Evaluation, evaluate
from app.engine.model import CNode, CPattern, RuleSet
from app.engine.verbs import MAX_STAGE_WEEK, GateCriterion, Parameter
from app.errors import InvalidInput
from app.facts.build import intake_facts, to_km
from app.intake.models import Intake
from app.intake.vocabulary import RESTRICTION_TAGS, Condition, Restriction
from app.plan.describe import GATE_NEEDS, GATE_TEXT, describe_fact
from app.plan.feasibility import feasibility
from app.plan.lean import lean
from app.plan.models import DISCLAIMER, Plan
from app.plan.protect import protected_referrals
from app.plan.review import Finding, ReviewContext, raise_if_refused, review_plan
from app.scheduler.blocks import season_blocks
from app.scheduler.calendar import choose_run_days, choose_strength_days, monday_of
from app.scheduler.checkins import (
    TENDINOPATHIES,
    CheckInRecord,
    GateEvidence,
    Stop,
    adjustments,
    check_in_warnings,
    first_stop,
    gate_delay,
    has_tendinopathy,
    intake_allows_intensity,
    intensity_by_week,
    judge_gate,
    sick_days,
    sore_days,
    stage_clock,
)
from app.scheduler.demand import Demand, DemandInputs
from app.scheduler.exercises import (
    blocked,
    choose_exercises,
    later_stage_exercises,
    loading_prescriptions,
    stage_starts,
)
from app.scheduler.goals import RaceClass, goal_plans
from app.scheduler.load import EASY_MINUTES_MAX, LoadInputs, LoadPlanner, WeekPlan
from app.scheduler.phases import PhasePlan, TaperSpan, plan_phases
from app.scheduler.quality import QualityContext
from app.scheduler.season import Season, build_season
from app.scheduler.sessions import SessionBuilder, SessionContext, Stage
from app.scheduler.settings import MAX_RUNS_PER_WEEK, ScheduleSettings
from app.scheduler.strength import StageClock
from app.scheduler.units import Measure, estimated_easy_pace

PLAN_NAMESPACE = uuid.UUID("0c6f7f4e-61a4-4b57-9d8e-2f7e4d7c9b21")
REFERRAL_MESSAGE = (
    "Some of what you told us needs a clinician's assessment before you train. "
    "No plan has been made; please see a doctor or physical therapist first."
)

CHECK_IN_REFERRAL_MESSAGE = (
    "A warning sign you reported needs a clinician's assessment before you train again. "
    "The plan stops from that day (what came before is kept); please see a doctor or physical "
    "therapist, then start a new plan with their advice."
)


def preview_lineage(intake: Intake) -> str:
    """The lineage of a plan made without a stored athlete (a preview, the CLI): from the
    athlete's details, so two athletes' calendars never share event UIDs while the same
    athlete's previews keep theirs."""
    athlete = intake.athlete.model_dump_json()
    return "preview:" + hashlib.sha256(athlete.encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """How to identify the plan and what to include."""

    lineage: str = "preview"
    plan_id: str | None = None
    revision: int = 1
    explain: bool = False
    check_ins: Sequence[CheckInRecord] = ()  # past check-ins with their verdicts


NO_DOWNHILL = frozenset({Condition.patellofemoral_pain, Condition.it_band_syndrome})
MAX_EASY_PACE = 13.5  # min/km, after any slowing for knee pain
WALK_RUN_END_MINUTES = 30


def _decisions_out(evaluation: Evaluation) -> list[dict[str, Any]]:
    return [
        {
            "rule": fired.rule.id,
            "title": fired.rule.title,
            "because": fired.rule.why,  # listed once in `reasons` (app/plan/lean.py)
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


def _referral(
    header: dict[str, Any], decisions: Decisions, stop: Stop | None = None
) -> dict[str, Any]:
    reasons = list(dict.fromkeys(text for text, _ in decisions.referrals))
    message = REFERRAL_MESSAGE
    end = header["start"]
    if stop is not None:  # stopped by a check-in: the plan runs up to the day before it
        if stop.said not in reasons:
            reasons.insert(0, stop.said)
        message = CHECK_IN_REFERRAL_MESSAGE
        end = max(header["start"], stop.day - timedelta(days=1))
    return {
        **header,
        "status": "referral_required",
        "end": end,
        "referral": {
            "reasons": reasons,
            "message": message,
            "why": [
                r.as_dict() for r in dict.fromkeys(reason for _, reason in decisions.referrals)
            ],
        },
    }


def _phases_out(
    phase_plan: PhasePlan,
    decisions: Decisions,
    names: dict[int, str],
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


def build_plan(intake: Intake, ruleset: RuleSet, options: BuildOptions = BuildOptions()) -> Plan:
    """Generate the plan for a finalised intake (its start date set), reviewed before it is
    returned: a plan that breaks a hard limit is refused. Pure and deterministic."""
    if intake.start_date is None:
        raise InvalidInput(
            "the intake has no start date",
            detail=[{"loc": ["start_date"], "msg": "required", "type": "missing"}],
        )
    stop = first_stop(options.check_ins)
    evaluation = evaluate(
        ruleset,
        intake_facts(
            intake,
            intake.start_date,
            red_flags=[flag for c in options.check_ins for flag in c.red_flags],
        ),
        explain=options.explain,
    )
    decisions = decide(evaluation)
    if not decisions.referrals:  # the protected core refers whatever the rules say
        reported = [flag for c in options.check_ins for flag in c.red_flags]
        decisions.referrals.extend(protected_referrals(intake, reported))
    if stop is not None and stop.referral is not None:  # numbers the rules do not see
        decisions.referrals.insert(0, stop.referral)
    header = _header(intake, ruleset, options, evaluation)
    if decisions.referrals:
        document = _referral(header, decisions, stop)
    else:
        document = _schedule(intake, ruleset, decisions, header, options)
        document["warnings"] = [*document["warnings"], *check_in_warnings(options.check_ins)]
    context = _review_context(intake, ruleset, decisions, options.check_ins)
    plan = Plan.model_validate(lean(document))
    findings = review_plan(plan, context)
    raise_if_refused(findings)
    return _with_review(document, findings) if findings else plan


def _with_review(document: dict[str, Any], findings: list[Finding]) -> Plan:
    """The plan carrying its review: the findings, and a `review.<rule>` warning for each
    (in place of an earlier review's)."""
    document["warnings"] = [
        *(w for w in document.get("warnings", []) if not w["code"].startswith("review.")),
        *({"code": f"review.{f.rule}", "message": f.text()} for f in findings),
    ]
    document["review"] = [f.as_dict() for f in findings]
    return Plan.model_validate(document)


def _review_context(
    intake: Intake, ruleset: RuleSet, decisions: Decisions, check_ins: Sequence[CheckInRecord]
) -> ReviewContext:
    blocked_ids, blocked_tags = blocked(decisions, [])
    return ReviewContext(
        intake=intake,
        catalog=ruleset.catalog,
        avoided_ids=blocked_ids,
        avoided_tags=blocked_tags,
        settings=ScheduleSettings.from_decisions(decisions),
        check_ins=tuple(check_ins),
        staged_avoids={key: until for key, (until, _) in decisions.staged_avoids.items()},
        loading=loading_prescriptions(decisions, ruleset.catalog, list(intake.restrictions)),
    )


def review_or_raise(
    plan: Plan, intake: Intake, ruleset: RuleSet, check_ins: Sequence[CheckInRecord] = ()
) -> Plan:
    """Review a plan assembled outside `build_plan` (a merged re-plan): refuse it on a hard
    failure, else return it carrying its review's warnings."""
    decisions = decide(evaluate(ruleset, intake_facts(intake, plan.start)))
    findings = review_plan(plan, _review_context(intake, ruleset, decisions, check_ins))
    raise_if_refused(findings)
    return _with_review(plan.model_dump(), findings)


def _allowed_gates(
    decisions: Decisions, restrictions: list[Restriction]
) -> tuple[Decisions, list[str]]:
    """Gates whose test the runner may do: a test that needs a movement the runner's
    restrictions rule out (a single-leg squat with `no_squat`) is replaced by its alternative,
    and the plan says so."""
    ruled_out = frozenset(tag for r in restrictions for tag in RESTRICTION_TAGS[r])
    gates: dict[str, dict[GateCriterion, Reason]] = {}
    notes: list[str] = []
    for phase, criteria in decisions.gates.items():
        chosen: dict[GateCriterion, Reason] = {}
        for criterion, reason in criteria.items():
            needs = GATE_NEEDS.get(criterion)
            if needs is not None and needs[0] & ruled_out:
                alternative = needs[1]
                chosen.setdefault(alternative, reason)
                notes.append(
                    f'Before {phase.replace("_", " ")}: "{GATE_TEXT[alternative]}" is the '
                    f'test instead of "{GATE_TEXT[criterion]}", which is ruled out for you.'
                )
            else:
                chosen.setdefault(criterion, reason)
        gates[phase] = chosen
    if not notes:
        return decisions, []
    return replace(decisions, gates=gates), notes


def _gates(
    start: date,
    end: date,
    tapers: list[TaperSpan],
    settings: ScheduleSettings,
    decisions: Decisions,
    check_ins: list[CheckInRecord],
) -> tuple[PhasePlan, dict[str, GateEvidence]]:
    """Phases, each gate judged from the check-ins; an unmet gate delays its phase a week."""
    projected = plan_phases(start, end, tapers, settings)
    evidence: dict[str, GateEvidence] = {}
    delays: dict[str, int] = {}
    for name in ("strength", "running_form"):
        span = next(s for s in projected.spans if s.name == name)
        criteria = sorted(decisions.gates.get(name, {}), key=lambda c: c.value)
        evidence[name] = judge_gate(criteria, span.start, check_ins)
        delays[name] = gate_delay(evidence[name], span.start, check_ins)
    if not any(delays.values()):
        return projected, evidence
    return plan_phases(start, end, tapers, settings, delays), evidence


def _easy_pace(intake: Intake, settings: ScheduleSettings) -> float:
    """Minutes per km: the runner's own easy pace, or one estimated from the volume; slower
    when a rule says so (knee pain)."""
    running = intake.running
    if running.easy_pace is not None:
        pace = running.easy_pace / to_km(1.0, intake.athlete.units)
    else:
        pace = estimated_easy_pace(to_km(running.weekly_distance, intake.athlete.units))
    return min(MAX_EASY_PACE, pace * (1 + settings.easy_pace_slower))


def _quality_contexts(intake: Intake, season: Season) -> dict[int, QualityContext]:
    conditions = {s.condition for s in intake.symptoms}
    hills_ok = not conditions & TENDINOPATHIES
    downhill_ok = not conditions & NO_DOWNHILL
    return {
        event.index: QualityContext(
            klass=event.klass,
            race_name=event.main.goal.name,
            hilly=any(g.hilly for g in event.goals),
            downhill=any(g.downhill for g in event.goals),
            hills_allowed=hills_ok,
            downhill_allowed=downhill_ok,
            intervals_allowed=hills_ok,  # a tendon: threshold, never fast intervals (§6, §7)
        )
        for event in season.raced
    }


SPEED_AFTER_PLYOMETRICS_WEEKS = 2  # docs/plan-shape.md §6: two weeks of hops before speed


def _speed_from(
    intake: Intake,
    decisions: Decisions,
    ruleset: RuleSet,
    clock: StageClock,
    phase_plan: PhasePlan,
) -> date | None:
    """For an Achilles or hamstring tendinopathy, the Monday from which strides and intervals
    may come: two weeks after the hops' stage begins on the stage clock (docs/plan-shape.md §6, §7:
    speed is the tendon's last stage); never when hops are ruled out or come after the plan's
    strength and form work. None: no such limit."""
    if not has_tendinopathy(intake.symptoms):
        return None
    _, tags = blocked(decisions, list(intake.restrictions))
    if "jumping" in tags:
        return date.max
    catalog = ruleset.catalog
    hops = [
        p.from_week or 1
        for p in decisions.prescriptions.get("strength", {}).values()
        if p.exercise in catalog and "jumping" in catalog[p.exercise].contraindications
    ]
    if not hops:
        return date.max
    waits = decisions.staged_avoids.get("tag:jumping")
    start = max(min(hops), waits[0] if waits else 1)
    monday = monday_of(clock.start)
    for k in range(MAX_STAGE_WEEK * 2):
        week = monday + timedelta(weeks=k)
        if week > phase_plan.end:
            break
        if clock.week(week) >= start and phase_plan.phase_on(week).name != "activation":
            return week + timedelta(weeks=SPEED_AFTER_PLYOMETRICS_WEEKS)
    return date.max


def _speed_after_hops(
    sessions: list[dict[str, Any]], ruleset: RuleSet, speed_from: date | None
) -> list[str]:
    """For a tendon (`speed_from` set): strides only from two weeks after the first hops the
    plan actually holds (the load planner placed them from the earliest week the hops could
    start); and the plan's note saying so."""
    if speed_from is None:
        return []
    catalog = ruleset.catalog
    hops = min(
        (
            s["date"]
            for s in sessions
            if s["kind"] == "strength"
            for e in s["exercises"]
            if e.id in catalog and "jumping" in catalog[e.id].contraindications
        ),
        default=None,
    )
    allowed = date.max if hops is None else monday_of(hops) + timedelta(weeks=2)
    for session in sessions:
        workout = session.get("workout")
        if session["date"] >= allowed or workout is None or workout["kind"] != "strides":
            continue
        session["workout"] = None
        session["title"] = session["title"].replace(" + strides", "")
        session["notes"] = [n for n in session["notes"] if not n.startswith("Easy run + strides")]
        session["why"] = [w for w in session["why"] if w.rule != "plan.strides"]
    if hops is None:
        return [
            "No strides in this plan: for a sore tendon, speed comes only after two weeks of "
            "hops, which this plan does not reach."
        ]
    strides = any(s["date"] >= allowed and (s.get("workout") or {}).get("kind") == "strides"
                  for s in sessions)  # fmt: skip
    if not strides:  # held back for another reason (pain above the limits, a taper)
        return []
    return [
        f"Strides wait until the week of {allowed.isoformat()}, two weeks after the hops start: "
        "for a sore tendon, speed is the last stage."
    ]


def _default_quality(intake: Intake) -> QualityContext:
    """Without a race ahead: general fitness sessions (threshold and strides)."""
    conditions = {s.condition for s in intake.symptoms}
    return QualityContext(
        klass=RaceClass.half,
        race_name="your next race",
        hilly=False,
        downhill=False,
        hills_allowed=not conditions & TENDINOPATHIES,
        downhill_allowed=not conditions & NO_DOWNHILL,
        intervals_allowed=not conditions & TENDINOPATHIES,
    )


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
    check_ins = list(options.check_ins)
    decisions, gate_notes = _allowed_gates(decisions, list(intake.restrictions))
    start, units = intake.start_date, intake.athlete.units
    settings = ScheduleSettings.from_decisions(decisions)
    measure = Measure(units, _easy_pace(intake, settings))
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
    base_runs = min(runs_wanted, len(run_weekdays))
    season = build_season(start, goals, run_weekdays, long_day)
    tapers = [
        TaperSpan(event.main.index, season.taper_start[event.index], event.last)
        for event in season.a_events()
    ]
    phase_plan, evidence = _gates(start, season.end, tapers, settings, decisions, check_ins)
    if phase_plan.end > season.end:  # the phases' minimum lengths run past the last race
        season = build_season(start, goals, run_weekdays, long_day, min_end=phase_plan.end)
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
    quality = _quality_contexts(intake, season)
    clock = stage_clock(start, check_ins, intake.symptoms)
    sick, sore = sick_days(check_ins), sore_days(check_ins)  # no training; no running
    first_rest = {start + timedelta(days=k) for k in range(settings.rest_days_first)}
    planner = LoadPlanner(
        LoadInputs(
            start=start,
            season=season,
            demand=demand,
            phase_plan=phase_plan,
            settings=settings,
            caps={phase: (ranked.value, ranked.reason) for phase, ranked in decisions.caps.items()},
            measure=measure,
            current_km=current_km,
            longest_km=to_km(intake.running.longest_run, units),
            run_weekdays=run_weekdays,
            runs_per_week=base_runs,
            long_run_weekday=long_day,
            quality=quality,
            quality_default=_default_quality(intake),
            speed_from=_speed_from(intake, decisions, ruleset, clock, phase_plan),
            intensity_pain_ok=intake_allows_intensity(intake.symptoms),
            adjustments=adjustments(check_ins),
            pain_by_week=intensity_by_week(check_ins, has_tendinopathy(intake.symptoms)),
            skipped=frozenset(day for c in check_ins for day in c.skipped_runs),
            paused=sick | sore | first_rest,
            regressions=tuple(c.day for c in check_ins if c.verdict == "regress"),
        )
    )
    weeks = planner.plan()
    preferred = (
        [d.number for d in availability.strength_days] if availability.strength_days else None
    )
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
    notes_by_kind: dict[str, list[tuple[str, Reason]]] = {}
    for kind, text, reason in decisions.notes:
        notes_by_kind.setdefault(kind, []).append((text, reason))
    sessions = SessionBuilder(
        SessionContext(
            lineage=options.lineage,
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
            sick_days=sick,
            sore_days=sore - sick,
            condition_rules=_symptom_rules(ruleset),
        )
    ).build(start, season.end)
    speed_note = _speed_after_hops(sessions, ruleset, planner.i.speed_from)
    feasible = feasibility(
        season,
        demand,
        weeks,
        planner.shortened,
        measure,
        len(run_weekdays),
        phase_plan.compressed,
        settings.progression_limit,
    )
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
        **header,
        "status": "goal_at_risk" if at_risk else "ok",
        "end": season.end,
        "phases": _phases_out(phase_plan, decisions, names, evidence),
        "weeks": _weeks_out(weeks, measure),
        "sessions": sessions,
        "warnings": warnings,
        "feasibility": feasible,
        "exercises": exercise_info,
        "notes": [
            *[text for text, _ in notes_by_kind.get("plan", [])],
            *dict.fromkeys(note for stage in stages for note in stage.exercises.notes),
            *gate_notes,
            *speed_note,
        ],
        "blocks": season_blocks(season, demand, planner.shortened),
    }


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

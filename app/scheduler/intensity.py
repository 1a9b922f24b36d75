"""Easy pace and intensity: the quality sessions a race calls for, and when speed may come
for a sore tendon (after the hops)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from app.engine.decisions import Decisions
from app.engine.model import RuleSet
from app.engine.verbs import MAX_STAGE_WEEK
from app.facts.build import to_km
from app.intake.models import Intake
from app.intake.vocabulary import Condition
from app.scheduler.calendar import monday_of
from app.scheduler.checkins import (
    TENDINOPATHIES,
    has_tendinopathy,
)
from app.scheduler.exercises import (
    blocked,
)
from app.scheduler.goals import RaceClass
from app.scheduler.phases import PhasePlan
from app.scheduler.quality import QualityContext
from app.scheduler.season import Season
from app.scheduler.settings import ScheduleSettings
from app.scheduler.strength import StageClock
from app.scheduler.units import estimated_easy_pace

NO_DOWNHILL = frozenset({Condition.patellofemoral_pain, Condition.it_band_syndrome})


MAX_EASY_PACE = 13.5  # min/km, after any slowing for knee pain


def easy_pace_of(intake: Intake, settings: ScheduleSettings) -> float:
    """Minutes per km: the runner's own easy pace, or one estimated from the volume; slower
    when a rule says so (knee pain)."""
    running = intake.running
    if running.easy_pace is not None:
        pace = running.easy_pace / to_km(1.0, intake.athlete.units)
    else:
        pace = estimated_easy_pace(to_km(running.weekly_distance, intake.athlete.units))
    return min(MAX_EASY_PACE, pace * (1 + settings.easy_pace_slower))


def quality_contexts(intake: Intake, season: Season) -> dict[int, QualityContext]:
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


def speed_from(
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


def speed_after_hops(
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


def default_quality(intake: Intake) -> QualityContext:
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

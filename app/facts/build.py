"""Intake → facts: small flat records the rules match (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.facts.schema import Scalar
from app.intake.models import Intake
from app.intake.vocabulary import KM_PER_MILE, MASTERS_AGE, Units

Fact = dict[str, Scalar]


def to_km(distance: float, units: Units) -> float:
    """Convert a distance in the athlete's units to kilometres."""
    return distance * KM_PER_MILE if units == Units.mi else distance


def pain_zone(pain: int) -> str:
    """The pain-monitoring zones: 0-3 safe, 4-5 acceptable, above 5 too much."""
    if pain <= 3:
        return "safe"
    return "acceptable" if pain <= 5 else "too_much"


def volume_band(weekly_km: float) -> str:
    if weekly_km <= 0:
        return "none"
    if weekly_km < 25:
        return "low"
    return "moderate" if weekly_km < 50 else "high"


@dataclass(frozen=True, slots=True)
class CheckInFacts:
    """What a check-in contributes to the rules (the pain-monitoring model's inputs)."""

    pain_during: int
    pain_next_morning: int | None
    skipped_sessions: int
    completed_sessions: int


def intake_facts(
    intake: Intake,
    start: date,
    check_ins: Iterable[CheckInFacts] = (),
    *,
    red_flags: Iterable[str] = (),
) -> list[Fact]:
    """Flatten an intake (and any check-ins, and red flags reported at check-ins) into facts,
    in a deterministic order."""
    flags = list(dict.fromkeys([*(f.value for f in intake.red_flags), *red_flags]))
    units = intake.athlete.units
    weekly_km = round(to_km(intake.running.weekly_distance, units), 2)
    facts: list[Fact] = [
        {
            "t": "athlete",
            "units": units.value,
            "running_now": weekly_km > 0,
            "volume_band": volume_band(weekly_km),
            "weekly_km": weekly_km,
            "weekly_mi": round(weekly_km / KM_PER_MILE, 2),
            "longest_run_km": round(to_km(intake.running.longest_run, units), 2),
            "longest_run_mi": round(to_km(intake.running.longest_run, units) / KM_PER_MILE, 2),
            "runs_per_week": intake.running.runs_per_week,
            "has_symptoms": bool(intake.symptoms),
            "has_red_flags": bool(flags),
            "bone_stress_history": intake.bone_stress_history,
        }
    ]
    if intake.athlete.age is not None:
        facts[0]["age"] = intake.athlete.age
        facts[0]["masters"] = intake.athlete.age >= MASTERS_AGE
    if intake.athlete.sex is not None:
        facts[0]["sex"] = intake.athlete.sex.value
    for symptom in intake.symptoms:
        fact: Fact = {
            "t": "symptom",
            "condition": symptom.condition,
            "pain_running_zone": pain_zone(symptom.pain_running),
            "pain_rest_zone": pain_zone(symptom.pain_rest),
            "pain_running": symptom.pain_running,
            "pain_rest": symptom.pain_rest,
        }
        if symptom.side is not None:
            fact["side"] = symptom.side.value
        if symptom.trend is not None:
            fact["trend"] = symptom.trend.value
        if symptom.weeks is not None:
            fact["weeks"] = symptom.weeks
            fact["chronic"] = symptom.weeks >= 12
        facts.append(fact)
    for finding in intake.findings:
        fact = {"t": "finding", "name": finding.name}
        if finding.side is not None:
            fact["side"] = finding.side.value
        if finding.grade is not None:
            fact["grade"] = finding.grade
            fact["weak"] = finding.grade <= 3
        if finding.value is not None:
            fact["value"] = finding.value
        facts.append(fact)
    facts.extend({"t": "restriction", "name": r} for r in intake.restrictions)
    facts.extend({"t": "red_flag", "name": flag} for flag in flags)
    facts.extend({"t": "red_s", "name": sign.value} for sign in intake.red_s_screen)
    for goal in intake.goals:
        fact = {
            "t": "goal",
            "type": goal.type.value,
            "priority": goal.priority.value,
            "weeks_away": max(0, (goal.date - start).days // 7),
            "timed": goal.start_time is not None,
        }
        if goal.team_format is not None:
            fact["team_format"] = goal.team_format.value
        if goal.legs is not None:
            fact["legs"] = goal.legs
        if goal.distance is not None:
            fact["distance_km"] = round(to_km(goal.distance, units), 2)
            fact["distance_mi"] = round(to_km(goal.distance, units) / KM_PER_MILE, 2)
        facts.append(fact)
    baseline = max((s.pain_rest for s in intake.symptoms), default=0)
    for check_in in check_ins:
        fact = {
            "t": "check_in",
            "pain_during_zone": pain_zone(check_in.pain_during),
            "morning_worse": (check_in.pain_next_morning or 0) > baseline,
            "reported_morning": check_in.pain_next_morning is not None,
            "pain_during": check_in.pain_during,
            "skipped_sessions": check_in.skipped_sessions,
            "completed_sessions": check_in.completed_sessions,
        }
        if check_in.pain_next_morning is not None:
            fact["pain_next_morning"] = check_in.pain_next_morning
        facts.append(fact)
    return facts

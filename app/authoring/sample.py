"""Random valid intakes, to check that a rule set can never produce an unsafe plan.

`strideplan rules check` runs a bounded, seeded sample; the test suite drives the same generator
with hypothesis (which shrinks a failure to a small counterexample).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError

from app.engine.decisions import decide
from app.engine.evaluate import evaluate
from app.engine.model import RuleSet
from app.errors import InvalidInput, SafetyViolation
from app.facts.build import intake_facts
from app.intake.checks import finalize
from app.intake.models import Intake
from app.intake.vocabulary import (
    Condition,
    Finding,
    GoalType,
    Priority,
    RedFlag,
    RedSSign,
    Restriction,
    Side,
    TeamFormat,
    Trend,
    Units,
    Weekday,
)
from app.plan.build import build_plan

SAMPLE_START = date(2026, 3, 2)


def _pick(rng: random.Random, values: list[Any], low: int, high: int) -> list[Any]:
    return rng.sample(values, rng.randint(low, min(high, len(values))))


def random_intake(rng: random.Random) -> dict[str, Any]:
    """A random intake that passes validation (most of the time: see `check_sample`)."""
    units = rng.choice([unit.value for unit in Units])
    weekly = rng.choice([0.0, round(rng.uniform(3, 90), 1)])
    runs = 0 if weekly == 0 else rng.randint(1, 6)
    days = sorted(rng.sample(list(Weekday), rng.randint(max(1, runs), 7)), key=lambda d: d.number)
    longest = 0.0 if weekly == 0 else round(rng.uniform(weekly * 0.15, weekly * 0.6), 1) or 1.0
    availability: dict[str, Any] = {
        "run_days": [d.value for d in days],
        "long_run_day": rng.choice(days).value,
    }
    if rng.random() < 0.5:
        availability["strength_days"] = [d.value for d in _pick(rng, list(Weekday), 1, 4)]
    if rng.random() < 0.3:
        availability["session_time"] = f"{rng.randint(5, 20):02d}:{rng.choice([0, 15, 30, 45]):02d}"
    symptoms = []
    for condition in _pick(rng, list(Condition), 0, 3):
        symptom: dict[str, Any] = {
            "condition": condition.value,
            "pain_rest": rng.randint(0, 6),
            "pain_running": rng.randint(0, 9),
        }
        if rng.random() < 0.7:
            symptom["side"] = rng.choice(list(Side)).value
        if rng.random() < 0.5:
            symptom["weeks"] = rng.randint(0, 40)
            symptom["trend"] = rng.choice(list(Trend)).value
        symptoms.append(symptom)
    findings = []
    for finding in _pick(rng, list(Finding), 0, 4):
        item: dict[str, Any] = {"name": finding.value}
        if rng.random() < 0.6:
            item["side"] = rng.choice(list(Side)).value
        if rng.random() < 0.4:
            item["grade"] = rng.randint(2, 5)
        findings.append(item)
    goals = []
    for index in range(rng.choice([0, 1, 1, 2])):
        kind = rng.choice(list(GoalType))
        goal: dict[str, Any] = {
            "name": f"Goal {index + 1}",
            "date": (SAMPLE_START + timedelta(days=rng.randint(10, 360))).isoformat(),
            "type": kind.value,
            "priority": rng.choice(list(Priority)).value,
        }
        if kind == GoalType.relay:
            goal["team_format"] = rng.choice(list(TeamFormat)).value
            goal["legs"] = rng.randint(2, 6)
            goal["distance"] = round(rng.uniform(10, 60), 1)
        if rng.random() < 0.3:
            goal["start_time"] = "08:15"
        goals.append(goal)
    return {
        "athlete": {
            "name": "Sample",
            "timezone": rng.choice(["UTC", "Europe/Berlin", "America/New_York"]),
            "units": units,
            **({"age": rng.randint(16, 80)} if rng.random() < 0.5 else {}),
        },
        "start_date": SAMPLE_START.isoformat(),
        "running": {"weekly_distance": weekly, "longest_run": longest, "runs_per_week": runs},
        "availability": availability,
        "symptoms": symptoms,
        "findings": findings,
        "restrictions": [r.value for r in _pick(rng, list(Restriction), 0, 3)],
        "red_flags": [f.value for f in _pick(rng, list(RedFlag), 0, 1)]
        if rng.random() < 0.1
        else [],
        "bone_stress_history": rng.random() < 0.1,
        "red_s_screen": [s.value for s in _pick(rng, list(RedSSign), 0, 1)]
        if rng.random() < 0.05
        else [],
        "goals": goals,
    }


@dataclass(frozen=True, slots=True)
class Counterexample:
    """An intake whose plan breaks a safety rule (or whose generation failed)."""

    intake: dict[str, Any]
    problems: list[str]


def check_one(ruleset: RuleSet, data: dict[str, Any]) -> Counterexample | None:
    """Build the plan for one intake; a safety violation or a crash is a counterexample.
    Intakes the contract rejects are not counterexamples."""
    try:
        intake = finalize(Intake.model_validate(data), SAMPLE_START)
    except (ValidationError, InvalidInput):
        return None
    try:
        build_plan(intake, ruleset)
    except SafetyViolation as exc:
        return Counterexample(data, [str(d) for d in exc.detail])
    except Exception as exc:  # a crash on a valid intake is a bug worth reporting as such
        return Counterexample(data, [f"plan generation failed: {type(exc).__name__}: {exc}"])
    return None


@dataclass(frozen=True, slots=True)
class ShadowedCap:
    """A rule's cap that fired in the sample but never applied: a lower cap always won."""

    rule: str
    phase: str
    fired: int
    winners: tuple[str, ...]

    def __str__(self) -> str:
        return (
            f"{self.rule}: its {self.phase} cap fired for {self.fired} sampled runner(s) but "
            f"never applied; a lower cap always won ({', '.join(self.winners)})"
        )


def shadowed_caps(ruleset: RuleSet, count: int = 200, seed: int = 20261121) -> list[ShadowedCap]:
    """Caps that fire but never win over `count` seeded random intakes (the lowest cap wins,
    docs/plan-shape.md §8): a coach's cap that never applies is probably not what was meant."""
    rng = random.Random(seed)
    fired: dict[tuple[str, str], int] = {}
    won: set[tuple[str, str]] = set()
    winners: dict[tuple[str, str], set[str]] = {}
    for _ in range(count):
        data = random_intake(rng)
        try:
            intake = finalize(Intake.model_validate(data), SAMPLE_START)
        except (ValidationError, InvalidInput):
            continue
        assert intake.start_date is not None
        decisions = decide(evaluate(ruleset, intake_facts(intake, intake.start_date)))
        for phase, candidates in decisions.cap_candidates.items():
            winner = decisions.caps[phase].reason.rule
            for candidate in candidates:
                key = (candidate.reason.rule, phase)
                fired[key] = fired.get(key, 0) + 1
                if candidate.reason.rule == winner:
                    won.add(key)
                else:
                    winners.setdefault(key, set()).add(winner)
    return [
        ShadowedCap(rule, phase, times, tuple(sorted(winners.get((rule, phase), ()))))
        for (rule, phase), times in sorted(fired.items())
        if (rule, phase) not in won
    ]


PAIN_SCENARIOS = ((6, 2), (9, 9), (2, 7), (5, 1), (4, 1))  # (during, next morning)


def pain_model_problems(ruleset: RuleSet) -> list[str]:
    """Check-ins the rules would judge more leniently than the pain model allows (pain above
    5/10 or worse next morning must regress; 4-5/10 must not progress). The service enforces
    the bound anyway; a rule set that contradicts it is refused."""
    from app.engine.verbs import CAUTION
    from app.facts.build import CheckInFacts
    from app.plan.protect import pain_floor

    data = random_intake(random.Random(1))
    data.update(
        red_flags=[],
        red_s_screen=[],
        symptoms=[{"condition": "knee_pain", "side": "left", "pain_rest": 1, "pain_running": 2}],
    )
    intake = finalize(Intake.model_validate(data), SAMPLE_START)
    problems = []
    for during, morning in PAIN_SCENARIOS:
        facts = intake_facts(intake, SAMPLE_START, [CheckInFacts(during, morning, 0, 0)])
        check = next(f for f in facts if f["t"] == "check_in")
        response = decide(evaluate(ruleset, facts)).response
        verdict = response[0] if response else "hold"
        floor, _ = pain_floor(during, bool(check["morning_worse"]))
        if CAUTION[verdict] < CAUTION[floor]:
            rules = ", ".join(r.rule for r in response[1]) if response else "no rule"
            problems.append(
                f"pain {during}/10 while running, {morning}/10 next morning: the rules say "
                f"{verdict} ({rules}) but the pain model requires at least {floor}"
            )
    return problems


def check_sample(
    ruleset: RuleSet,
    count: int = 200,
    seed: int = 20261121,
    stop: Callable[[], None] = lambda: None,
) -> Counterexample | None:
    """The first counterexample among `count` seeded random intakes, if any (`stop` is called
    before each and may raise to end the work early)."""
    rng = random.Random(seed)
    for _ in range(count):
        stop()
        found = check_one(ruleset, random_intake(rng))
        if found is not None:
            return found
    return None

"""The safety rules no rule set may break (DESIGN.md), checked on every plan before it is
returned. They read the intake directly, so a rule set that forgets a red flag or a
restriction still cannot produce an unsafe plan."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from app.catalog.models import Catalog
from app.intake.models import Intake
from app.intake.vocabulary import RESTRICTION_TAGS
from app.plan.models import Plan
from app.scheduler.settings import MIN_ACTIVATION_DAYS

PROGRESSION_LIMIT = 0.10
TWO_WEEK_LIMIT = 0.30
SINGLE_RUN_LIMIT = 1.10
EPSILON = 0.051  # distances are rounded to 0.1
PHASE_ORDER = {"activation": 0, "strength": 1, "running_form": 2, "taper": 2}


@dataclass(frozen=True, slots=True)
class Violation:
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def _red_flags(plan: Plan, intake: Intake) -> Iterator[Violation]:
    if not intake.red_flags:
        return
    if plan.status != "referral_required":
        flags = ", ".join(flag.value for flag in intake.red_flags)
        yield Violation("red_flag_not_referred", f"red flags ({flags}) but status {plan.status}")
    for session in plan.sessions:
        if session.kind in ("run", "race", "strength") or any(e.load for e in session.exercises):
            yield Violation("red_flag_training", f"{session.date} {session.kind} despite red flags")


def _phases(plan: Plan) -> Iterator[Violation]:
    names = [p.name for p in plan.phases]
    for required in ("activation", "strength", "running_form"):
        if required not in names:
            yield Violation("phase_missing", f"no {required} phase")
    if names[:3] != ["activation", "strength", "running_form"] and "activation" in names:
        yield Violation("phase_order", f"phases out of order: {names}")
    if plan.phases and plan.phases[0].name == "activation":
        activation = plan.phases[0]
        length = (activation.end - activation.start).days + 1
        if length < MIN_ACTIVATION_DAYS:
            yield Violation("activation_short", f"activation lasts {length} days")
        have = {s.date for s in plan.sessions if s.kind == "activation"}
        day = activation.start
        while day <= activation.end:
            if day not in have:
                yield Violation("activation_gap", f"no activation session on {day}")
                break
            day += timedelta(days=1)
    last = 0
    for session in plan.sessions:
        order = PHASE_ORDER[session.phase]
        if order < last and session.phase != "taper":
            yield Violation("phase_order", f"{session.date} is {session.phase} after a later phase")
        last = max(last, order)


def _weeks(plan: Plan, intake: Intake) -> Iterator[Violation]:
    history: list[float] = []
    for week in plan.weeks:
        if week.planned_distance > week.cap + EPSILON:
            yield Violation(
                "cap", f"week {week.start} plans {week.planned_distance} over cap {week.cap}"
            )
        if not week.walk_run:
            if not history and week.planned_distance > intake.running.weekly_distance + EPSILON:
                yield Violation("progression", f"first week {week.start} above current volume")
            if history:
                limit = max(history[-2:]) * (1 + PROGRESSION_LIMIT) + EPSILON
                if week.planned_distance > limit:
                    yield Violation(
                        "progression",
                        f"week {week.start}: {week.planned_distance} > {limit:.1f} (+10% limit)",
                    )
            if len(history) >= 2:
                limit = max(history[-3:-1]) * (1 + TWO_WEEK_LIMIT) + EPSILON
                if week.planned_distance > limit:
                    yield Violation(
                        "progression_two_weeks",
                        f"week {week.start}: {week.planned_distance} > {limit:.1f} "
                        "(+30% in 2 weeks)",
                    )
        history.append(week.planned_distance)


def _runs(plan: Plan, intake: Intake) -> Iterator[Violation]:
    runs: deque[tuple[date, float]] = deque()
    if intake.running.weekly_distance > 0 and intake.start_date is not None:
        runs.append((intake.start_date - timedelta(days=1), intake.running.longest_run))
    for session in plan.sessions:
        if session.kind != "run" or session.distance is None:
            continue
        walk_run = any(i.walk_minutes > 0 for i in session.intervals)
        while runs and runs[0][0] < session.date - timedelta(days=30):
            runs.popleft()
        window = [d for when, d in runs if when < session.date]
        limit = max(window, default=0.0) * SINGLE_RUN_LIMIT + EPSILON
        if not walk_run and session.distance > limit:
            yield Violation(
                "single_run",
                f"{session.date}: run of {session.distance} > {limit:.1f} (110% of 30-day longest)",
            )
        runs.append((session.date, session.distance))


def _strength(plan: Plan, intake: Intake) -> Iterator[Violation]:
    strength = sorted({s.date for s in plan.sessions if s.kind == "strength"})
    for earlier, later in itertools.pairwise(strength):
        if (later - earlier).days < 2:
            yield Violation("strength_consecutive", f"strength on {earlier} and {later}")
    long_day = intake.availability.long_run_day.number
    long_run_days = {
        s.date for s in plan.sessions if s.kind == "run" and s.date.weekday() == long_day
    }
    for day in strength:
        if day in long_run_days or day + timedelta(days=1) in long_run_days:
            yield Violation(
                "strength_before_long_run", f"strength on {day} within 48 h of a long run"
            )


def _contraindications(
    plan: Plan,
    intake: Intake,
    catalog: Catalog,
    avoided_ids: frozenset[str],
    avoided_tags: frozenset[str],
) -> Iterator[Violation]:
    tags = set(avoided_tags)
    for restriction in intake.restrictions:
        tags |= RESTRICTION_TAGS[restriction]
    ruled_out = {
        exercise.id: sorted(tags.intersection(exercise.contraindications)) or ["avoided"]
        for exercise in catalog.exercises.values()
        if tags.intersection(exercise.contraindications) or exercise.id in avoided_ids
    }
    for session in plan.sessions:
        for entry in [*session.exercises, *session.drills]:
            if entry.id not in catalog.exercises:
                yield Violation(
                    "unknown_exercise", f"{session.date}: {entry.id} not in the catalog"
                )
            elif entry.id in ruled_out:
                yield Violation(
                    "contraindicated",
                    f"{session.date}: {entry.id} is ruled out ({', '.join(ruled_out[entry.id])})",
                )


def check_plan(
    plan: Plan,
    intake: Intake,
    catalog: Catalog,
    avoided_ids: frozenset[str] = frozenset(),
    avoided_tags: frozenset[str] = frozenset(),
) -> list[Violation]:
    """Every safety rule the plan breaks (an empty list for a safe plan)."""
    violations = list(_red_flags(plan, intake))
    violations += _contraindications(plan, intake, catalog, avoided_ids, avoided_tags)
    if plan.status == "referral_required":
        return violations
    violations += _phases(plan)
    violations += _weeks(plan, intake)
    violations += _runs(plan, intake)
    violations += _strength(plan, intake)
    return violations


def summarise(violations: list[Violation], per_code: int = 3) -> list[str]:
    """The first few violations of each kind, and how many more there are."""
    shown: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for violation in violations:
        counts[violation.code] = counts.get(violation.code, 0) + 1
        if counts[violation.code] <= per_code:
            shown.setdefault(violation.code, []).append(str(violation))
    lines = []
    for code, texts in shown.items():
        lines.extend(texts)
        if counts[code] > per_code:
            lines.append(f"{code}: ... and {counts[code] - per_code} more")
    return lines

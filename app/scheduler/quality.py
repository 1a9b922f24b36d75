"""Intensity (docs/plan-shape.md §6): strides first, then one quality session a week for the goal.

Each workout says what to do and why. Whether intensity is allowed at all (phase, pain,
walk-run, recovery after a race) is decided by the load planner; this module only chooses and
describes the session.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.decisions import Reason
from app.scheduler.goals import RaceClass

STRIDE_WEEKS = 2  # weeks of strides only before the first quality session


@dataclass(frozen=True, slots=True)
class Workout:
    kind: str  # strides | threshold | intervals | race_pace | long_finish | hills | downhill |
    #           taper_pace | shake_out
    title: str
    detail: str
    hard: bool
    reason: Reason


REASONS = {
    "strides": Reason(
        "plan.strides",
        "Short, relaxed strides keep your legs used to a quicker turnover without tiring them; "
        "they are the first step before harder sessions.",
    ),
    "threshold": Reason(
        "plan.quality.threshold",
        "Running at a comfortably hard effort raises the pace you can hold for a long time; one "
        "such session a week, never the day before or after another hard day.",
    ),
    "intervals": Reason(
        "plan.quality.intervals",
        "Repeats a little faster than race pace build the speed a 5k or 10k asks for; one "
        "quality session a week, away from the long run.",
    ),
    "race_pace": Reason(
        "plan.quality.race_pace",
        "Running stretches at the pace you plan to race teaches your body and your judgement "
        "that pace before race day.",
    ),
    "hills": Reason(
        "plan.quality.hills",
        "Uphill repeats build strength and power for a hilly course with less pounding than "
        "fast running on the flat.",
    ),
    "downhill": Reason(
        "plan.quality.downhill",
        "A course that drops a lot loads the thighs as they brake; gentle downhill repeats "
        "prepare them gradually.",
    ),
    "taper_pace": Reason(
        "plan.quality.taper",
        "In the taper, volume falls but short race-pace segments keep you sharp (the taper "
        "cuts how much you run, not how fast).",
    ),
    "shake_out": Reason(
        "plan.shake_out",
        "A short, easy run with a few strides in the last days before a race keeps your legs "
        "loose without tiring them.",
    ),
}

# Each step: what to do, and its minutes of work and recovery (a 15-minute warm-up and a
# 10-minute cool-down come on top).
Step = tuple[str, int]
_THRESHOLD: tuple[Step, ...] = (
    ("3 × 6 min", 22),
    ("3 × 8 min", 28),
    ("4 × 8 min", 38),
    ("3 × 10 min", 34),
    ("2 × 15 min", 32),
    ("20 min continuous", 20),
)
_INTERVALS: tuple[Step, ...] = (
    ("6 × 2 min", 22),
    ("5 × 3 min", 23),
    ("6 × 3 min", 28),
    ("5 × 4 min", 28),
    ("4 × 5 min", 26),
)
_HILLS: tuple[Step, ...] = (
    ("6 × 45 s", 14),
    ("8 × 45 s", 18),
    ("8 × 60 s", 22),
    ("10 × 60 s", 27),
    ("6 × 90 s", 24),
)
_DOWNHILL: tuple[Step, ...] = (("4 × 60 s", 12), ("5 × 60 s", 15), ("6 × 60 s", 18))
_RACE_PACE_MINUTES = (15, 20, 25, 30, 40)
WARM_UP_AND_DOWN = 25
_TAPER: dict[RaceClass, Step] = {
    RaceClass.short: ("4 × 3 min at race pace with 2 min easy between", 18),
    RaceClass.half: ("3 × 6 min at race pace with 2 min easy between", 22),
    RaceClass.marathon: ("2 × 10 min at race pace with 3 min easy between", 23),
    RaceClass.ultra: ("3 × 5 min at a strong, steady effort with 3 min easy between", 21),
}


def strides(count: int = 6) -> str:
    return f"finish with {count} × 20 s strides (quick and relaxed, not a sprint), walk back"


def _fit(steps: tuple[Step, ...], n: int, minutes: int) -> str | None:
    """The n-th step, or the largest earlier one that fits in the run's minutes."""
    for text, work in reversed(steps[: min(n, len(steps) - 1) + 1]):
        if work + WARM_UP_AND_DOWN <= minutes:
            return text
    return None


@dataclass(frozen=True, slots=True)
class QualityContext:
    """What the runner's goal and body allow."""

    klass: RaceClass
    race_name: str
    hilly: bool
    downhill: bool
    hills_allowed: bool  # not for Achilles or hamstring tendinopathy (docs/plan-shape.md §6)
    downhill_allowed: bool  # not with a patellofemoral or IT-band module
    speed_allowed: bool = True  # strides (a tendinopathy: after plyometrics)
    intervals_allowed: bool = True  # fast intervals (never for a tendinopathy: threshold)


def weekly_workout(ctx: QualityContext, n: int, minutes: int, long_minutes: int) -> Workout | None:
    """The n-th quality session of a build (0-based), fitted to a run of `minutes` (or, for a
    race-pace finish, to the week's long run of `long_minutes`); None if nothing fits."""
    step = n // 2
    if ctx.hilly and ctx.hills_allowed and (n % 2 == 0 or ctx.klass == RaceClass.ultra):
        work = _fit(_HILLS, step, minutes)
        if work is not None:
            return Workout(
                "hills",
                "Hills",
                f"after 15 min easy, {work} uphill at a strong effort, jog back down between; "
                "then easy to finish",
                True,
                REASONS["hills"],
            )
    if ctx.downhill and ctx.downhill_allowed and n % 2 == 1:
        work = _fit(_DOWNHILL, step, minutes)
        if work is not None:
            return Workout(
                "downhill",
                "Downhill repeats",
                f"after 15 min easy, {work} on a gentle downhill with short, quick steps, walk "
                "back up between",
                True,
                REASONS["downhill"],
            )
    if ctx.klass in (RaceClass.half, RaceClass.marathon) and n % 2 == 1 and long_minutes >= 75:
        segment = min(_RACE_PACE_MINUTES[min(step, len(_RACE_PACE_MINUTES) - 1)], long_minutes // 3)
        return Workout(
            "long_finish",
            "Long run with a race-pace finish",
            f"run the last {segment} minutes at the pace you plan for {ctx.race_name}",
            True,
            REASONS["race_pace"],
        )
    if ctx.klass == RaceClass.short and n % 2 == 0 and ctx.intervals_allowed:
        work = _fit(_INTERVALS, step, minutes)
        if work is not None:
            return Workout(
                "intervals",
                "Intervals",
                f"after 15 min easy, {work} at 5k-10k effort with 2 min easy jogging between; "
                "then easy to finish",
                True,
                REASONS["intervals"],
            )
    work = _fit(_THRESHOLD, step, minutes)
    if work is None:
        return None
    return Workout(
        "threshold",
        "Threshold",
        f"after 15 min easy, {work} at a comfortably hard effort (you could say a few words, "
        "not hold a chat) with 2 min easy between; then easy to finish",
        True,
        REASONS["threshold"],
    )


def taper_workout(ctx: QualityContext, minutes: int) -> Workout | None:
    """Short race-pace segments early in the taper, if the run has room for them."""
    detail, work = _TAPER[ctx.klass]
    if work + WARM_UP_AND_DOWN > minutes:
        return None
    return Workout(
        "taper_pace",
        "Race-pace segments",
        f"after 15 min easy, {detail}; then easy to finish",
        True,
        REASONS["taper_pace"],
    )


def shake_out() -> Workout:
    return Workout(
        "shake_out",
        "Shake-out",
        "an easy 15-25 minutes, then 4 × 20 s strides",
        False,
        REASONS["shake_out"],
    )


def stride_workout() -> Workout:
    return Workout("strides", "Easy run + strides", strides(), False, REASONS["strides"])

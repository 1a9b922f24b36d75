"""Intensity (coaching.md §6): strides first, then one quality session a week suited to the goal.

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

_THRESHOLD = (
    "3 × 6 min",
    "3 × 8 min",
    "4 × 8 min",
    "3 × 10 min",
    "2 × 15 min",
    "20 min continuous",
)
_INTERVALS = ("6 × 2 min", "5 × 3 min", "6 × 3 min", "5 × 4 min", "4 × 5 min")
_HILLS = ("6 × 45 s", "8 × 45 s", "8 × 60 s", "10 × 60 s", "6 × 90 s")
_DOWNHILL = ("4 × 60 s", "5 × 60 s", "6 × 60 s", "6 × 90 s")
_RACE_PACE_KM = (3, 5, 6, 8, 10)


def strides(count: int = 6) -> str:
    return f"finish with {count} × 20 s strides (quick and relaxed, not a sprint), walk back"


def _pick(steps: tuple[str, ...], n: int) -> str:
    return steps[min(n, len(steps) - 1)]


@dataclass(frozen=True, slots=True)
class QualityContext:
    """What the runner's goal and body allow."""

    klass: RaceClass
    race_name: str
    hilly: bool
    downhill: bool
    hills_allowed: bool  # not for Achilles or hamstring tendinopathy (coaching.md §6)
    downhill_allowed: bool  # not with a patellofemoral or IT-band module


def weekly_workout(ctx: QualityContext, n: int, long_run_km: float) -> Workout:
    """The n-th quality session of a build (0-based)."""
    step = n // 2
    if ctx.hilly and ctx.hills_allowed and (n % 2 == 0 or ctx.klass == RaceClass.ultra):
        return Workout(
            "hills",
            "Hills",
            f"after 15 min easy, {_pick(_HILLS, step)} uphill at a strong effort, jog back down "
            "between; then easy to finish",
            True,
            REASONS["hills"],
        )
    if ctx.downhill and ctx.downhill_allowed and n % 2 == 1:
        return Workout(
            "downhill",
            "Downhill repeats",
            f"after 15 min easy, {_pick(_DOWNHILL, step)} on a gentle downhill with short, quick "
            "steps, walk back up between",
            True,
            REASONS["downhill"],
        )
    if ctx.klass == RaceClass.short and n % 2 == 0:
        return Workout(
            "intervals",
            "Intervals",
            f"after 15 min easy, {_pick(_INTERVALS, step)} at 5k-10k effort with 2 min easy "
            "jogging between; then easy to finish",
            True,
            REASONS["intervals"],
        )
    if ctx.klass in (RaceClass.half, RaceClass.marathon) and n % 2 == 1 and long_run_km >= 12:
        segment = min(_RACE_PACE_KM[min(step, len(_RACE_PACE_KM) - 1)], int(long_run_km / 3))
        return Workout(
            "long_finish",
            "Long run with a race-pace finish",
            f"run the last {segment} km at the pace you plan for {ctx.race_name}",
            True,
            REASONS["race_pace"],
        )
    return Workout(
        "threshold",
        "Threshold",
        f"after 15 min easy, {_pick(_THRESHOLD, step)} at a comfortably hard effort (you could "
        "say a few words, not hold a chat) with 2 min easy between; then easy to finish",
        True,
        REASONS["threshold"],
    )


def taper_workout(ctx: QualityContext) -> Workout:
    """Short race-pace segments early in the taper."""
    detail = {
        RaceClass.short: "4 × 1 km at race pace with 2 min easy between",
        RaceClass.half: "3 × 2 km at race pace with 2 min easy between",
        RaceClass.marathon: "2 × 3 km at race pace with 3 min easy between",
        RaceClass.ultra: "3 × 5 min at a strong, steady effort with 3 min easy between",
    }[ctx.klass]
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

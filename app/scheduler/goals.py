"""Race goals: their distance class, what each needs (in km) and the coach's settings for it.

A goal's class shapes its season (docs/plan-shape.md §1-§5): a 5k/10k is `short`, a half
marathon or a regular relay team's legs `half`, a marathon or an ultra relay team's legs
`marathon`, an ultramarathon `ultra`. The rules set the numbers (`target`); each is clamped
into the bounds its class allows, and a clamped value is reported, never silently used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from app.engine.decisions import Decisions, Reason
from app.facts.build import to_km
from app.intake.models import GoalIn
from app.intake.vocabulary import KM_PER_MILE, GoalType, Priority, TeamFormat, Terrain, Units

STANDARD_KM: dict[GoalType, float] = {
    GoalType.five_k: 5.0,
    GoalType.ten_k: 10.0,
    GoalType.half: 21.0975,
    GoalType.marathon: 42.195,
    GoalType.ultra: 50.0,
    GoalType.relay: 27.0,  # a regular-team runner's share of a 200-mile relay (about 16.6 mi)
}
ULTRA_RELAY_KM = 53.0  # about 33 mi per runner on an ultra team
DEFAULT_LEGS = {TeamFormat.regular: 3, TeamFormat.ultra: 6}
LONGEST_LEG_FACTOR = 1.3  # relay legs vary: the longest assigned leg is about 1.3 × the average


class RaceClass(StrEnum):
    short = "short"
    half = "half"
    marathon = "marathon"
    ultra = "ultra"

    @property
    def rank(self) -> int:
        return _CLASS_RANK[self]


_CLASS_RANK = {klass: rank for rank, klass in enumerate(RaceClass)}


@dataclass(frozen=True, slots=True)
class ClassProfile:
    """What a class of race needs around it. Ranges are (lowest, highest, default)."""

    taper_days: tuple[int, int, int]  # from the day after the last long run to race day
    last_long_run: tuple[int, int]  # peak long run's days before the race (docs/plan-shape.md §3)
    build_weeks: tuple[int, int, int]  # the race-specific build, peak block included
    recovery_days: tuple[int, int, int]  # days before quality or racing returns
    rest_days_after: int  # days of rest or walking right after the race
    recovery_span: int  # days after the race planned as recovery
    recovery_limits: tuple[float, ...]  # each 7 days after the race: share of the peak week
    long_run_minutes: int  # a long run's time guide (the hard limit is 180 minutes for all)
    long_run_cap_km: float | None  # never beyond this for the goal (marathon: 35 km)
    long_run_natural_km: float  # the longest run the goal ever calls for
    strength_pause_after: int  # days after the race without strength (it resumes the day after)


PROFILES: dict[RaceClass, ClassProfile] = {
    RaceClass.short: ClassProfile(
        taper_days=(7, 10, 8),
        last_long_run=(7, 10),
        build_weeks=(6, 12, 9),
        recovery_days=(3, 7, 3),
        rest_days_after=0,
        recovery_span=3,
        recovery_limits=(0.8,),
        long_run_minutes=150,
        long_run_cap_km=None,
        long_run_natural_km=16.0,
        strength_pause_after=2,
    ),
    RaceClass.half: ClassProfile(
        taper_days=(10, 14, 12),
        last_long_run=(10, 14),
        build_weeks=(8, 14, 11),
        recovery_days=(7, 14, 7),
        rest_days_after=1,
        recovery_span=7,
        recovery_limits=(0.75,),
        long_run_minutes=150,
        long_run_cap_km=None,
        long_run_natural_km=22.0,
        strength_pause_after=5,
    ),
    RaceClass.marathon: ClassProfile(
        taper_days=(14, 23, 21),
        last_long_run=(19, 23),
        build_weeks=(12, 24, 18),
        recovery_days=(21, 42, 21),
        rest_days_after=3,
        recovery_span=14,
        recovery_limits=(0.5, 0.75),
        long_run_minutes=180,
        long_run_cap_km=35.0,
        long_run_natural_km=32.0,
        strength_pause_after=4,
    ),
    RaceClass.ultra: ClassProfile(
        taper_days=(10, 23, 21),
        last_long_run=(19, 23),
        build_weeks=(12, 28, 20),
        recovery_days=(28, 56, 28),
        rest_days_after=3,
        recovery_span=14,
        recovery_limits=(0.5, 0.75),
        long_run_minutes=180,
        long_run_cap_km=None,
        long_run_natural_km=35.0,
        strength_pause_after=4,
    ),
}


def race_class(goal: GoalIn) -> RaceClass:
    """The class whose rules a goal follows (docs/plan-shape.md §1, event types)."""
    if goal.type in (GoalType.five_k, GoalType.ten_k):
        return RaceClass.short
    if goal.type == GoalType.half:
        return RaceClass.half
    if goal.type == GoalType.marathon:
        return RaceClass.marathon
    if goal.type == GoalType.ultra:
        return RaceClass.ultra
    return RaceClass.marathon if goal.team_format == TeamFormat.ultra else RaceClass.half


def race_legs(goal: GoalIn) -> int:
    """How many legs a runner runs in a race: the goal's, a relay team's default, else one."""
    if goal.legs:
        return goal.legs
    return (
        DEFAULT_LEGS[goal.team_format or TeamFormat.regular] if goal.type == GoalType.relay else 1
    )


def longest_leg_km(race_km: float, legs: int) -> float:
    """The longest single effort of a race of `legs` legs (the longest leg is longer than the
    average one)."""
    return race_km if legs <= 1 else min(race_km, race_km / legs * LONGEST_LEG_FACTOR)


@dataclass(frozen=True, slots=True)
class GoalPlan:
    """One goal with what it needs, in km, and its settings (already within their bounds)."""

    index: int
    goal: GoalIn
    klass: RaceClass
    race_km: float
    peak_km: float  # weekly volume the goal asks for at its peak (0: no target)
    long_run_km: float  # the peak long run it asks for (0: no target)
    taper_days: int
    build_weeks: int
    recovery_days: int
    back_to_back: bool
    legs: int
    reasons: tuple[Reason, ...]
    clamped: tuple[str, ...] = ()  # settings moved into their bounds, in words

    @property
    def day(self) -> date:
        return self.goal.date

    @property
    def priority(self) -> Priority:
        return self.goal.priority

    @property
    def profile(self) -> ClassProfile:
        return PROFILES[self.klass]

    @property
    def leg_km(self) -> float:
        """The longest single effort of the race: the race itself, or the longest relay leg."""
        return longest_leg_km(self.race_km, self.legs)

    @property
    def hilly(self) -> bool:
        return self.goal.terrain in (Terrain.hilly, Terrain.mountain)

    @property
    def downhill(self) -> bool:
        return self.goal.terrain == Terrain.downhill


def race_distance_km(goal: GoalIn, units: Units) -> float:
    if goal.distance is not None:
        return to_km(goal.distance, units)
    if goal.type == GoalType.relay and goal.team_format == TeamFormat.ultra:
        return ULTRA_RELAY_KM
    return STANDARD_KM[goal.type]


def _clamp(
    name: str, value: float | None, bounds: tuple[int, int, int], klass: RaceClass
) -> tuple[int, str | None]:
    low, high, default = bounds
    if value is None:
        return default, None
    chosen = int(min(max(value, low), high))
    if chosen != value:
        return chosen, (
            f"{name} {value:g} is outside {low}-{high} for a {klass.value} race; {chosen} is used"
        )
    return chosen, None


def goal_plans(goals: list[GoalIn], decisions: Decisions, units: Units) -> list[GoalPlan]:
    """Resolve each goal's needs and settings from the rules' `target` decisions."""
    plans = []
    for index, goal in enumerate(goals):
        targets = decisions.targets.get(index, {})
        race_km = race_distance_km(goal, units)
        klass = race_class(goal)
        profile = PROFILES[klass]

        def value(
            name: str, targets: dict[str, tuple[float | bool, Reason]] = targets
        ) -> float | None:
            entry = targets.get(name)
            return None if entry is None else float(entry[0])

        peak_km = value("peak_km")
        if peak_km is None and (pct := value("peak_percent_of_race")) is not None:
            peak_km = race_km * pct / 100
        long_km = value("long_run_km")
        if long_km is None and (pct := value("long_run_percent_of_race")) is not None:
            long_km = race_km * pct / 100
        taper = value("taper_days")
        if taper is None and (weeks := value("taper_weeks")) is not None:
            taper = weeks * 7
        clamped = []
        taper_days, note = _clamp("taper_days", taper, profile.taper_days, klass)
        clamped.append(note)
        build_weeks, note = _clamp("build_weeks", value("build_weeks"), profile.build_weeks, klass)
        clamped.append(note)
        recovery_days, note = _clamp(
            "recovery_days", value("recovery_days"), profile.recovery_days, klass
        )
        clamped.append(note)
        if value("recovery_days") is None and klass in (RaceClass.marathon, RaceClass.ultra):
            # About one easy day per mile raced before quality returns (docs/plan-shape.md §5).
            low, high, _ = profile.recovery_days
            recovery_days = min(max(round(race_km / KM_PER_MILE), low), high)
        legs = race_legs(goal)
        plans.append(
            GoalPlan(
                index=index,
                goal=goal,
                klass=klass,
                race_km=race_km,
                peak_km=peak_km or 0.0,
                long_run_km=long_km or 0.0,
                taper_days=taper_days,
                build_weeks=build_weeks,
                recovery_days=recovery_days,
                back_to_back=bool(value("back_to_back") or False),
                legs=legs,
                reasons=tuple(dict.fromkeys(entry[1] for entry in targets.values())),
                clamped=tuple(c for c in clamped if c is not None),
            )
        )
    return plans


def weeks_short(reachable: float, needed: float, limit: float) -> int:
    """Extra weeks of progression (with deloads) to grow from `reachable` to `needed`."""
    if reachable >= needed or needed <= 0:
        return 0
    if reachable <= 0 or limit <= 0:
        return 99
    weeks = math.log(needed / reachable) / math.log(1 + limit)
    return math.ceil(weeks * 4 / 3)

"""Goal targets in the athlete's units, and whether each goal is reachable under the caps."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from app.engine.decisions import Decisions, Reason
from app.facts.build import to_km
from app.intake.models import GoalIn
from app.intake.vocabulary import GoalType, Priority, TeamFormat, Units

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


@dataclass(frozen=True, slots=True)
class GoalPlan:
    """One goal with what it needs, in the athlete's units."""

    index: int
    goal: GoalIn
    race_distance: float
    needed_peak: float
    needed_long_run: float
    taper_weeks: int
    back_to_back: bool
    legs: int
    reasons: tuple[Reason, ...]

    @property
    def day(self) -> date:
        return self.goal.date

    @property
    def leg_distance(self) -> float:
        return self.race_distance / max(1, self.legs)

    @property
    def tapers(self) -> bool:
        return self.goal.priority == Priority.A and self.taper_weeks > 0


def _from_km(km: float, units: Units) -> float:
    return km / to_km(1.0, units)


def race_distance_km(goal: GoalIn, units: Units) -> float:
    if goal.distance is not None:
        return to_km(goal.distance, units)
    if goal.type == GoalType.relay and goal.team_format == TeamFormat.ultra:
        return ULTRA_RELAY_KM
    return STANDARD_KM[goal.type]


def goal_plans(goals: list[GoalIn], decisions: Decisions, units: Units) -> list[GoalPlan]:
    """Resolve each goal's targets from the rules' `target` decisions."""
    plans = []
    for index, goal in enumerate(goals):
        targets = decisions.targets.get(index, {})
        race_km = race_distance_km(goal, units)

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
        legs = goal.legs or (
            DEFAULT_LEGS[goal.team_format or TeamFormat.regular]
            if goal.type == GoalType.relay
            else 1
        )
        reasons = tuple(dict.fromkeys(entry[1] for entry in targets.values()))
        plans.append(
            GoalPlan(
                index=index,
                goal=goal,
                race_distance=round(_from_km(race_km, units), 1),
                needed_peak=round(_from_km(peak_km or 0, units), 1),
                needed_long_run=round(_from_km(long_km or 0, units), 1),
                taper_weeks=int(value("taper_weeks") or 0),
                back_to_back=bool(value("back_to_back") or False),
                legs=legs,
                reasons=reasons,
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

"""Weekly running load: caps, progression, deloads, walk-run, tapers and run distances (pure).

Limits applied (domain.md §1): weekly distance ≤ the phase cap from the rules; ≤ +10 % on the
higher of the last two weeks and ≤ +30 % over two weeks; a deload week every N weeks; each run
≤ 110 % of the longest run in the previous 30 days; taper volumes cut progressively.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import date, timedelta

from app.engine.decisions import Reason
from app.intake.vocabulary import Priority
from app.scheduler.calendar import DAY, monday_of, spread
from app.scheduler.checkins import Adjustment
from app.scheduler.goals import GoalPlan
from app.scheduler.phases import PhasePlan
from app.scheduler.settings import ScheduleSettings

# Walk-run progression (domain.md §2.3): repeats × (run minutes, walk minutes).
WALK_RUN_STAGES: tuple[tuple[int, float, float], ...] = (
    (5, 2, 4),
    (5, 3, 3),
    (5, 4, 2),
    (2, 14, 2),
    (1, 30, 0),
)
TAPER_FACTORS: dict[int, tuple[float, ...]] = {1: (0.6,), 2: (0.75, 0.55), 3: (0.8, 0.65, 0.5)}
SINGLE_RUN_LIMIT = 1.10
TWO_WEEK_LIMIT = 1.30
B_RACE_WEEK = 0.8
BUILD_WITHOUT_GOAL = 1.15
MAX_LONG_RUN_SHARE = 0.5

POLICY = {
    "progression": Reason(
        "plan.progression",
        "Weekly distance grows by at most 10% on recent weeks (30% over two weeks), the limits "
        "linked to fewer running injuries.",
    ),
    "single_run": Reason(
        "plan.single_run",
        "No run is longer than 110% of your longest run in the previous 30 days: single long "
        "runs beyond that carried the highest injury risk in a study of 5,205 runners.",
    ),
    "deload": Reason(
        "plan.deload",
        "Every few weeks a lighter week (about a quarter less) lets tissues catch up with "
        "training.",
    ),
    "taper": Reason(
        "plan.taper",
        "Volume falls progressively before the race while intensity stays, so you start fresh.",
    ),
    "walk_run": Reason(
        "plan.walk_run",
        "Running returns through walk-run intervals, advancing only while pain stays under 3/10 "
        "and does not carry into the next day.",
    ),
}


def floor1(value: float) -> float:
    """Round down to one decimal, so rounded figures never exceed their limits."""
    return math.floor(value * 10 + 1e-6) / 10


@dataclass
class RunSpec:
    day: date
    distance: float
    role: str  # easy | long | double | walk_run
    intervals: tuple[tuple[int, float, float], ...] = ()
    run_walk: bool = False
    goal: int | None = None


@dataclass
class WeekLoad:
    start: date
    phase: str
    cap: float
    planned: float
    deload: bool
    walk_run: bool
    race_distance: float
    runs: list[RunSpec] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)


@dataclass
class LoadInputs:
    start: date
    phase_plan: PhasePlan
    settings: ScheduleSettings
    caps: dict[str, tuple[float, Reason]]  # phase → (cap in athlete units, rule)
    baseline: float
    longest_run: float
    run_weekdays: list[int]
    long_run_weekday: int
    goals: list[GoalPlan]
    units_per_minute: float  # easy-pace distance per minute, in athlete units
    min_run: float  # shortest worthwhile run, in athlete units
    adjustments: dict[date, Adjustment] = field(default_factory=dict)  # week start → verdict


class LoadPlanner:
    """Plans every week's running, week by week, remembering what came before."""

    def __init__(self, inputs: LoadInputs) -> None:
        self.i = inputs
        self.history: list[float] = []  # planned weekly distances so far
        self.runs: deque[tuple[date, float]] = deque()  # runs of the last 30 days
        if inputs.baseline > 0:
            self.runs.append((inputs.start - DAY, inputs.longest_run))
        self.stage = 0 if inputs.baseline <= 0 else len(WALK_RUN_STAGES)
        self.block_peak = inputs.baseline  # the peak since the last race: tapers cut from it
        self.level = (
            inputs.baseline
        )  # the last normal week: deloads cut from it, builds return to it

    def plan(self) -> list[WeekLoad]:
        weeks: list[WeekLoad] = []
        week_start = monday_of(self.i.start)
        while week_start <= self.i.phase_plan.end:
            weeks.append(self._week(len(weeks), week_start))
            week_start += timedelta(days=7)
        return weeks

    # -- one week ---------------------------------------------------------------------------
    def _week(self, index: int, week_start: date) -> WeekLoad:
        while self.runs and self.runs[0][0] < week_start - timedelta(days=31):
            self.runs.popleft()  # no run in this week can look back that far
        first = max(week_start, self.i.start)
        last = min(week_start + timedelta(days=6), self.i.phase_plan.end)
        phase = self.i.phase_plan.phase_on(first).name
        phases = {
            self.i.phase_plan.phase_on(first + timedelta(days=k)).name
            for k in range((last - first).days + 1)
        }
        races = [g for g in self.i.goals if first <= g.day <= last]
        run_days = self._run_days(first, last, races)
        week = WeekLoad(
            week_start, phase, 0.0, 0.0, False, False, round(sum(g.race_distance for g in races), 1)
        )
        taper = self._taper_factor(week_start)
        adjustment = self.i.adjustments.get(week_start)
        if self.stage < len(WALK_RUN_STAGES):
            if adjustment is not None and adjustment.action == "regress":
                self.stage = max(0, self.stage - 1)
            if adjustment is not None:
                week.reasons.extend(adjustment.reasons)
            self._walk_run_week(
                week,
                run_days,
                phases,
                hold=adjustment is not None and adjustment.action != "progress",
            )
        elif taper is not None:
            factor, reason = taper
            week.cap = floor1(min(self.block_peak * factor, self._ceiling()))
            self._fill(week, run_days, week.cap)
            week.reasons.append(reason)
        else:
            self._build_week(week, index, run_days, phases, races, adjustment)
        self.history.append(week.planned)
        if races:
            self.block_peak = self.level = week.planned
        elif taper is None:
            self.block_peak = max(self.block_peak, week.planned)
            if not week.deload:
                self.level = week.planned
        return week

    def _run_days(self, first: date, last: date, races: list[GoalPlan]) -> list[date]:
        race_days = {g.day for g in races}
        first_race = min(race_days, default=None)
        result = []
        for weekday in self.i.run_weekdays:
            day = monday_of(first) + timedelta(days=weekday)
            if not first <= day <= last or day in race_days:
                continue
            if first_race is not None and day > first_race:
                continue  # recover after a race
            result.append(day)
        return sorted(result)

    def _rule_cap(self, phases: set[str]) -> tuple[float, Reason | None]:
        cap, reason = math.inf, None
        for phase in sorted(phases):
            if phase in self.i.caps and self.i.caps[phase][0] < cap:
                cap, reason = self.i.caps[phase]
        return cap, reason

    def _ceiling(self) -> float:
        if not self.history:
            return self.i.baseline
        recent = max(self.history[-2:])
        ceiling = recent * (1 + self.i.settings.progression_limit)
        if len(self.history) >= 2:
            ceiling = min(ceiling, max(self.history[-3:-1]) * TWO_WEEK_LIMIT)
        return ceiling

    def _next_goal(self, week_start: date) -> GoalPlan | None:
        upcoming = [g for g in self.i.goals if g.day >= week_start]
        return min(upcoming, key=lambda g: g.day, default=None)

    def _is_deload(self, index: int) -> bool:
        every = self.i.settings.deload_every
        return index > 0 and (index + 1) % every == 0

    def _build_week(
        self,
        week: WeekLoad,
        index: int,
        run_days: list[date],
        phases: set[str],
        races: list[GoalPlan],
        adjustment: Adjustment | None,
    ) -> None:
        rule_cap, cap_reason = self._rule_cap(phases)
        ceiling = self._ceiling()
        week.cap = floor1(min(rule_cap, ceiling))
        if cap_reason is not None and rule_cap <= ceiling:
            week.reasons.append(cap_reason)
        else:
            week.reasons.append(POLICY["progression"])
        goal = self._next_goal(week.start)
        target = (
            goal.needed_peak if goal and goal.needed_peak else self.i.baseline * BUILD_WITHOUT_GOAL
        )
        # Build toward what the goal needs, never below the current level (caps still apply).
        planned = min(week.cap, max(target, self.level))
        if self._is_deload(index) and not races:
            week.deload = True
            planned = min(week.cap, self.level) * (1 - self.i.settings.deload_cut)
            week.reasons.append(POLICY["deload"])
        if adjustment is not None and adjustment.action != "progress":
            # hold: stay at the current level; regress: one progression step back from it.
            # Only that week changes: later weeks follow the plan again (within the limits)
            # unless the next check-in says otherwise.
            step = 1 + self.i.settings.progression_limit if adjustment.action == "regress" else 1
            planned = min(planned, week.cap, self.level / step)
            week.reasons.extend(adjustment.reasons)
        if any(g.goal.priority == Priority.B for g in races):
            planned *= B_RACE_WEEK
        self._fill(week, run_days, planned)

    def _taper_factor(self, week_start: date) -> tuple[float, Reason] | None:
        for goal in self.i.goals:
            if not goal.tapers:
                continue
            race_week = monday_of(goal.day)
            weeks_before = (race_week - week_start).days // 7
            span = self.i.phase_plan.phase_on(goal.day)
            if span.name != "taper" or not 0 <= weeks_before < goal.taper_weeks:
                continue
            if monday_of(span.start) > week_start:
                continue
            factors = TAPER_FACTORS[goal.taper_weeks]
            return factors[len(factors) - 1 - weeks_before], POLICY["taper"]
        return None

    # -- runs -------------------------------------------------------------------------------
    def _walk_run_week(
        self, week: WeekLoad, run_days: list[date], phases: set[str], *, hold: bool = False
    ) -> None:
        repeats, run_minutes, walk_minutes = WALK_RUN_STAGES[self.stage]
        days = _alternate(run_days, 3)
        per_run = floor1(repeats * run_minutes * self.i.units_per_minute)
        rule_cap, cap_reason = self._rule_cap(phases)
        week.walk_run = True
        week.reasons.append(POLICY["walk_run"])
        if per_run * len(days) > rule_cap:
            days = days[: int(rule_cap // per_run)] if per_run else []
            if cap_reason:
                week.reasons.append(cap_reason)
        elif days and not hold:
            self.stage += 1  # one stage a week, only after a week that ran it in full
        for day in days:
            week.runs.append(
                RunSpec(day, per_run, "walk_run", ((repeats, run_minutes, walk_minutes),))
            )
            self.runs.append((day, per_run))
        week.planned = round(sum(r.distance for r in week.runs), 1)
        week.cap = floor1(min(rule_cap, max(week.planned, per_run * 3)))

    def _limit(self, day: date) -> float:
        """110 % of the longest run in the 30 days before `day`."""
        window_start = day - timedelta(days=30)
        return SINGLE_RUN_LIMIT * max(
            (d for when, d in self.runs if window_start <= when < day), default=0.0
        )

    def _fill(self, week: WeekLoad, run_days: list[date], planned: float) -> None:
        """Split a week's distance into runs: the long run first (toward what the next race
        needs), then the rest evenly, every run within the single-run limit."""
        count = len(run_days)
        if count == 0 or planned <= 0:
            week.planned = 0.0
            return
        worthwhile = max(1, min(count, int(planned // self.i.min_run)))
        days = _keep_long_day(run_days, worthwhile, self.i.long_run_weekday)
        long_day = next((d for d in days if d.weekday() == self.i.long_run_weekday), days[-1])
        others = [d for d in days if d != long_day]
        share = max(self.i.settings.long_run_share, 1 / len(days)) if others else 1.0
        goal = self._next_goal(week.start)
        if goal is not None and others and goal.needed_long_run > planned * share:
            # Build the long run toward what the race needs, up to half the week; the
            # single-run limit still decides how fast it grows.
            share = min(MAX_LONG_RUN_SHARE, goal.needed_long_run / planned)
        long_limit = self._limit(long_day)
        long_want = planned * share
        clipped = long_want > long_limit
        run_walk = self.i.settings.walk_run and week.phase in ("activation", "strength")
        double_goal = self._double_goal(week.start)
        if double_goal is not None:
            each = floor1(min(long_want / 2, double_goal.leg_distance * 1.2, long_limit))
            week.runs += [RunSpec(long_day, each, "double", goal=double_goal.index)] * 2
            long_total = 2 * each
        else:
            distance = floor1(min(long_want, long_limit))
            week.runs.append(
                RunSpec(long_day, distance, "long" if others else "easy", run_walk=run_walk)
            )
            long_total = distance
        remaining = planned - long_total
        for position, day in enumerate(others):
            want = remaining / (len(others) - position)
            limit = self._limit(day)
            clipped = clipped or want > limit
            distance = floor1(min(want, limit))
            week.runs.append(RunSpec(day, distance, "easy", run_walk=run_walk))
            remaining -= distance
        week.runs.sort(key=lambda r: (r.day, r.role))
        for run in week.runs:
            self.runs.append((run.day, run.distance))
        week.planned = round(sum(r.distance for r in week.runs), 1)
        if clipped:
            week.reasons.append(POLICY["single_run"])

    def _double_goal(self, week_start: date) -> GoalPlan | None:
        """A relay or back-to-back goal whose last 3 weeks before the taper include this week."""
        for goal in self.i.goals:
            if not goal.back_to_back or goal.goal.priority == Priority.C:
                continue
            taper_start = monday_of(goal.day) - timedelta(days=7 * max(goal.taper_weeks - 1, 0))
            if taper_start - timedelta(days=21) <= week_start < taper_start:
                return goal
        return None


def _alternate(days: list[date], limit: int) -> list[date]:
    """At most `limit` days with a rest day between each (walk-run: one day on, one off)."""
    chosen: list[date] = []
    for day in days:
        if not chosen or (day - chosen[-1]).days >= 2:
            chosen.append(day)
    return chosen[:limit]


def _keep_long_day(days: list[date], count: int, long_weekday: int) -> list[date]:
    """`count` of the week's run days, the long-run day kept, the rest spread out."""
    if count >= len(days):
        return days
    by_weekday = {d.weekday(): d for d in days}
    fixed = [long_weekday] if long_weekday in by_weekday else []
    chosen = spread(by_weekday, count, fixed=fixed)
    return sorted(by_weekday[w] for w in chosen)

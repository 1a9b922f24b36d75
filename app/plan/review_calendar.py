"""What the plan review knows about a plan's calendar: races, blocks, weeks and their runs.

Everything is read from the plan and the intake: races from the intake's goals (raced when
their day is in a race block), tapers and recoveries from the plan's blocks, volumes from
the run sessions. Distances are in km here; `out` converts back for messages.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from app.intake.models import GoalIn, Intake
from app.intake.vocabulary import KM_PER_MILE, Priority
from app.plan.models import Plan, SessionOut, WeekOut
from app.scheduler.goals import (
    RaceClass,
    longest_leg_km,
    race_class,
    race_distance_km,
    race_legs,
)
from app.scheduler.season import CLUSTER_GAP_DAYS, PRIORITY_RANK

HARD_MINUTES = 90
TYPICAL_WEEKS = 4  # a typical easy run of the build: the median of its last four full weeks


@dataclass(frozen=True)
class RaceEvent:
    """Races on the same or consecutive days, as the review sees them."""

    goals: tuple[GoalIn, ...]
    legs_km: tuple[float, ...]
    raced: bool  # a race session (not a shorter training run in its place)

    @property
    def first(self) -> date:
        return self.goals[0].date

    @property
    def last(self) -> date:
        return self.goals[-1].date

    @cached_property
    def priority(self) -> Priority:
        return min((g.priority for g in self.goals), key=PRIORITY_RANK.__getitem__)

    @cached_property
    def klass(self) -> RaceClass:
        return max((race_class(g) for g in self.goals), key=lambda k: k.rank)

    @property
    def leg_km(self) -> float:
        return max(self.legs_km)

    @property
    def names(self) -> str:
        return " and ".join(g.name for g in self.goals)


def _leg_km(goal: GoalIn, intake: Intake) -> float:
    return longest_leg_km(race_distance_km(goal, intake.athlete.units), race_legs(goal))


class Calendar:
    def __init__(self, plan: Plan, intake: Intake) -> None:
        self.plan, self.intake = plan, intake
        self.factor = KM_PER_MILE if plan.units == "mi" else 1.0
        self.by_day: dict[date, list[SessionOut]] = {}
        for s in plan.sessions:
            self.by_day.setdefault(s.date, []).append(s)
        self.sessions = sorted(plan.sessions, key=lambda s: s.date)
        self._session_dates = [s.date for s in self.sessions]
        self.runs = [s for s in self.sessions if s.kind == "run" and s.distance]
        self._run_dates = [s.date for s in self.runs]
        self.days_of: dict[str, set[date]] = {"taper": set(), "recovery": set(), "race": set()}
        self.taper_blocks: dict[tuple[str, date], date] = {}  # (names, last day) → first day
        for block in plan.blocks:
            if block.kind in self.days_of:
                day = block.start
                while day <= block.end:
                    self.days_of[block.kind].add(day)
                    day += timedelta(days=1)
            if block.kind == "taper" and block.goal:
                self.taper_blocks[(block.goal, block.end)] = block.start
        self.events = self._events()
        self.current_km = self.km(intake.running.weekly_distance)
        self.longest_km = self.km(intake.running.longest_run)
        self.weeks = {w.start: w for w in plan.weeks}
        self._full_build: dict[date, bool] = {}
        self._last_of: dict[tuple[RaceClass, ...], date] = {}
        self._volumes: dict[date, float] = {}
        self._pure: dict[date, bool] = {}
        self._blocks: dict[date, tuple[date, date, list[WeekOut]] | None] = {}

    def _events(self) -> list[RaceEvent]:
        goals = sorted(self.intake.goals, key=lambda g: g.date)
        groups: list[list[GoalIn]] = []
        for goal in goals:
            if goal.date not in self.days_of["race"]:
                continue
            if groups and (goal.date - groups[-1][-1].date).days <= CLUSTER_GAP_DAYS:
                groups[-1].append(goal)
            else:
                groups.append([goal])
        race_days = {s.date for s in self.plan.sessions if s.kind == "race"}
        return [
            RaceEvent(
                tuple(g),
                tuple(_leg_km(goal, self.intake) for goal in g),
                raced=g[0].date in race_days,
            )
            for g in groups
        ]

    # -- units ------------------------------------------------------------------------------------
    def km(self, value: float) -> float:
        return value * self.factor

    def out(self, km: float) -> float:
        return round(km / self.factor, 1)

    # -- days and weeks ---------------------------------------------------------------------------
    def runs_between(self, first: date, last: date) -> list[SessionOut]:
        dates = self._run_dates
        return self.runs[bisect_left(dates, first) : bisect_right(dates, last)]

    def sessions_between(self, first: date, last: date) -> list[SessionOut]:
        dates = self._session_dates
        return self.sessions[bisect_left(dates, first) : bisect_right(dates, last)]

    def runs_in(self, week: date) -> list[SessionOut]:
        return self.runs_between(week, week + timedelta(days=6))

    def volume_between(self, first: date, last: date) -> float:
        return sum(self.km(s.distance or 0) for s in self.runs_between(first, last))

    def volume(self, week: date) -> float:
        known = self._volumes.get(week)
        if known is None:
            known = self._volumes[week] = self.volume_between(week, week + timedelta(days=6))
        return known

    def longest(self, week: date) -> float:
        return max((self.km(s.distance or 0) for s in self.runs_in(week)), default=0.0)

    def _days(self, week: date) -> list[date]:
        return [week + timedelta(days=k) for k in range(7)]

    def full_build(self, week: WeekOut) -> bool:
        """Seven days in the plan, none in a taper, race or recovery, not walk-run."""
        known = self._full_build.get(week.start)
        if known is None:
            days = self._days(week.start)
            known = not (
                week.walk_run
                or days[0] < self.plan.start
                or days[-1] > self.plan.end
                or any(d in self._marked for d in days)
            )
            self._full_build[week.start] = known
        return known

    @cached_property
    def _marked(self) -> set[date]:
        return self.days_of["taper"] | self.days_of["race"] | self.days_of["recovery"]

    def pure(self, week: WeekOut) -> bool:
        """A full build week with no race run in it (a reference for growth and the peak)."""
        known = self._pure.get(week.start)
        if known is None:
            known = self._pure[week.start] = self.full_build(week) and not any(
                s.run_type == "race_run" for s in self.runs_in(week.start)
            )
        return known

    def recovering(self, week: WeekOut) -> bool:
        days = self._days(week.start)
        return any(d in self.days_of["recovery"] for d in days) and not any(
            d in self.days_of["taper"] or d in self.days_of["race"] for d in days
        )

    def pure_weeks(self, first: date, before: date) -> list[WeekOut]:
        return [
            w
            for w in self.plan.weeks
            if w.start >= first and w.start + timedelta(days=6) < before and self.pure(w)
        ]

    def busy(self, day: date) -> bool:
        return any(s.kind in ("run", "race", "strength") for s in self.by_day.get(day, []))

    # -- hard days --------------------------------------------------------------------------------
    def is_hard(self, day: date) -> bool:
        for s in self.by_day.get(day, []):
            if s.kind == "race" or s.run_type == "double":
                return True
            if s.kind == "run" and (
                (s.workout is not None and s.workout.hard)
                or (s.duration_minutes or 0) >= HARD_MINUTES
            ):
                return True
        return False

    def paired(self, first: date, second: date) -> bool:
        """Two hard days that are one effort: races of one event, or a back-to-back set."""
        event = self.event_on(first)
        if event is not None and event is self.event_on(second):
            return True
        types = [
            {s.run_type for s in self.by_day.get(d, []) if s.kind == "run"} for d in (first, second)
        ]
        quality = any(
            s.workout is not None and s.workout.hard
            for d in (first, second)
            for s in self.by_day.get(d, [])
        )
        return (
            not quality
            and "double" in types[0] | types[1]
            and all(t & {"double", "long"} for t in types)
        )

    def is_long(self, day: date) -> bool:
        return any(
            s.kind == "race" or s.run_type in ("long", "double", "race_run")
            for s in self.by_day.get(day, [])
        )

    def has_doubles(self, week: date) -> bool:
        return any(s.run_type == "double" for s in self.runs_in(week))

    # -- races and their blocks -------------------------------------------------------------------
    def event_on(self, day: date) -> RaceEvent | None:
        return next((e for e in self.events if e.first <= day <= e.last), None)

    def taper_start(self, event: RaceEvent) -> date | None:
        return self.taper_blocks.get((event.names, event.first - timedelta(days=1)))

    def previous(self, event: RaceEvent) -> RaceEvent | None:
        """The A race before `event`: an A race ends a block, a B race is a step inside it
        (as the planner builds it)."""
        earlier = [e for e in self.events if e.last < event.first and e.priority == Priority.A]
        return earlier[-1] if earlier else None

    def block_start(self, event: RaceEvent) -> date:
        previous = self.previous(event)
        return previous.last + timedelta(days=1) if previous is not None else self.plan.start

    def block_stats(self, event: RaceEvent) -> tuple[float, float, float, float] | None:
        """(peak week, peak long run, typical easy run, last full week) of the block before a
        race; a block without a full build week uses the nearest earlier block that has one."""
        found = self._block_weeks(event)
        return self._stats(*found) if found is not None else None

    def typical_run_days(self, event: RaceEvent) -> int:
        """The days with a run in a typical week of the block just before a race's taper (the
        fewer of its last two full weeks: the peak weeks a taper follows); 0 when it has none."""
        found = self._block_weeks(event)
        if found is None:
            return 0
        return min(len({s.date for s in self.runs_in(w.start)}) for w in found[2][-2:])

    def _block_weeks(self, event: RaceEvent) -> tuple[date, date, list[WeekOut]] | None:
        """The full build weeks (no deload) of the block before a race, with its first day and
        its end (the taper's first day, or the race)."""
        if event.first not in self._blocks:  # events never share a first day
            self._blocks[event.first] = self._find_block_weeks(event)
        return self._blocks[event.first]

    def _find_block_weeks(self, event: RaceEvent) -> tuple[date, date, list[WeekOut]] | None:
        current: RaceEvent | None = event
        while current is not None:
            start, end = self.block_start(current), self.taper_start(current) or current.first
            weeks = [w for w in self.pure_weeks(start, end) if not w.deload]
            if weeks:
                return start, end, weeks
            current = self.previous(current)
        return None

    def _stats(
        self, start: date, end: date, weeks: list[WeekOut]
    ) -> tuple[float, float, float, float]:
        runs = [
            s
            for s in self.runs_between(start, end - timedelta(days=1))
            if s.date not in self._marked
        ]
        in_weeks = [s for w in weeks[-TYPICAL_WEEKS:] for s in self.runs_in(w.start)]
        easy = [self.km(s.distance or 0) for s in in_weeks if s.run_type in ("easy", "quality")]
        easy = easy or [self.km(s.distance or 0) for s in in_weeks]
        last_full = [w for w in weeks if w.start + timedelta(days=6) < end]  # not deloads
        return (
            max(self.volume(w.start) for w in weeks),
            max((self.km(s.distance or 0) for s in runs), default=0.0),
            statistics.median(easy) if easy else 0.0,
            self.volume(last_full[-1].start) if last_full else 0.0,
        )

    @cached_property
    def _a_races(self) -> list[RaceEvent]:
        return [e for e in self.events if e.priority == Priority.A and e.raced]

    def in_long_build(self, day: date) -> bool:
        """A marathon or ultra A race ahead: long runs of up to 3 hours are expected."""
        return day <= self._last_race_of((RaceClass.marathon, RaceClass.ultra))

    def in_marathon_build(self, day: date) -> bool:
        """A marathon A race ahead: no long run beyond 35 km."""
        return day <= self._last_race_of((RaceClass.marathon,))

    def _last_race_of(self, classes: tuple[RaceClass, ...]) -> date:
        """The last A race of these classes (date.min if none)."""
        last = self._last_of.get(classes)
        if last is None:
            last = self._last_of[classes] = max(
                (e.first for e in self._a_races if e.klass in classes), default=date.min
            )
        return last

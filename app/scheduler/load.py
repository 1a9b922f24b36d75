"""Weekly running load, forwards from today (docs/plan-shape.md §2-§6, §12): pure.

Each calendar week takes the smaller of what the races want (`demand`) and what the hard
limits allow: the rules' caps, +10 % a week and +30 % over two on the last full week, a deload
every few weeks, each run within 110 % of the longest of the previous 30 days, the long run as
its own progression. Days that belong to a taper, a B race's lighter days or a recovery are cut
from the block's peak week, weekday by weekday, so every window stays under its bound.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from app.engine.decisions import Reason
from app.intake.vocabulary import Priority
from app.scheduler.calendar import DAY, monday_of, spread
from app.scheduler.checkins import Adjustment
from app.scheduler.demand import MIN_RUN_KM, SINGLE_RUN_LIMIT, Demand, runs_held, share_limit
from app.scheduler.phases import PhasePlan
from app.scheduler.quality import (
    STRIDE_WEEKS,
    QualityContext,
    Workout,
    shake_out,
    stride_workout,
    taper_workout,
    weekly_workout,
)
from app.scheduler.season import DayRole, Event, Season
from app.scheduler.settings import ScheduleSettings
from app.scheduler.units import Measure

# Walk-run progression (docs/evidence.md §2.3): repeats × (run minutes, walk minutes).
WALK_RUN_STAGES: tuple[tuple[int, float, float], ...] = (
    (5, 2, 4),
    (5, 3, 3),
    (5, 4, 2),
    (2, 14, 2),
    (1, 30, 0),
)
# Taper volume, as a share of the block's peak week, by number of taper weeks (earliest first);
# the hard upper bounds (docs/plan-shape.md §4) are 85/70/50, 75/50 and 60.
TAPER_FACTORS: dict[int, tuple[float, ...]] = {
    1: (0.55,),
    2: (0.70, 0.45),
    3: (0.80, 0.65, 0.45),
}
TAPER_LONG_RUN = ((7, 0.40), (14, 0.65))  # days before the race → share of the peak long run
TAPER_LONG_MINUTES = 120  # the taper's last long run (8-14 days out): shorter, under 2 hours
# After a race, each week's share of the peak week (under the review's bounds of 50 % then
# 75 % after a marathon or ultra); the rebuild starts from the last of them.
RECOVERY_FACTORS = {
    "short": (0.8,),
    "half": (0.75,),
    "marathon": (0.4, 0.55),
    "ultra": (0.4, 0.55),
}
TAPER_RUN_MAX = {
    1: 0.9,
    2: 0.85,
    3: 0.95,
}  # a taper run against the build's, by week
B_TAPER_FACTOR = 0.7
LONG_RUN_STEP_KM = 3.0
TWO_WEEK_LIMIT = 1.30
DELOAD_LONG_RUN = 0.78  # a deload's long run: at least 20 % shorter than the last full week's
REGRESS_LONG_RUN = 0.9  # after a regress verdict: shorter than the run that hurt
FIRST_LONG_AFTER_RACE = 0.6  # of the peak long run (docs/plan-shape.md §5)
EASY_MINUTES_MAX = 85  # easy and quality runs stay under 90 minutes (a 90-minute run is hard)
HARD_MINUTES = 90
SHAKE_OUT_MINUTES = {"short": 15, "half": 25, "marathon": 25, "ultra": 25}  # (15-30)
SHAKE_OUT_MAX_KM = 4.8
LONG_LABEL_FACTOR = 1.15  # a run is "long" when clearly longer than the week's easy runs
HISTORY_DAYS = 30
TYPICAL_WEEKS = 4  # a typical easy run of the build: from its last four full weeks
STRIDES_PER_WEEK = 2  # strides once or twice a week (docs/plan-shape.md §6)
RETURN_RHYTHM_LATER = 3  # deloads every second week relax to every third from running form on
LONG_OVER_EASY = 1.25  # while the long run is behind, easy runs stay this much shorter
PEAK_LONG_RUN = 0.92  # the last long run before a taper: at least this share of the longest

POLICY = {
    "progression": Reason(
        "plan.progression",
        "Weekly distance grows by at most 10% on the last full week (30% over two weeks), the "
        "limits linked to fewer running injuries.",
    ),
    "single_run": Reason(
        "plan.single_run",
        "No run is longer than 110% of your longest run in the previous 30 days: single long "
        "runs beyond that carried the highest injury risk in a study of 5,205 runners.",
    ),
    "long_run": Reason(
        "plan.long_run",
        "The long run grows on its own, by at most 10% (and 3 km) on the longest run of the "
        "last 30 days, and stays a modest share of the week.",
    ),
    "deload": Reason(
        "plan.deload",
        "Every few weeks a lighter week (about a quarter less, with a shorter long run) lets "
        "tissues catch up with training.",
    ),
    "base": Reason(
        "plan.base",
        "Before the race-specific build, a steady base: a volume you can hold, with a moderate "
        "long run.",
    ),
    "build": Reason(
        "plan.build",
        "The race-specific build climbs gradually toward what your race needs, planned "
        "backwards from race day.",
    ),
    "peak": Reason(
        "plan.peak",
        "The biggest weeks and the longest runs come in the last weeks before the taper.",
    ),
    "taper": Reason(
        "plan.taper",
        "Volume falls progressively from your peak week before the race while the number of "
        "runs and some faster running stay, so you start fresh.",
    ),
    "race_week": Reason(
        "plan.race_week",
        "Race week has no long run: short, easy runs, a short shake-out and, before a half "
        "marathon or longer, a rest day.",
    ),
    "b_race": Reason(
        "plan.b_race",
        "A few lighter days before a B race, and the race is that week's long run.",
    ),
    "c_race": Reason(
        "plan.c_race",
        "A C race is a training run: it takes the place of that week's long run.",
    ),
    "recovery": Reason(
        "plan.recovery",
        "After a race the body needs time: rest days first, then easy running that rebuilds "
        "from there, not from the peak.",
    ),
    "back_to_back": Reason(
        "plan.back_to_back",
        "Runs close together rehearse racing again on tired legs, as a relay or an ultra asks; "
        "they are that week's long run.",
    ),
    "walk_run": Reason(
        "plan.walk_run",
        "Running returns through walk-run intervals, advancing only while pain stays under 3/10 "
        "and does not carry into the next day.",
    ),
    "run_days": Reason(
        "plan.run_days",
        "Easy runs stay under 90 minutes and the long run a modest share of the week, so your "
        "run days hold at most this much; another run day would hold more.",
    ),
    "start_rest": Reason(
        "plan.start_rest",
        "The plan's first days hold no run, so this week is shorter; the next week grows from "
        "what this one was planned to hold, not from what its first days left out.",
    ),
    "walk_breaks": Reason(
        "plan.walk_breaks",
        "Walk breaks (run 4 minutes, walk 1) keep each run within what your symptoms allow.",
    ),
}


@dataclass(slots=True)
class RunPlan:
    day: date
    km: float
    role: str  # easy | long | quality | double | shake_out | walk_run | recovery | race_run
    minutes: int = 0
    intervals: tuple[tuple[int, float, float], ...] = ()
    walk_breaks: bool = False
    workout: Workout | None = None
    event: Event | None = None  # a race this run stands in for, or the back-to-back's race
    order: int = 0  # the n-th run of a back-to-back set
    of: int = 1  # runs in the set

    @property
    def hard(self) -> bool:
        return (
            (self.workout is not None and self.workout.hard)
            or self.minutes >= HARD_MINUTES
            or self.role in ("double", "race_run")
        )


@dataclass
class WeekPlan:
    start: date
    kind: str  # base | build | peak | deload | taper | race | recovery | walk_run
    phase: str
    cap_km: float
    planned_km: float
    deload: bool
    walk_run: bool
    race_km: float
    long_run_km: float = 0.0
    runs: list[RunPlan] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)


@dataclass(frozen=True)
class LoadInputs:
    start: date
    season: Season
    demand: Demand
    phase_plan: PhasePlan
    settings: ScheduleSettings
    caps: dict[str, tuple[float, Reason]]  # phase → (cap in km, rule)
    measure: Measure
    current_km: float
    longest_km: float
    run_weekdays: list[int]  # the weekdays runs may fall on
    runs_per_week: int  # the runner's usual number of runs: more only when the volume needs it
    long_run_weekday: int
    quality: dict[int, QualityContext]  # by event index
    quality_default: QualityContext | None  # weeks with no A race ahead
    intensity_pain_ok: bool  # running pain within the limits for intensity (from the intake)
    speed_from: date | None = None  # strides and intervals not before (a tendinopathy)
    adjustments: dict[date, Adjustment] = field(default_factory=dict)  # week start → verdict
    pain_by_week: dict[date, bool] = field(default_factory=dict)  # week → intensity allowed
    skipped: frozenset[date] = frozenset()  # days whose runs were logged as not done
    paused: frozenset[date] = frozenset()  # no running: the days after severe pain
    start_rest: frozenset[date] = frozenset()  # the plan's first days without running
    # caps of rules with a window: (phase, km, rule, whether the window covers a day)
    windowed_caps: tuple[tuple[str, float, Reason, Callable[[date], bool]], ...] = ()
    regressions: tuple[date, ...] = ()  # days of check-ins with a regress verdict


@dataclass
class Block:
    """Since the last race: the peak week (for tapers and recoveries) and the easy runs."""

    peak_km: float = 0.0
    pattern: dict[int, RunPlan] = field(default_factory=dict)
    long_km: float = 0.0
    easy: list[list[float]] = field(default_factory=list)  # each full week's easy runs
    runs: list[list[float]] = field(default_factory=list)  # each full week's runs
    quality_count: int = 0


class LoadPlanner:
    """Plans every week's running in order, remembering what came before."""

    def __init__(self, inputs: LoadInputs) -> None:
        self.i = inputs
        self.m = inputs.measure
        self.history: list[tuple[date, float]] = []  # (day, km) in date order, the last 31 days
        if inputs.current_km > 0:
            self.history.append((inputs.start - DAY, inputs.longest_km))
        self.ref1 = self.ref2 = inputs.current_km
        self.long_ref = inputs.longest_km
        self.stage = 0 if inputs.current_km <= 0 else len(WALK_RUN_STAGES)
        self.block = Block()
        self.previous_block = Block()
        self.level_pattern: dict[int, RunPlan] = {}
        self.since_reset = 0  # full weeks since the plan began, a race or walk-run ended
        self.intensity_weeks = 0
        self.weeks: list[WeekPlan] = []
        self.runs_by_day: dict[date, list[RunPlan]] = {}
        self.shortened: dict[int, float] = {}  # B/C events run as training: the distance
        self._pending_stand_in: RunPlan | None = None
        self._extra_runs: list[RunPlan] = []  # runs on a day that already has one (doubles)
        self._taper_scales: dict[tuple[int, int], float] = {}
        self._window_used: dict[tuple[int, int], float] = {}  # taper week → km planned
        self._window_easy: dict[tuple[int, int], float] = {}  # taper week → its longest easy run
        self._race_days = {d for d, role in inputs.season.roles.items() if role.race is not None}
        self._history_max_on: dict[date, float] = {}  # cleared whenever the history changes
        self.last_full_km = 0.0  # the last full build week (not a deload)
        self.after_recovery = False  # the last week logged was a recovery from a race
        self._volume_target = 0.0
        self._peak_days = set(inputs.season.peak_long_day.values())
        self._long_held = False
        self.held_by_runs = 0.0  # the most a week could hold, when below today's volume
        self.full_run = 0  # full build weeks since the last deload
        self.pending_regress = sorted(inputs.regressions)
        self.deloads = self._deload_weeks()

    # -- the whole plan ---------------------------------------------------------------------------
    def plan(self) -> list[WeekPlan]:
        week = monday_of(self.i.start)
        while week <= self.i.season.end:
            self.weeks.append(self._week(week))
            week += timedelta(days=7)
        self._separate_hard_days()
        return self.weeks

    def _days(self, week: date) -> list[date]:
        season = self.i.season
        return [
            d
            for d in (week + timedelta(days=k) for k in range(7))
            if season.start <= d <= season.end
        ]

    def _full_build(self, week: date) -> bool:
        days = self._days(week)
        return len(days) == 7 and all(self._build_like(self.i.season.role(d)) for d in days)

    def _role(self, day: date) -> DayRole:
        """The season's role of a day; a race run as a shorter training run needs no
        recovery after it."""
        role = self.i.season.role(day)
        if role.recovery is not None and role.recovery.index in self.shortened:
            return replace(role, recovery=None, since=0)
        return role

    @staticmethod
    def _build_like(role: DayRole) -> bool:
        """A build day, or a day whose race is trained through (a C race, a race not raced)."""
        if role.build:
            return True
        if role.taper is not None or role.recovery is not None or role.b_taper is not None:
            return False
        return role.demoted is not None or (
            role.race is not None and role.race.priority == Priority.C
        )

    def _deload_every(self, week: date) -> int:
        """The deload rhythm: the rules' setting; a rhythm of every second week (returning
        from injury) holds during activation and strength, then relaxes to every third."""
        every = self.i.settings.deload_every
        if every < RETURN_RHYTHM_LATER and self.i.phase_plan.phase_on(week).name not in (
            "activation",
            "strength",
        ):
            return RETURN_RHYTHM_LATER
        return every

    def _deload_weeks(self) -> set[date]:
        """Deloads every N full build weeks, laid backwards from the block's end (so the last
        week before a taper or a B race is a full one), never in a block's first two weeks."""
        result: set[date] = set()
        week = monday_of(self.i.start)
        segment: list[date] = []
        while week <= self.i.season.end + timedelta(days=7):
            if week <= self.i.season.end and self._full_build(week):
                segment.append(week)
            elif segment:
                positions: list[int] = []
                if week <= self.i.season.end:  # the block ends at a race: lay them backwards
                    p = len(segment) - self._deload_every(segment[-1])
                    while p >= 2:
                        positions.append(p)
                        p -= self._deload_every(segment[p - 1])
                    first = min(positions, default=len(segment))
                    every = self._deload_every(segment[0])
                    earlier = min(first - every + 1, first - 2)  # never two deloads in a row
                    if first > every and earlier >= 2:
                        # a shorter first cycle rather than too long a run without a deload
                        positions.append(earlier)
                else:
                    p = self._deload_every(segment[0]) - 1
                    while p < len(segment):
                        positions.append(p)
                        p += self._deload_every(segment[p])
                result.update(segment[p] for p in positions if p >= 2)
                segment = []
            week += timedelta(days=7)
        return result

    # -- one week ---------------------------------------------------------------------------------
    def _week(self, week: date) -> WeekPlan:
        i = self.i
        oldest = week - timedelta(days=HISTORY_DAYS + 1)
        if self.history and self.history[0][0] < oldest:
            del self.history[: bisect_left(self.history, (oldest,))]
        days = self._days(week)
        roles = {d: self._role(d) for d in days}
        phases = {i.phase_plan.phase_on(d).name for d in days}
        rule_cap, cap_reason = self._rule_cap(phases, days)
        races = [r.race for r in roles.values() if r.race is not None]
        plan = WeekPlan(
            start=week,
            kind=self._kind(week, roles),
            phase=i.phase_plan.phase_on(days[0]).name,
            cap_km=rule_cap,
            planned_km=0.0,
            deload=False,
            walk_run=False,
            race_km=sum({id(e): e.race_km for e in races}.values()),
        )
        if cap_reason is not None:
            plan.reasons.append(cap_reason)
        if self.stage < len(WALK_RUN_STAGES):
            self._walk_run_week(plan, days, roles, rule_cap)
        else:
            self._running_week(plan, days, roles, rule_cap)
        self._settle(plan, days, roles)
        return plan

    def _kind(self, week: date, roles: dict[date, DayRole]) -> str:
        """What most of the week is: a race week, a taper or recovery week, or its block."""
        values = list(roles.values())
        if any(r.race is not None and r.race.priority != Priority.C for r in values):
            return "race"
        if 2 * sum(r.taper is not None for r in values) > len(values):
            return "taper"
        if 2 * sum(r.recovery is not None for r in values) > len(values):
            return "recovery"
        return self.i.demand.kind(week)

    def _rule_cap(self, phases: set[str], days: list[date]) -> tuple[float, Reason | None]:
        """The lowest cap of the week's phases, windowed caps included where their window
        covers a day of the week in that phase."""
        cap, reason = math.inf, None
        for phase in sorted(phases):
            if phase in self.i.caps and self.i.caps[phase][0] < cap:
                cap, reason = self.i.caps[phase]
        for phase, km, why, covers in self.i.windowed_caps:
            if km < cap and any(
                covers(d) and self.i.phase_plan.phase_on(d).name == phase for d in days
            ):
                cap, reason = km, why
        return cap, reason

    def _ceiling(self) -> float:
        growth = 1 + self.i.settings.progression_limit
        return min(self.ref1 * growth, self.ref2 * TWO_WEEK_LIMIT)

    # -- walk-run ---------------------------------------------------------------------------------
    def _walk_run_week(
        self, plan: WeekPlan, days: list[date], roles: dict[date, DayRole], rule_cap: float
    ) -> None:
        adjustment = self.i.adjustments.get(plan.start)
        if adjustment is not None:
            if adjustment.action == "regress":
                self.stage = max(0, self.stage - 1)
            plan.reasons.extend(adjustment.reasons)
        repeats, run_minutes, walk_minutes = WALK_RUN_STAGES[self.stage]
        plan.walk_run, plan.kind = True, plan.kind if plan.kind in ("race", "taper") else "walk_run"
        plan.reasons.append(POLICY["walk_run"])
        usable = [
            d
            for d in days
            if d.weekday() in self.i.run_weekdays
            and _walk_run_day(roles[d])
            and d not in self.i.paused
        ]
        chosen = _alternate(usable, 3)
        km = self.m.walk_run_km(repeats, run_minutes, walk_minutes)
        if km * len(chosen) > rule_cap:
            chosen = chosen[: int(rule_cap // km)] if km else []
        # A full week runs every session the week's run days allow (three at most).
        possible = len(
            _alternate([plan.start + timedelta(days=w) for w in sorted(self.i.run_weekdays)], 3)
        )
        full = len(chosen) >= possible and len(days) == 7
        minutes = int(repeats * (run_minutes + walk_minutes))
        intervals = ((repeats, run_minutes, walk_minutes),)
        for day in chosen:
            self._add(RunPlan(day, km, "walk_run", minutes=minutes, intervals=intervals))
        for day in days:  # B and C races are not raced during walk-run: a session instead
            event = roles[day].race
            if event is None or event.priority == Priority.A or day != event.first:
                continue
            self.shortened[event.index] = km
            self._add(
                RunPlan(day, km, "race_run", minutes=minutes, intervals=intervals, event=event)
            )
        if full and (adjustment is None or adjustment.action == "progress"):
            self.stage += 1  # one stage a week, only after a week that ran it in full
        if self.stage == len(WALK_RUN_STAGES):
            volume = km * len(chosen)
            self.ref1 = self.ref2 = volume
            self.long_ref = km
            self.level_pattern = {r.day.weekday(): r for r in self._runs_in(days)}
            self.since_reset = 0

    # -- continuous running -----------------------------------------------------------------------
    def _running_week(
        self, plan: WeekPlan, days: list[date], roles: dict[date, DayRole], rule_cap: float
    ) -> None:
        i = self.i
        full = len(days) == 7 and all(self._build_like(r) for r in roles.values())
        adjustment = i.adjustments.get(plan.start)
        ceiling = self._ceiling()
        most = self._most(plan.start)
        # Never below the last full week (today's fitness) unless a cap or a verdict says so.
        volume = min(max(i.demand.volume(plan.start), self.ref1), ceiling, rule_cap, most)
        if most < min(ceiling, rule_cap) and most < i.current_km:
            self.held_by_runs = max(self.held_by_runs, most)
            plan.reasons.append(POLICY["run_days"])
        plan.reasons.append(POLICY[plan.kind] if plan.kind in POLICY else POLICY["build"])
        plan.reasons.append(POLICY["progression"])
        if adjustment is not None and adjustment.action != "progress":
            step = 1 + i.settings.progression_limit if adjustment.action == "regress" else 1
            volume = min(volume, self.ref1 / step)
            plan.reasons.extend(adjustment.reasons)
        step_back = self.long_ref * DELOAD_LONG_RUN >= MIN_RUN_KM  # room to shorten the runs
        before_taper = any(
            self.i.season.role(plan.start + timedelta(days=k)).taper is not None
            for k in range(7, 14)
        )
        overdue = self.full_run >= self._deload_every(plan.start) and not before_taper
        planned = plan.start in self.deloads and self.since_reset >= 2
        after_full = self.full_run >= 1  # never two deloads in a row
        if full and (planned or overdue) and step_back and after_full:
            plan.deload = True
            plan.kind = "deload"
            volume = min(volume, self.ref1 * (1 - i.settings.deload_cut))
            plan.reasons.append(POLICY["deload"])
        if full:
            plan.cap_km = min(rule_cap, max(ceiling, volume), most, self._week_most(plan.start))
        else:  # tapers, races and recoveries have their own bounds, cut from the peak week
            peak = max(self.block.peak_km, self.previous_block.peak_km, ceiling)
            plan.cap_km = min(rule_cap, peak)
            values = list(roles.values())
            if any(r.build for r in values) and all(
                r.build or (r.taper is not None and r.race is None) for r in values
            ):  # the week of the last long run, its taper starting late in it: still a week
                # that grows from the last one by the usual limits
                plan.cap_km = min(plan.cap_km, ceiling)
        build_days = [d for d in days if self._build_like(roles[d]) and d not in i.paused]
        pattern = self._pattern(plan, build_days, roles, volume, adjustment)
        for day in days:
            role = roles[day]
            if day in i.paused and role.race is None:
                continue  # running paused after a check-in with severe pain
            if self._build_like(role):
                run = pattern.get(day.weekday())
                if run is not None and run.day == day:
                    self._add(run)
                elif role.race is not None:  # a second race in the week: run only if it fits
                    self._check_race(plan, day, role.race, adjustment)
            elif role.race is not None:
                self._check_race(plan, day, role.race, adjustment)
            elif day.weekday() in i.run_weekdays:
                special = self._special_run(day, role)
                if special is not None:
                    self._add(special)
        self._race_week_intensity(days, roles)

    def _pattern(
        self,
        plan: WeekPlan,
        build_days: list[date],
        roles: dict[date, DayRole],
        volume: float,
        adjustment: Adjustment | None,
    ) -> dict[int, RunPlan]:
        """The build days' runs: the long run first (or the race that stands in for it),
        a quality session when allowed, easy runs to fill; every run within its limits."""
        i, m = self.i, self.m
        week_run_days = [plan.start + timedelta(days=w) for w in sorted(i.run_weekdays)]
        stand_ins = sorted(
            d for d in build_days if roles[d].race is not None or roles[d].demoted is not None
        )
        stand_in = stand_ins[0] if stand_ins else None
        run_dates = [d for d in week_run_days if d in build_days and d not in stand_ins]
        if not run_dates and stand_in is None:
            return {}
        share = share_limit(len(week_run_days), i.settings.long_run_share)
        easy_max = self._km_in(EASY_MINUTES_MAX, plan.start)
        long_guess = min(
            volume * share,
            self._single_limit(plan.start),
            i.demand.long_run(plan.start, volume),
        )
        wanted = runs_held(volume, long_guess, easy_max, i.runs_per_week, len(week_run_days))
        if plan.deload and self.block.runs:  # a lighter week keeps its runs, each shorter
            wanted = max(wanted, len(self.block.runs[-1]))
        count = min(len(week_run_days), wanted, int(volume // MIN_RUN_KM))
        count = max(1, count)
        share = share_limit(count, i.settings.long_run_share)
        long_day = None if stand_in is not None else self._long_day(plan.start, run_dates)
        chosen = _keep(run_dates, count - (stand_in is not None), long_day)
        runs: dict[int, RunPlan] = {}
        remaining, long_km = volume, 0.0
        self._volume_target = volume
        self._long_held = False
        double_event = None if plan.deload else i.demand.back_to_back_event(plan.start)
        if (
            double_event is not None
            and long_day is not None
            and (
                self._race_within(long_day, 15)
                or self._race_next_to(long_day)
                or self._race_next_to(long_day + DAY)
            )
        ):
            double_event = None  # never in the last 14 days before a race, nor next to one
        if stand_in is not None:
            long_km = self._stand_in(plan, stand_in, roles[stand_in], volume * share, adjustment)
            run = self._pending_stand_in
            if run is not None:
                runs[stand_in.weekday()] = run
            remaining -= long_km  # the race (or the run in its place) is the week's long run
            plan.reasons.append(POLICY["c_race"])
        elif long_day is not None and long_day in chosen:
            long_km = self._long_run_km(plan, long_day, volume * share, adjustment)
            if double_event is not None and not self._doubles_fit(double_event, long_km):
                double_event = None
            if long_km < MIN_RUN_KM:
                long_km = 0.0
            elif double_event is not None:
                remaining -= self._doubles(runs, plan, long_day, double_event, long_km)
            else:
                runs[long_day.weekday()] = RunPlan(
                    long_day, long_km, "long", minutes=m.minutes(long_km)
                )
                remaining -= long_km
        others = [d for d in chosen if d.weekday() not in runs]
        # A week cut short (by the plan's start, a taper or a race) keeps each easy run the
        # size it would have in a whole week, rather than packing the volume into fewer runs.
        has_long = stand_in is not None or (long_day is not None and long_day in chosen)
        slots = max(len(others), count - has_long)
        easy_cap = easy_max
        if plan.deload:  # every run of a deload stays under its long-run step-back
            easy_cap = min(easy_cap, m.grid(self.long_ref * DELOAD_LONG_RUN))
        others_count = len(others)
        if long_km and others_count >= 2 and self._long_held:
            # The long run is behind what the race needs: it grows first, the easy runs stay
            # shorter (never below today's volume) so that it can stand out.
            floor = max(0.0, min(i.current_km, volume) - (volume - remaining)) / others_count
            easy_cap = min(easy_cap, max(long_km / LONG_OVER_EASY, m.grid_up(floor)))
        fixed = dict(runs.items())  # the long run (or what stands in for it)

        def fill(days: list[date], slots: int) -> None:
            left = remaining
            for position, day in enumerate(days):
                km = m.grid(min(left / (slots - position), easy_cap, self._single_limit(day)))
                if km >= MIN_RUN_KM:
                    runs[day.weekday()] = RunPlan(day, km, "easy", minutes=m.minutes(km))
                    left -= km

        fill(others, slots)
        # A race raced as it is (not a run in `runs`) is part of the week's volume too.
        raced = long_km if stand_in is not None and stand_in.weekday() not in runs else 0.0
        if len(build_days) == 7 and not plan.deload and runs:
            spare = [d for d in run_dates if d.weekday() not in runs]
            if i.current_km <= 0:  # a new runner (from walk-run) runs on non-consecutive days
                spare = [d for d in spare if all(abs((d - r.day).days) > 1 for r in runs.values())]
            short = volume - raced - sum(r.km for r in runs.values())
            if spare and short > m.km_per_unit * 0.15:  # one more run holds the week's volume
                day = max(spare, key=lambda d: min(abs((d - r.day).days) for r in runs.values()))
                runs.clear()
                runs.update(fixed)
                more = sorted([*others, day])
                fill(more, max(len(more), slots + 1))
        self._balance_long_run(plan, runs, full=len(build_days) == 7)
        if len(build_days) == 7:
            self._top_up(runs, volume - raced, easy_cap)
        self._after_regress(runs)
        if stand_in is None and double_event is None and not plan.deload:
            self._intensity(plan, runs, roles)
        return runs

    def _top_up(self, runs: dict[int, RunPlan], volume: float, easy_cap: float) -> None:
        """Rounding each run down loses a little: the easy runs take it back, within limits."""
        for run in sorted(runs.values(), key=lambda r: r.day):
            short = volume - sum(r.km for r in runs.values())
            if short < 0.05 or run.role != "easy":
                continue
            room = min(easy_cap, self._single_limit(run.day)) - run.km
            if room > 0:
                run.km = self.m.grid(run.km + min(room, short))
                run.minutes = self.m.minutes(run.km)

    def _rested_at_start(self, week: date) -> bool:
        """The week holds some of the plan's first days without running."""
        return any(week + timedelta(days=k) in self.i.start_rest for k in range(7))

    def _balance_long_run(self, plan: WeekPlan, runs: dict[int, RunPlan], *, full: bool) -> None:
        """The long run is the week's longest run, and a modest share of what the week really
        holds: lengthened to the easy runs' length when the volume needs it, shortened when
        the week came out smaller than planned, and called an easy run when it is not clearly
        longer than the others."""
        easy = [r for r in runs.values() if r.role == "easy"]
        long_run = next((r for r in runs.values() if r.role == "long"), None)
        if long_run is None or not easy:
            return
        others = sum(r.km for r in runs.values() if r is not long_run)
        if full:  # within its share of the runs around it
            share = share_limit(len(runs), self.i.settings.long_run_share)
            share_bound = others * share / (1 - share) if share < 1 else math.inf
        else:
            # A week cut short (by the plan's start, a taper or a race): within its share of
            # the whole week's volume, never absorbing the volume of the days it does not have.
            share = share_limit(len(self.i.run_weekdays), self.i.settings.long_run_share)
            share_bound = max(long_run.km, min(share, 0.5) * self._volume_target)
            if self._rested_at_start(plan.start):
                # the plan's first days without running: the few runs left are not one long
                # run and a short one (never over half of what the week holds)
                share_bound = min(share_bound, others)
        limit = min(
            self._single_limit(long_run.day),
            share_bound,
            self._km_in(self.i.demand.long_minutes(plan.start), long_run.day),
        )
        if plan.deload:
            limit = min(limit, self.long_ref * DELOAD_LONG_RUN)
        if self._race_next_to(long_run.day):  # never two hard days in a row
            limit = min(limit, self._km_in(EASY_MINUTES_MAX, long_run.day))
        longest_easy = max(r.km for r in easy)
        room = max(0.0, self._volume_target - others - long_run.km)  # never past the week
        km = max(long_run.km, min(limit, long_run.km + room))
        long_run.km = self.m.grid(min(km, limit))
        long_run.minutes = self.m.minutes(long_run.km)
        paired = any(r.role == "double" for r in runs.values())  # a back-to-back's first day
        if long_run.km < longest_easy * LONG_LABEL_FACTOR and not paired:
            long_run.role = "easy"

    def _after_regress(self, runs: dict[int, RunPlan]) -> None:
        """After a regress verdict the next long run is shorter than the run that hurt: the
        longest run from the day before the check-in's week to the check-in."""
        longs = sorted(
            (r for r in runs.values() if r.role in ("long", "double")), key=lambda r: r.day
        )
        for checked in list(self.pending_regress):
            if not longs or longs[0].day <= checked:
                continue
            # the plan's own runs (not the intake's longest run, seeded before the start)
            window = (max(monday_of(checked) - DAY, self.i.start), checked)
            hurt = max(
                [km for when, km in self.history if window[0] <= when <= window[1]]
                + [r.km for r in runs.values() if window[0] <= r.day <= window[1]],
                default=0.0,
            )
            for run in longs:
                if hurt:
                    run.km = min(run.km, self.m.grid(hurt * REGRESS_LONG_RUN))
                    run.minutes = self.m.minutes(run.km)
            # Done with once a week holding a long run after it is settled (`_settle`):
            # patterns are also worked out ahead, for weeks that are not planned yet.

    def _long_day(self, week: date, run_dates: list[date]) -> date | None:
        """The long run's day: the A race's peak long-run day in its week, else the weekday."""
        for day in self.i.season.peak_long_day.values():
            if monday_of(day) == week and day in run_dates:
                return day
        wanted = week + timedelta(days=self.i.long_run_weekday)
        return wanted if wanted in run_dates else None

    def _most(self, week: date) -> float:
        """The most a week can hold on the runner's run days: easy runs under 90 minutes and a
        long run within its share of the week and its time."""
        runs = len(self.i.run_weekdays)
        easy = self._km_in(EASY_MINUTES_MAX, week)
        if runs <= 1:
            return self._km_in(self.i.demand.long_minutes(week), week)
        share = share_limit(runs, self.i.settings.long_run_share)
        long_time = self._km_in(self.i.demand.long_minutes(week), week)
        by_share = (runs - 1) * easy / (1 - share) if share < 1 else math.inf
        return self.m.grid(min(by_share, long_time + (runs - 1) * easy))

    def _week_most(self, week: date) -> float:
        """What this week's run days can hold given the long run's own limit (110 % of the
        longest run of the last 30 days) and easy runs under 90 minutes."""
        runs = len(self.i.run_weekdays)
        long_day = week + timedelta(days=self.i.long_run_weekday)
        longest = self._history_max(long_day)
        if runs < 2 or not longest:
            return math.inf
        easy = self._km_in(EASY_MINUTES_MAX, week)
        return self.m.grid(
            min(SINGLE_RUN_LIMIT * longest, longest + LONG_RUN_STEP_KM) + (runs - 1) * easy
        )

    def _walk_breaks(self, day: date) -> bool:
        """Walk breaks (a rule's `walk_run` setting) apply during activation and strength."""
        if self.i.current_km <= 0:  # from zero: the walk-run progression replaces them
            return False
        return self.i.settings.walk_run and self.i.phase_plan.phase_on(day).name in (
            "activation",
            "strength",
        )

    def _km_in(self, minutes: float, day: date) -> float:
        """The distance that takes `minutes` on `day` (walk breaks included)."""
        return self.m.km_in(minutes, walk_breaks=self._walk_breaks(day))

    def _history_max(self, day: date) -> float:
        known = self._history_max_on.get(day)
        if known is None:
            history = self.history
            first = bisect_left(history, (day - timedelta(days=HISTORY_DAYS),))
            known = max(
                (km for _, km in history[first : bisect_left(history, (day,))]), default=0.0
            )
            self._history_max_on[day] = known
        return known

    def _single_limit(self, day: date) -> float:
        return SINGLE_RUN_LIMIT * self._history_max(day)

    def _long_run_km(
        self, plan: WeekPlan, day: date, share_km: float, adjustment: Adjustment | None
    ) -> float:
        """The long run: toward what the races want, grown by at most 10 % (and 3 km) on the
        longest run of the last 30 days, a modest share of the week, within its time."""
        i, m = self.i, self.m
        longest = self._history_max(day)
        wanted = i.demand.long_run(plan.start, share_km / max(i.settings.long_run_share, 0.01))
        limits = [
            wanted,
            SINGLE_RUN_LIMIT * longest,
            longest + LONG_RUN_STEP_KM if longest > 0 else math.inf,
            share_km,
            self._km_in(i.demand.long_minutes(plan.start), day),
            i.demand.long_cap(plan.start) or math.inf,
        ]
        if plan.deload:
            limits.append(self.long_ref * DELOAD_LONG_RUN)
        if self._race_next_to(day):  # never two hard days in a row
            limits.append(self._km_in(EASY_MINUTES_MAX, day))
        if day in self._peak_days and self.block.long_km:
            # The last long run before a taper is the block's longest, or close to it.
            limits[0] = max(limits[0], PEAK_LONG_RUN * self.block.long_km)
            limits[3] = max(limits[3], self.block.long_km * PEAK_LONG_RUN)
        if adjustment is not None and adjustment.action == "hold":
            limits.append(self.long_ref)
        km = m.grid(min(limits))
        # Held back by its own progression (the 110 % rule and the 3 km step), not by the week.
        self._long_held = km < wanted * 0.999 and min(limits[1:3]) <= min(limits[3:])
        if km < share_km * 0.999 and km < wanted:
            plan.reasons.append(POLICY["long_run"])
        return km

    def _stand_in(
        self,
        plan: WeekPlan,
        day: date,
        role: DayRole,
        share_km: float,
        adjustment: Adjustment | None,
    ) -> float:
        """A C race, or a race the plan advises against, takes the long run's place. One longer
        than the single-run limit allows is run as a shorter training run (never raced); the
        run is left in `_pending_stand_in`. Returns the distance that counts as the long run."""
        self._pending_stand_in = None
        event = role.demoted or role.race
        assert event is not None
        allowed = self._long_run_km(plan, day, share_km, adjustment)
        if role.demoted is None and event.leg_km <= self._single_limit(day) + 1e-9:
            return event.leg_km  # raced as it is: the race session is the long run
        km = self.m.grid(min(allowed, event.race_km))
        if km < MIN_RUN_KM:
            km = 0.0
        if role.demoted is None:
            self.shortened[event.index] = km
        if km:
            self._pending_stand_in = RunPlan(
                day, km, "race_run", minutes=self.m.minutes(km), event=event
            )
        return km

    def _check_race(
        self, plan: WeekPlan, day: date, event: Event, adjustment: Adjustment | None
    ) -> None:
        """A B or C race longer than the single-run limit allows (they are not exempt, unlike
        A races) is run as a shorter training run instead."""
        if event.priority == Priority.A:
            return
        if (
            event.index not in self.shortened
            and event.priority == Priority.C
            and any(r.role == "race_run" for r in self.runs_by_day.get(day, []))
        ):
            return
        if event.index not in self.shortened:
            if day != event.first or event.leg_km <= self._single_limit(day) + 1e-9:
                return
            allowed = self._long_run_km(plan, day, math.inf, adjustment)
            self.shortened[event.index] = allowed if allowed >= MIN_RUN_KM else 0.0
        allowed = self.shortened[event.index]
        goal = next((g for g in event.goals if g.day == day), None)
        if goal is None or not allowed:
            return
        km = self.m.grid(min(allowed, goal.leg_km))
        self._add(RunPlan(day, km, "race_run", minutes=self.m.minutes(km), event=event))

    def _pair_day(self, day: date, week: date) -> bool:
        """A run day of this week, in the build, that can hold the other run of a pair."""
        return (
            day.weekday() in self.i.run_weekdays
            and week <= day < week + timedelta(days=7)
            and self.i.season.start <= day <= self.i.season.end
            and self._build_like(self._role(day))
        )

    @staticmethod
    def _doubles_fit(event: Event, long_km: float) -> bool:
        """Relay practice replaces the long run only when its two runs (each no longer than the
        longest leg) hold most of it; legs far shorter than the long run need no practice."""
        if event.two_days:
            return True
        return 2 * event.leg_km >= 0.8 * long_km and long_km / 2 >= MIN_RUN_KM

    def _doubles(
        self, runs: dict[int, RunPlan], plan: WeekPlan, day: date, event: Event, long_km: float
    ) -> float:
        """Back-to-back runs (docs/plan-shape.md §2): relay legs as two runs 8-12 hours apart on the
        long run's day, each no longer than the longest leg; an ultra's long run followed by a
        shorter one the next day."""
        m = self.m
        plan.reasons.append(POLICY["back_to_back"])
        if event.two_days:
            runs[day.weekday()] = RunPlan(day, long_km, "long", minutes=m.minutes(long_km))
            next_day, day_before = day + DAY, day - DAY
            if self._pair_day(next_day, plan.start):  # the long run, then a shorter one
                other, order = next_day, 1
            elif self._pair_day(day_before, plan.start):  # a shorter run, then the long run
                other, order = day_before, 0
            else:
                return long_km
            km = m.grid(min(long_km * 0.6, self._single_limit(other) or long_km))
            runs[other.weekday()] = RunPlan(
                other, km, "double", m.minutes(km), event=event, order=order, of=2
            )
            return long_km + km
        each = m.grid(min(long_km / 2, event.leg_km, self._single_limit(day) or 0))
        if each < MIN_RUN_KM:  # too short to practise: the long run stays
            runs[day.weekday()] = RunPlan(day, long_km, "long", minutes=m.minutes(long_km))
            return long_km
        runs[day.weekday()] = RunPlan(day, each, "double", m.minutes(each), event=event, of=2)
        self._extra_runs.append(
            RunPlan(day, each, "double", m.minutes(each), event=event, order=1, of=2)
        )
        return 2 * each

    # -- intensity --------------------------------------------------------------------------------
    def _quality_for(self, week: date) -> QualityContext | None:
        """The quality sessions suit the next A race (or the next race) ahead."""
        for need in self.i.demand.ahead(week):
            return self.i.quality.get(need.event.index)
        for event in self.i.season.raced:
            if event.last >= week and event.index in self.i.quality:
                return self.i.quality[event.index]
        return self.i.quality_default

    def _intensity_context(self, week: date, days: list[date]) -> QualityContext | None:
        """The quality sessions these days may hold, or None when no intensity is allowed:
        in walk-run, before the running-form phase, or above the pain limits."""
        i = self.i
        context = self._quality_for(week)
        if context is None or self.stage < len(WALK_RUN_STAGES):
            return None
        if any(i.phase_plan.phase_on(d).name in ("activation", "strength") for d in days):
            return None
        known = [w for w in i.pain_by_week if w <= week]
        allowed = i.pain_by_week[max(known)] if known else i.intensity_pain_ok
        if not allowed:
            return None
        if i.speed_from is not None and week < i.speed_from:  # the tendon is not ready yet
            return replace(context, speed_allowed=False, hills_allowed=False)
        return context

    def _race_next_to(self, day: date) -> bool:
        """A race the day before or after `day`."""
        near = {day - DAY, day + DAY}
        return any(
            self.i.season.role(d).race is not None or self.i.season.role(d).demoted is not None
            for d in near
        )

    def _race_within(self, day: date, days: int) -> bool:
        """An A or B race in the `days` days after `day` (the next day counted)."""
        return any(
            0 < (event.first - day).days <= days
            for event in self.i.season.raced
            if event.priority != Priority.C
        )

    def _hard_next_to(self, day: date) -> bool:
        """A hard run (or a race) the day before or after `day`."""
        return self._race_next_to(day) or any(
            r.hard for d in (day - DAY, day + DAY) for r in self.runs_by_day.get(d, [])
        )

    def _recently_raced(self, day: date) -> bool:
        """Inside the days after a race before quality returns (docs/plan-shape.md §5)."""
        for event in self.i.season.raced:
            if event.priority == Priority.C:
                continue
            since = (day - event.last).days
            if 0 < since < event.recovery_days:
                return True
        return False

    def _intensity(
        self, plan: WeekPlan, runs: dict[int, RunPlan], roles: dict[date, DayRole]
    ) -> None:
        i = self.i
        days = sorted(roles)
        context = self._intensity_context(plan.start, days)
        if context is None:
            return
        easy = sorted((r for r in runs.values() if r.role == "easy"), key=lambda r: r.day)
        easy = [r for r in easy if not self._recently_raced(r.day)]
        if not easy:
            return
        self.intensity_weeks += 1
        quality_run: RunPlan | None = None
        if i.settings.quality_per_week and self.intensity_weeks > STRIDE_WEEKS:
            long_run = next((r for r in runs.values() if r.role == "long"), None)
            day_run = self._quality_day(easy, runs)
            workout = weekly_workout(
                context,
                self.block.quality_count,
                day_run.minutes if day_run is not None else 0,
                long_run.minutes if long_run is not None else 0,
            )
            if workout is not None and workout.kind == "long_finish":
                if long_run is not None and not self._recently_raced(long_run.day):
                    long_run.workout = workout
                    quality_run = long_run
                    self.block.quality_count += 1
            elif workout is not None and day_run is not None:
                quality_run = day_run
                quality_run.role = "quality"
                quality_run.workout = workout
                quality_run.minutes = self.m.minutes(quality_run.km, quality=True)
                self.block.quality_count += 1
        stride_runs = [
            r
            for r in easy
            if r is not quality_run
            and (quality_run is None or abs((r.day - quality_run.day).days) > 1)
        ]
        strides = i.settings.strides_per_week if context.speed_allowed else 0
        if quality_run is not None and len(runs) <= 3:
            strides = min(strides, 1)  # few runs: most of them stay easy
        picked: list[RunPlan] = []  # spread: never strides two days running
        for run in stride_runs:
            if len(picked) < strides and all(abs((run.day - p.day).days) > 1 for p in picked):
                picked.append(run)
                run.workout = stride_workout()

    def _quality_day(self, easy: list[RunPlan], runs: dict[int, RunPlan]) -> RunPlan | None:
        """The easy run farthest from the week's hard days, with no hard day next to it (the
        last days of the week before count: a Monday after a Sunday long run is no place)."""
        hard_days = {r.day for r in runs.values() if r.hard}
        hard_days |= self._race_days
        if easy:
            monday = monday_of(easy[0].day)
            hard_days |= {
                d
                for d in (monday - DAY, monday - 2 * DAY)
                if any(r.hard for r in self.runs_by_day.get(d, []))
            }
        candidates = [r for r in easy if not ({r.day - DAY, r.day + DAY} & hard_days)]
        if not candidates:
            return None
        # Not the day before or after a long run either, when the week allows it.
        long_days = {r.day for r in runs.values() if r.role in ("long", "double")}
        if easy:
            long_days |= {
                d
                for d in (monday - DAY, monday - 2 * DAY)
                if any(r.role in ("long", "double") for r in self.runs_by_day.get(d, []))
            }
        apart = [r for r in candidates if not ({r.day - DAY, r.day + DAY} & long_days)]

        def distance(run: RunPlan) -> int:
            return min((abs((run.day - d).days) for d in hard_days), default=7)

        return max(apart or candidates, key=lambda r: (distance(r), -r.day.toordinal()))

    # -- tapers, B races, recoveries --------------------------------------------------------------
    def _special_run(self, day: date, role: DayRole) -> RunPlan | None:
        """A run on a day that belongs to a taper, a B race's lighter days or a recovery:
        the peak week's run on that weekday, cut to the bound of its window."""
        m = self.m
        weekday = day.weekday()
        limits: list[float] = [self._single_limit(day)]
        factor = 1.0
        block = self.block if self.block.pattern else self.previous_block
        pattern = block.pattern or self.level_pattern
        base = pattern.get(weekday)
        shake_day = role.taper is not None and day == self._shake_out_day(role.taper)
        typical = self._typical_easy(block)
        extra = False  # a race-week run on a day the peak week did not run
        if base is not None:
            base_km = base.km
        elif pattern and not shake_day:
            if not self._race_week_needs_a_run(role):
                return None  # the peak week had no run on this weekday
            base_km, extra = typical, True  # within the taper week's share (below)
        else:
            base_km = self.ref1 / max(1, len(self.i.run_weekdays))
        role_name = "easy"
        if role.taper is not None:
            event, k = role.taper, role.to_race
            if not extra:
                factor = min(factor, self._taper_scale(event, k, block, pattern))
            peak_long = block.long_km or base_km
            for within, share in TAPER_LONG_RUN:
                if k <= within:  # long runs: at most 65 % (40 % in the last week) of the peak
                    long_day = weekday == self.i.long_run_weekday
                    limits.append(
                        peak_long * share if long_day else max(typical, peak_long * share)
                    )
                    break
            if k <= 6:
                limits.append(typical)
            earlier = self._window_easy.get((event.index, self._taper_window(event, k)[2] + 1))
            if earlier is not None and not (8 <= k <= 14 and weekday == self.i.long_run_weekday):
                limits.append(earlier)  # no run longer than the last taper week's easy runs
            if k <= 2:
                if not shake_day:
                    return None
                budget = factor * (block.peak_km or base_km * len(self.i.run_weekdays))
                minutes = SHAKE_OUT_MINUTES[event.klass.value]
                km = m.grid(min(m.km_in(minutes), SHAKE_OUT_MAX_KM, budget, *limits))
                if km < MIN_RUN_KM * 0.75:
                    return None
                context = self._intensity_context(monday_of(day), [day])
                strides = context is not None and context.speed_allowed
                return RunPlan(
                    day,
                    km,
                    "shake_out",
                    minutes=m.minutes(km),
                    workout=shake_out() if strides else None,
                    event=event,
                )
        if role.b_taper is not None:
            if role.to_race <= self.i.settings.b_race_taper_days:
                factor = min(factor, B_TAPER_FACTOR)
            limits.append(typical)
        if role.recovery is not None:
            event, since = role.recovery, role.since
            if since <= event.rest_days_after:
                return None
            steps = RECOVERY_FACTORS[event.klass.value]
            window = (since - 1) // 7
            if window < len(steps):
                factor = min(factor, steps[window])
            if window == 0 or event.klass.value in ("short", "half"):
                limits.append(typical * factor)  # short, easy runs
            else:  # the first long run after a race: at most 60 % of the peak long run
                limits.append(max(typical, block.long_km * FIRST_LONG_AFTER_RACE))
            role_name = "recovery"
        if self._race_next_to(day):  # never two hard days in a row
            limits.append(self._km_in(EASY_MINUTES_MAX, day))
        if role.taper is not None and self._in_first_taper_week(role.taper, day):
            factor = min(factor, self._first_taper_week_scale(role.taper, pattern))
        taper_long = (
            role.taper is not None
            and 8 <= role.to_race <= 14
            and weekday == self.i.long_run_weekday
            and base is not None
            and base.role == "long"
            and not self._hard_next_to(day)
        )
        if taper_long:
            # The taper's last long run, 8-14 days out: shorter than the peak's (at most 65 %),
            # longer than the week's easy runs, within what is left of the week's share.
            km = m.grid(min(base_km, self._km_in(TAPER_LONG_MINUTES, day), *limits))
            role_name = "long"
        else:
            km = m.grid(min(base_km * factor, self._km_in(EASY_MINUTES_MAX, day), *limits))
        if km < MIN_RUN_KM and role.taper is not None and role.recovery is None:
            km = self._short_taper_run(day, role.taper, role.to_race, block, min(limits))
        if role.taper is not None and block.peak_km:  # the taper week's share, all runs told
            km = min(km, self.m.grid(self._taper_room(day, role.taper, role.to_race, block)))
        if km < MIN_RUN_KM:
            return None
        if role.taper is not None:
            taper_week = (role.taper.index, self._taper_window(role.taper, role.to_race)[2])
            self._window_used[taper_week] = self._window_used.get(taper_week, 0.0) + km
            if weekday != self.i.long_run_weekday:
                self._window_easy[taper_week] = max(km, self._window_easy.get(taper_week, 0.0))
            if self._in_first_taper_week(role.taper, day):
                first_week = (role.taper.index, 0)
                self._window_used[first_week] = self._window_used.get(first_week, 0.0) + km
        if role.demoted is not None:  # a race not raced: an easy run in its place
            return RunPlan(day, km, "race_run", minutes=m.minutes(km), event=role.demoted)
        if role_name == "long" and role.taper is not None:
            week_easy = self._window_easy.get(
                (role.taper.index, self._taper_window(role.taper, role.to_race)[2]), 0.0
            )
            if km <= week_easy + 1e-9:  # no longer than the week's easy runs: not a long run
                role_name = "easy"
        return RunPlan(day, km, role_name, minutes=m.minutes(km))

    def _short_taper_run(
        self, day: date, event: Event, to_race: int, block: Block, limit: float
    ) -> float:
        """A taper run too short to be worth it is kept at the shortest worthwhile length when
        its taper week has room for it within the week's share of the peak (the shake-out
        still to come counted); otherwise it is dropped."""
        if limit < MIN_RUN_KM or not block.peak_km:
            return 0.0
        km = self.m.grid_up(MIN_RUN_KM)
        return km if km <= min(limit, self._taper_room(day, event, to_race, block)) else 0.0

    def _taper_window(self, event: Event, to_race: int) -> tuple[int, int, int, float]:
        """(taper length in days, its number of weeks, the week `to_race` days out falls in,
        counted back from race day, and that week's share of the peak week)."""
        taper_len = (event.first - self.i.season.taper_start[event.index]).days
        windows = min(3, taper_len // 7 + 1)
        j = min(3, to_race // 7 + 1)
        return taper_len, windows, j, TAPER_FACTORS[windows][windows - j]

    def _in_first_taper_week(self, event: Event, day: date) -> bool:
        return day < self.i.season.taper_start[event.index] + timedelta(days=7)

    def _taper_room(self, day: date, event: Event, to_race: int, block: Block) -> float:
        """What is left of a taper week's share of the peak week (under the review's bound),
        the shake-out still to come set aside."""
        _, windows, j, factor = self._taper_window(event, to_race)
        bound = factor * block.peak_km
        used = self._window_used.get((event.index, j), 0.0)
        shake = self._shake_out_day(event)
        reserve = (
            self.m.km_in(SHAKE_OUT_MINUTES[event.klass.value])
            if (j == 1 and shake is not None and shake > day)
            else 0.0
        )
        room = bound - used - reserve
        start = self.i.season.taper_start[event.index]
        earlier = (event.index, j + 1)
        if j < windows and event.first - timedelta(days=7 * (j + 1) - 1) >= start:
            # a whole earlier taper week: this one stays below it (the taper is progressive)
            room = min(room, self._window_used.get(earlier, 0.0) - used - reserve)
        if self._in_first_taper_week(event, day) and self.last_full_km:
            # the taper's first week: never above the last full week, nor (straight after a
            # recovery, with no room to rebuild) above the recovery week: a taper only goes down
            first = self._window_used.get((event.index, 0), 0.0)
            later = reserve if event.first - start <= timedelta(days=7) else 0.0
            above = self.last_full_km
            if self.after_recovery:
                above = min(above, self.ref1)
            room = min(room, above - first - later)
        return max(0.0, room)

    def _first_taper_week_scale(self, event: Event, pattern: dict[int, RunPlan]) -> float:
        """The taper's first week is never bigger than the last full week before it."""
        start = self.i.season.taper_start[event.index]
        weekdays = {(start + timedelta(days=k)).weekday() for k in range(7)}
        total = sum(r.km for w, r in pattern.items() if w in weekdays)
        if not total or not self.last_full_km:
            return 1.0
        return self.last_full_km / total

    def _taper_scale(
        self, event: Event, to_race: int, block: Block, pattern: dict[int, RunPlan]
    ) -> float:
        """How much of the peak week's run a taper day keeps. Taper weeks are counted back
        from race day (days 1-6 before it, 7-13, 14 and more); each gets its share of the peak
        week, spread over the runs it keeps (race week loses the day before a half or longer
        and all but one of its last two days)."""
        taper_len, _, j, factor = self._taper_window(event, to_race)
        key = (event.index, j)
        if key in self._taper_scales:
            return self._taper_scales[key]
        low = 1 if j == 1 else 7 * (j - 1)
        high = 6 if j == 1 else (7 * j - 1 if j < 3 else taper_len)
        high = min(high, taper_len)
        scale = factor
        if high - low + 1 >= (6 if j == 1 else 7) and pattern and block.peak_km:
            shake = self._shake_out_day(event)
            kept, fixed = 0.0, 0.0
            for k in range(low, high + 1):
                day = event.first - timedelta(days=k)
                if k <= 2:
                    minutes = SHAKE_OUT_MINUTES[event.klass.value]
                    fixed += self.m.km_in(minutes) if day == shake else 0.0
                    continue
                run = pattern.get(day.weekday())
                if run is not None and day.weekday() in self.i.run_weekdays:
                    kept += run.km
            if kept > 0:  # fewer runs, but each still shorter than in the build
                scale = min(TAPER_RUN_MAX[j], max(0.0, factor * block.peak_km - fixed) / kept)
        self._taper_scales[key] = scale
        return scale

    def _typical_easy(self, block: Block) -> float:
        """The median easy run of the block's last four full weeks (of all their runs, if
        none is easy): a typical easy run of the build."""
        recent = [km for week in block.runs[-TYPICAL_WEEKS:] for km in week]
        if not recent:  # no runs yet (or only paused weeks): an even share of the level
            return max(MIN_RUN_KM, self.ref1 / max(1, len(self.i.run_weekdays)))
        easy = [km for week in block.easy[-TYPICAL_WEEKS:] for km in week]
        return statistics.median(easy or recent)

    def _shake_out_day(self, event: Event) -> date | None:
        """The one run of the last two days: the day before for a 5k or 10k; two days before
        (with a rest day after it) for a half marathon or longer."""
        days = [event.first - timedelta(days=2)]
        if event.klass.value == "short":
            days.insert(0, event.first - DAY)
        for day in days:
            if day.weekday() in self.i.run_weekdays and day >= self.i.start:
                return day
        return None

    def _race_week_intensity(self, days: list[date], roles: dict[date, DayRole]) -> None:
        """Intensity kept in a taper: race-pace segments early in it, strides in race week."""
        context = self._intensity_context(monday_of(days[0]), days)
        if context is None:
            return
        for day in days:
            role = roles[day]
            runs = [r for r in self.runs_by_day.get(day, []) if r.role == "easy"]
            if role.taper is None or not runs or self._recently_raced(day):
                continue
            run = runs[0]
            event, k = role.taper, role.to_race
            workout = taper_workout(self.i.quality.get(event.index, context), run.minutes)
            if (
                7 <= k <= 13
                and workout is not None
                and not self._taper_has(event, "taper_pace")
                and not self._hard_next_to(day)
            ):
                run.workout = workout
                run.role = "quality"
                run.minutes = self.m.minutes(run.km, quality=True)
            elif not context.speed_allowed:
                continue
            elif 4 <= k <= 6 and not self._taper_has(event, "strides", within=6):
                run.workout = stride_workout()
            elif k >= 14 and self._strides_allowed(event, k):
                run.workout = stride_workout()  # the first taper week keeps its strides
            elif (
                7 <= k <= 13
                and not self._taper_has(event, "taper_pace")
                and not self._taper_has(event, "strides", within=13, since=6)
                and self._strides_allowed(event, k)
            ):
                # race-pace segments found no run long enough: strides keep the intensity
                run.workout = stride_workout()

    def _race_week_needs_a_run(self, role: DayRole) -> bool:
        """A race week whose build run days fall in its last two days (the shake-out's) keeps
        a run on another free day, 3-6 days out, so its frequency does not collapse."""
        event, k = role.taper, role.to_race
        if event is None or not 3 <= k <= 6:
            return False
        window = [event.first - timedelta(days=d) for d in range(3, 7)]
        return not self._runs_in(window)

    def _strides_allowed(self, event: Event, to_race: int) -> bool:
        """Strides at most twice in seven days, never two days running (docs/plan-shape.md §6)."""
        recent = [
            k
            for k in range(to_race + 1, to_race + 7)
            for r in self.runs_by_day.get(event.first - timedelta(days=k), [])
            if r.workout and r.workout.kind == "strides"
        ]
        return len(recent) < STRIDES_PER_WEEK and to_race + 1 not in recent

    def _taper_has(self, event: Event, kind: str, within: int = 30, since: int = 0) -> bool:
        """A run with this kind of workout from `within` to `since` days before the race
        (`since` not included)."""
        return any(
            r.workout and r.workout.kind == kind
            for k in range(since + 1, within + 1)
            for r in self.runs_by_day.get(event.first - timedelta(days=k), [])
        )

    # -- bookkeeping ------------------------------------------------------------------------------
    def _add(self, run: RunPlan) -> None:
        self.runs_by_day.setdefault(run.day, []).append(run)

    def _runs_in(self, days: list[date]) -> list[RunPlan]:
        return [r for d in days for r in self.runs_by_day.get(d, [])]

    def _settle(self, plan: WeekPlan, days: list[date], roles: dict[date, DayRole]) -> None:
        """Record the week: its runs (within the cap), the history and the references."""
        for extra in self._extra_runs:
            self._add(extra)
        self._extra_runs.clear()
        self._keep_rest_day(days, roles)
        if len(days) == 7:
            # The week's share rule: in whole build weeks for any run, in every other week
            # (a taper's first days, a race week) for its long run.
            self._cap_biggest_day(days, any_run=all(r.build or r.demoted for r in roles.values()))
        runs = self._runs_in(days)
        for run in runs:
            if run.role in ("easy", "long", "recovery", "race_run", "double") and (
                self._walk_breaks(run.day)
            ):
                run.walk_breaks = True
                run.minutes = self.m.minutes(run.km, walk_breaks=True)
        total = sum(r.km for r in runs)
        if total > plan.cap_km + 1e-9 and total > 0:
            # The peak long run before a taper keeps its length; the other runs give way.
            kept = sum(r.km for r in runs if r.day in self._peak_days)
            rest = total - kept
            scale = max(0.0, plan.cap_km - kept) / rest if rest else 0.0
            if kept > plan.cap_km:
                kept, scale = 0.0, plan.cap_km / total
            for run in runs:
                if kept and run.day in self._peak_days:
                    continue
                run.km = self.m.grid(run.km * scale)
                run.minutes = self.m.minutes(
                    run.km, quality=run.role == "quality", walk_breaks=run.walk_breaks
                )
            self._drop_empty(days)
            runs = self._runs_in(days)
        plan.runs = sorted(runs, key=lambda r: (r.day, r.order))
        longs = [r.day for r in runs if r.role in ("long", "double")]
        self.pending_regress = [c for c in self.pending_regress if not any(d > c for d in longs)]
        plan.planned_km = sum(r.km for r in runs)
        plan.long_run_km = max((r.km for r in runs), default=0.0)
        for event in {id(r.race): r.race for r in roles.values() if r.race}.values():
            if event.index not in self.shortened:
                self.history.append((event.first, event.leg_km))
        for run in runs:
            if run.day not in self.i.skipped:
                self.history.append((run.day, run.km))
        self.history.sort()
        self._history_max_on.clear()
        logged = sum(r.km for r in runs if r.day not in self.i.skipped)
        race_days = [d for d, r in roles.items() if r.race and r.race.priority != Priority.C]
        first_race = min(race_days, default=None)
        for run in runs:  # the block's longest run (races and runs in their place aside)
            before = first_race is None or run.day < first_race
            if roles[run.day].build and run.role != "race_run" and before:
                self.block.long_km = max(self.block.long_km, run.km)
        full = len(days) == 7 and all(r.build for r in roles.values())
        recovering = any(r.recovery is not None for r in roles.values()) and not any(
            r.taper is not None or r.b_taper is not None or r.race is not None
            for r in roles.values()
        )
        if plan.cap_km == math.inf:
            plan.cap_km = max(plan.planned_km, self._ceiling())
        if plan.walk_run:
            return
        if len(days) == 7 and all(self._build_like(r) for r in roles.values()):
            self.since_reset += 1
        full_week = full and not plan.deload
        self.full_run = self.full_run + 1 if full_week else 0
        if full_week:
            self.after_recovery = False
            self.last_full_km = plan.planned_km
            reference = logged
            if self._rested_at_start(plan.start) and logged < plan.cap_km:
                plan.reasons.append(POLICY["start_rest"])
                # the plan's first rest days are not lost fitness: the week still counts at
                # what it was planned for, so the next one does not start lower
                reference = max(logged, min(self.ref1, plan.cap_km))
            self.ref2, self.ref1 = self.ref1, reference
            self.long_ref = plan.long_run_km
            # Each weekday's first run (a back-to-back set's second day included); the latest
            # week at the block's peak volume is the pattern its taper and recovery scale from.
            self.level_pattern = {}
            for run in sorted(runs, key=lambda r: (r.day, r.order)):
                self.level_pattern.setdefault(run.day.weekday(), run)
            if logged >= self.block.peak_km - 1e-6:
                self.block.peak_km = logged
                self.block.pattern = dict(self.level_pattern)
            self.block.easy.append([r.km for r in runs if r.role in ("easy", "quality")])
            self.block.runs.append([r.km for r in runs])
        elif (
            recovering
            and logged > 0
            and any(
                r.recovery is not None and r.recovery.priority == Priority.A for r in roles.values()
            )
        ):  # after an A race, growth starts from the recovery week; a B race's recovery is
            # a lighter week inside the build (like a deload), which then goes on from before it
            self.ref2 = self.ref1 = logged
            self.since_reset = 0
            self.after_recovery = True
        # An A race ends its block; a B race is a step inside the build (its recovery is a
        # lighter week, and the block's peak still shapes the A race's taper).
        raced = [
            r.race for r in roles.values() if r.race is not None and r.race.priority == Priority.A
        ]
        if raced:
            peak = self.block.peak_km if self.block.pattern else self.previous_block.peak_km
            if self.block.pattern:
                self.previous_block = self.block
            self.block = Block()
            self.since_reset = 0
            done = [e for e in raced if e.index not in self.shortened]
            if done and peak:  # rebuild from the recovery, not from the peak
                level = peak * min(RECOVERY_FACTORS[e.klass.value][-1] for e in done)
                self.ref1, self.ref2 = min(self.ref1, level), min(self.ref2, level)
            for run in runs:  # runs after the race already belong to the next block
                if run.day > max(race_days) and roles[run.day].build and run.role != "race_run":
                    self.block.long_km = max(self.block.long_km, run.km)

    def _keep_rest_day(self, days: list[date], roles: dict[date, DayRole]) -> None:
        """A week whose runs and races fill all seven days loses its shortest easy run."""
        if len(days) < 7:
            return
        busy = {d for d in days if self.runs_by_day.get(d) or roles[d].race is not None}
        if len(busy) < 7:
            return
        easy = [r for d in days for r in self.runs_by_day.get(d, []) if r.role == "easy"]
        if easy:
            shortest = min(easy, key=lambda r: (r.km, r.day))
            self.runs_by_day[shortest.day].remove(shortest)
            if not self.runs_by_day[shortest.day]:
                del self.runs_by_day[shortest.day]

    def _cap_biggest_day(self, days: list[date], *, any_run: bool) -> None:
        """No day holds more than half of a week of three or more run days (`any_run`: any
        day; otherwise only a day with a long run, or the recovery run that stands for it)."""
        daily = {d: sum(r.km for r in self.runs_by_day.get(d, [])) for d in days}
        daily = {d: km for d, km in daily.items() if km > 0}
        if len(daily) < 3:
            return
        biggest = max(daily, key=lambda d: (daily[d], d))
        if not any_run and not any(
            r.role in ("long", "double", "race_run", "recovery") for r in self.runs_by_day[biggest]
        ):
            return
        others = sum(daily.values()) - daily[biggest]
        if daily[biggest] <= others:
            return
        scale = others / daily[biggest]
        for run in self.runs_by_day[biggest]:
            run.km = self.m.grid(run.km * scale)
            run.minutes = self.m.minutes(run.km, quality=run.role == "quality")

    def _drop_empty(self, days: list[date]) -> None:
        for day in days:
            kept = [r for r in self.runs_by_day.get(day, []) if r.km >= MIN_RUN_KM * 0.5]
            if kept:
                self.runs_by_day[day] = kept
            else:
                self.runs_by_day.pop(day, None)

    def _separate_hard_days(self) -> None:
        """Never two hard days in a row (docs/plan-shape.md §2): a quality session next to another
        hard day becomes an easy run with strides. Back-to-back runs and races on consecutive
        days are one effort."""
        race_days = self._race_days
        for day in sorted(self.runs_by_day):
            for run in self.runs_by_day[day]:
                if run.workout is None or not run.workout.hard:
                    continue
                for other in (day - DAY, day + DAY):
                    neighbours = self.runs_by_day.get(other, [])
                    if other in race_days or any(n.hard for n in neighbours):
                        if run.role == "long":
                            run.workout = None
                        else:
                            run.role = "easy"
                            run.workout = stride_workout() if self._room_for_strides(day) else None
                            run.minutes = self.m.minutes(run.km)
                        break

    def _room_for_strides(self, day: date) -> bool:
        """Strides fit on `day`: fewer than two in its week and none the day before or after
        (and speed is allowed: after plyometrics, for a tendinopathy)."""
        monday = monday_of(day)
        if self.i.speed_from is not None and monday < self.i.speed_from:
            return False
        week = [
            d
            for d in (monday + timedelta(days=k) for k in range(7))
            for r in self.runs_by_day.get(d, [])
            if r.workout is not None and r.workout.kind == "strides"
        ]
        return len(week) < STRIDES_PER_WEEK and all(abs((d - day).days) > 1 for d in week)


def _walk_run_day(role: DayRole) -> bool:
    if role.race is not None or role.demoted is not None:
        return False
    if role.recovery is not None and role.since <= role.recovery.profile.rest_days_after:
        return False
    return not (role.taper is not None and role.to_race <= 2)


def _alternate(days: list[date], limit: int) -> list[date]:
    """At most `limit` days with a rest day between each (walk-run: one day on, one off)."""
    chosen: list[date] = []
    for day in days:
        if not chosen or (day - chosen[-1]).days >= 2:
            chosen.append(day)
    return chosen[:limit]


def _keep(days: list[date], count: int, long_day: date | None) -> list[date]:
    """`count` of the week's run days, the long-run day kept, the rest spread out."""
    if count >= len(days):
        return list(days)
    by_weekday = {d.weekday(): d for d in days}
    fixed = [long_day.weekday()] if long_day is not None and long_day in days else []
    chosen = spread(by_weekday, count, fixed=fixed)
    return sorted(by_weekday[w] for w in chosen)

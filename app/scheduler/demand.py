"""What each week *wants*, worked out backwards from the A races (docs/plan-shape.md §12, "Demand").

For every A race: a base (a sustainable volume, never below today's), then the race-specific
build (its length by distance) climbing to the peak block, whose last week holds the peak long
run. A week wants the most that any race still ahead of it needs, so a relay six weeks before a
marathon is a stepping stone, not a ceiling. The load planner then takes the smaller of this and
what the hard limits allow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from app.intake.vocabulary import Priority
from app.scheduler.calendar import monday_of
from app.scheduler.goals import RaceClass
from app.scheduler.season import Event, Season

SHARE_THREE_RUNS_EXTRA = 0.10  # with 3 runs a week the long run may take 10 points more
SHARE_HARD_LIMIT = 0.50
MIN_RUN_KM = 2.0  # no run shorter than this
SINGLE_RUN_LIMIT = 1.10  # no run beyond 110 % of the longest of the last 30 days
NO_GOAL_GROWTH = 1.15  # without a goal: a modest build on today's volume
NO_GOAL_FLOOR_KM = 20.0  # ... or to a base a beginner can hold
B_RACE_LEAD_WEEKS = 4  # a B race's distance is prepared for by the long runs of these weeks
LONG_BASE_SHARE = 0.6  # the base long run, as a share of the peak long run
LONG_BASE_MAX = 0.8


def share_limit(runs: int, share: float) -> float:
    """The long run's largest share of the week: the setting with 4+ runs, 10 points more with
    3 (never above half); with 1-2 runs the week is split as evenly as it can be."""
    if runs >= 4:
        return share
    if runs == 3:
        return min(share + SHARE_THREE_RUNS_EXTRA, SHARE_HARD_LIMIT)
    return SHARE_HARD_LIMIT if runs == 2 else 1.0


def runs_held(volume: float, long_guess: float, easy_max_km: float, usual: int, most: int) -> int:
    """The runs the planner gives a week of `volume`: the long run (`long_guess`), then as many
    easy runs, each under `easy_max_km`, as the rest needs; never fewer than the runner's usual
    number nor more than the run days."""
    easy = math.ceil(max(0.0, volume - long_guess) / max(easy_max_km, MIN_RUN_KM))
    return min(most, max(usual, 1 + easy))


@dataclass(frozen=True, slots=True)
class Need:
    """What one A race needs, in km, and when."""

    event: Event
    volume_peak: float
    volume_base: float
    long_peak: float
    long_base: float
    last_build_week: date  # the week that holds the peak long run
    ramp_weeks: int
    peak_weeks: int
    start_week: date  # the plan's first week: the base climbs from today's volume
    current_km: float
    current_long_km: float

    def weeks_before(self, week: date) -> int:
        """Weeks from `week` to the last build week (0 = that week; negative after it)."""
        return (self.last_build_week - week).days // 7

    def _base_share(self, week: date) -> float:
        """How far through the base `week` is (1 at the build's start): the base climbs
        gradually from today's volume rather than jumping to its level and holding it."""
        base_weeks = self.weeks_before(self.start_week) - self.ramp_weeks
        if base_weeks <= 0:
            return 1.0
        done = (self.weeks_before(self.start_week) - self.weeks_before(week)) / base_weeks
        return min(1.0, max(0.0, done))

    def volume(self, week: date) -> float:
        k = self.weeks_before(week)
        if k < self.peak_weeks:
            return self.volume_peak
        if k >= self.ramp_weeks:
            start = min(self.current_km, self.volume_base)
            return start + (self.volume_base - start) * self._base_share(week)
        span = max(1, self.ramp_weeks - self.peak_weeks)
        done = (self.ramp_weeks - k) / span
        return self.volume_base + (self.volume_peak - self.volume_base) * min(1.0, done)

    def long_run(self, week: date) -> float:
        k = self.weeks_before(week)
        if k >= self.ramp_weeks:
            start = min(self.current_long_km, self.long_base)
            return start + (self.long_base - start) * self._base_share(week)
        done = (self.ramp_weeks - k) / self.ramp_weeks
        return self.long_base + (self.long_peak - self.long_base) * done

    def kind(self, week: date) -> str:
        k = self.weeks_before(week)
        return "peak" if k < self.peak_weeks else "build" if k < self.ramp_weeks else "base"


@dataclass(frozen=True)
class DemandInputs:
    season: Season
    current_km: float
    longest_km: float
    runs_per_week: int  # the runner's usual number of runs
    most_runs: int  # the most runs a week may hold
    long_run_share: float
    easy_run_max_km: float  # an easy run stays under 90 minutes
    base_fraction: float
    peak_weeks: int
    easy_pace: float  # min/km


class Demand:
    """Wanted volume and long run per week."""

    def __init__(self, inputs: DemandInputs) -> None:
        self.i = inputs
        self.needs = [self._need(e) for e in inputs.season.a_events()]
        self.b_events = [e for e in inputs.season.raced if e.priority == Priority.B]
        self._ahead: dict[date, list[Need]] = {}

    def _need(self, event: Event) -> Need:
        i = self.i
        goal, profile = event.main, event.profile
        minutes_cap = profile.long_run_minutes / i.easy_pace
        long_target = goal.long_run_km or profile.long_run_natural_km * 0.8
        long_peak = max(long_target, min(i.longest_km, profile.long_run_natural_km))
        long_peak = min(long_peak, minutes_cap, profile.long_run_cap_km or long_peak)
        # What the weeks can hold: a long run and easy runs each under 90 minutes.
        most = (long_peak + (i.most_runs - 1) * i.easy_run_max_km) * 0.98
        runs = i.runs_per_week
        while True:
            # The long run's share follows the runs the peak week will really hold: when its
            # volume needs more runs than the runner's usual number (easy runs stay under 90
            # minutes), the share is that of the larger number, and the week grows to keep the
            # long run the race needs within it.
            share = share_limit(runs, i.long_run_share)
            long_km = min(long_peak, most * share)
            volume_peak = min(
                max(goal.peak_km, long_km / share, i.current_km), max(most, i.current_km)
            )
            guess = min(volume_peak * share_limit(i.most_runs, i.long_run_share), long_km)
            held = runs_held(volume_peak, guess, i.easy_run_max_km, runs, i.most_runs)
            if held <= runs:
                break
            runs = held
        long_peak = long_km
        peak_day = i.season.peak_long_day.get(event.index)
        last_day = peak_day or i.season.taper_start[event.index] - timedelta(days=1)
        return Need(
            event=event,
            volume_peak=volume_peak,
            volume_base=min(volume_peak, max(i.current_km, i.base_fraction * volume_peak)),
            long_peak=long_peak,
            long_base=min(
                max(min(i.longest_km, long_peak), LONG_BASE_SHARE * long_peak),
                LONG_BASE_MAX * long_peak,
            ),
            last_build_week=monday_of(last_day),
            ramp_weeks=max(goal.build_weeks, i.peak_weeks + 1),
            peak_weeks=i.peak_weeks,
            start_week=monday_of(i.season.start),
            current_km=i.current_km,
            current_long_km=i.longest_km,
        )

    def ahead(self, week: date) -> list[Need]:
        """The needs of the A races whose build has not ended before `week`."""
        found = self._ahead.get(week)
        if found is None:
            found = self._ahead[week] = [n for n in self.needs if n.weeks_before(week) >= 0]
        return found

    def volume(self, week: date) -> float:
        needs = self.ahead(week)
        if needs:
            return max(n.volume(week) for n in needs)
        current = self.i.current_km
        return max(current * NO_GOAL_GROWTH, min(NO_GOAL_FLOOR_KM, current + NO_GOAL_FLOOR_KM))

    def long_run(self, week: date, volume: float) -> float:
        needs = self.ahead(week)
        wanted = max((n.long_run(week) for n in needs), default=0.0)
        if not needs:
            wanted = volume * self.i.long_run_share
        for event in self.b_events:
            weeks = (monday_of(event.first) - week).days // 7
            if 1 <= weeks <= B_RACE_LEAD_WEEKS:
                wanted = max(
                    wanted,
                    min(event.leg_km / SINGLE_RUN_LIMIT + 0.5, event.profile.long_run_natural_km),
                )
        return wanted

    def long_minutes(self, week: date) -> int:
        """The long run's time guide: 3 hours in a marathon or ultra build, else 2.5."""
        needs = self.ahead(week)
        return max((n.event.profile.long_run_minutes for n in needs), default=150)

    def long_cap(self, week: date) -> float | None:
        """A hard distance ceiling on the long run (35 km in a marathon build)."""
        caps = [
            n.event.profile.long_run_cap_km
            for n in self.ahead(week)
            if n.event.profile.long_run_cap_km is not None
        ]
        return min(caps) if caps else None

    def kind(self, week: date) -> str:
        needs = self.ahead(week)
        if not needs:
            return "base"
        order = {"peak": 0, "build": 1, "base": 2}
        return min((n.kind(week) for n in needs), key=order.__getitem__)

    def need_of(self, event: Event) -> Need | None:
        return next((n for n in self.needs if n.event.index == event.index), None)

    def back_to_back_event(self, week: date) -> Event | None:
        """A relay or ultra A race whose back-to-back weeks include `week`: the 2nd to 4th
        weeks before its last build week. The week just before keeps a long run, so the peak
        long run can still grow from it (never in the last 14 days before the race)."""
        for need in self.needs:
            event = need.event
            if not event.back_to_back or (event.klass == RaceClass.short and not event.two_days):
                continue
            if 2 <= need.weeks_before(week) <= 4:
                return event
        return None

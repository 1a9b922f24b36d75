"""The season: races grouped into events, and what each day is for (pure).

Planned backwards from the races (docs/plan-shape.md §1): before an A race its taper (from the day
after the last long run), after every A or B race its recovery, before a B race a few lighter
days. Races on consecutive days are one event. A race that cannot be raced safely (too soon
after another, inside an A race's taper) is *demoted*: the plan says so and runs it as a
training run instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from app.intake.vocabulary import Priority
from app.scheduler.calendar import DAY, days
from app.scheduler.goals import PROFILES, ClassProfile, GoalPlan, RaceClass

NO_GOAL_HORIZON_WEEKS = 16
CLUSTER_GAP_DAYS = 1  # races on consecutive days count as one event (docs/plan-shape.md §1)
# No race (nor quality) before this day after a race of each class (docs/plan-shape.md §5): the
# shortest recovery a class allows.
NO_RACE_DAYS = {klass: profile.recovery_days[0] for klass, profile in PROFILES.items()}
LONG_RACE_KM = 35.0  # races this long in all (back-to-back halves too) get marathon rest
# A short taper is never shorter than the class's shortest (a marathon's two weeks): its last
# long run falls on one of the 7 days from there, so the long-run weekday is always among them.
SHORT_TAPER_DAYS_MORE = 6
SHORT_TAPER_NEAR = 2  # ... a run day this near the shortest taper first, whatever its weekday
RACE_WEEK_DAYS = 6  # no long run in the last 6 days before an A race (docs/plan-shape.md §4)
B_NO_LONG_RUN_DAYS = 6  # before a B race: no long run (the race is the week's long run)
PRIORITY_RANK = {Priority.A: 0, Priority.B: 1, Priority.C: 2}


@dataclass(frozen=True, slots=True)
class Event:
    """One race, or races on consecutive days, treated as one for taper and recovery."""

    index: int
    goals: tuple[GoalPlan, ...]
    first: date = field(init=False)
    last: date = field(init=False)
    priority: Priority = field(init=False)  # the best of its races'
    klass: RaceClass = field(init=False)  # the longest of its races'

    def __post_init__(self) -> None:  # asked for on every day of the season: worked out once
        set_ = object.__setattr__
        set_(self, "first", self.goals[0].day)
        set_(self, "last", self.goals[-1].day)
        set_(self, "priority", min((g.priority for g in self.goals), key=PRIORITY_RANK.__getitem__))
        set_(self, "klass", max((g.klass for g in self.goals), key=lambda k: k.rank))

    @property
    def profile(self) -> ClassProfile:
        return PROFILES[self.klass]

    @property
    def race_km(self) -> float:
        return sum(g.race_km for g in self.goals)

    @property
    def leg_km(self) -> float:
        return max(g.leg_km for g in self.goals)

    @property
    def main(self) -> GoalPlan:
        """The goal that sets the event's needs: the longest race of the best priority."""
        best = [g for g in self.goals if g.priority == self.priority]
        return max(best, key=lambda g: (g.klass.rank, g.race_km))

    @property
    def back_to_back(self) -> bool:
        """Practice running on tired legs: relays, ultras, and races on consecutive days."""
        return len(self.goals) > 1 or any(g.back_to_back for g in self.goals)

    @property
    def two_days(self) -> bool:
        """Practised as a long run and a shorter run the next day (not as relay legs)."""
        return len(self.goals) > 1 or (
            self.klass == RaceClass.ultra and not any(g.legs > 1 for g in self.goals)
        )

    @property
    def recovery_days(self) -> int:
        return max(g.recovery_days for g in self.goals)

    @property
    def rest_days_after(self) -> int:
        """Rest or walk days right after: the class's, three after 35 km or more raced."""
        return max(self.profile.rest_days_after, 3 if self.race_km >= LONG_RACE_KM else 0)

    @property
    def taper_days(self) -> int:
        return max(g.taper_days for g in self.goals if g.klass == self.klass)

    @property
    def names(self) -> str:
        return " and ".join(g.goal.name for g in self.goals)


@dataclass(frozen=True, slots=True)
class DayRole:
    """What a day is for. A day outside every race's reach is a build day."""

    race: Event | None = None
    taper: Event | None = None  # the A race this day tapers into
    to_race: int = 0  # days until that race
    b_taper: Event | None = None  # a B race within 6 days (no long run; the last days lighter)
    recovery: Event | None = None  # the race this day recovers from
    since: int = 0  # days since that race
    demoted: Event | None = None  # a race the plan advises against racing on this day

    @property
    def build(self) -> bool:
        return (
            self.race is None
            and self.taper is None
            and self.b_taper is None
            and self.recovery is None
            and self.demoted is None
        )


@dataclass(frozen=True)
class Season:
    start: date
    end: date
    events: tuple[Event, ...]  # every event, demoted ones included, by date
    demoted: dict[int, str]  # event index → why it is not raced
    peak_long_day: dict[int, date]  # A events: the day of the last peak long run
    taper_start: dict[int, date]  # A events: the first taper day
    roles: dict[date, DayRole] = field(repr=False)

    def role(self, day: date) -> DayRole:
        return self.roles.get(day, _BUILD)

    @cached_property
    def raced(self) -> tuple[Event, ...]:
        """The events that are raced (not demoted)."""
        return tuple(e for e in self.events if e.index not in self.demoted)

    def a_events(self) -> list[Event]:
        return [e for e in self.raced if e.priority == Priority.A]

    def previous(self, event: Event) -> Event | None:
        """The raced event before `event` (A or B races end a block; C races do not)."""
        earlier = [e for e in self.raced if e.last < event.first and e.priority != Priority.C]
        return earlier[-1] if earlier else None


_BUILD = DayRole()


def cluster(goals: list[GoalPlan]) -> list[Event]:
    """Group races on the same or consecutive days into events, by date."""
    ordered = sorted(goals, key=lambda g: (g.day, g.index))
    groups: list[list[GoalPlan]] = []
    for goal in ordered:
        if groups and (goal.day - groups[-1][-1].day).days <= CLUSTER_GAP_DAYS:
            groups[-1].append(goal)
        else:
            groups.append([goal])
    return [Event(i, tuple(group)) for i, group in enumerate(groups)]


def _too_soon(events: list[Event]) -> dict[int, str]:
    """Races too soon after another (docs/plan-shape.md §5): the less important one is not raced."""
    demoted: dict[int, str] = {}
    raced: list[Event] = []
    for event in events:
        keep = True
        while raced:
            before = raced[-1]
            gap, limit = (event.first - before.last).days, NO_RACE_DAYS[before.klass]
            if gap >= limit:
                break
            if PRIORITY_RANK[event.priority] < PRIORITY_RANK[before.priority]:
                demoted[before.index] = (
                    f"{before.names} is {gap} days before {event.names}, which matters more; "
                    f"racing both needs {limit} days between them"
                )
                raced.pop()
                continue
            demoted[event.index] = (
                f"{event.names} is {gap} days after {before.names}; racing again needs "
                f"{limit} days after a {before.klass.value} race"
            )
            keep = False
            break
        if keep:
            raced.append(event)
    return demoted


def short_taper(event: Event, before: Event | None) -> bool:
    """Whether an A race follows another A race too closely for its full build and taper: then
    the gap is recovery → short rebuild → *short* taper (docs/plan-shape.md §1, "Several A
    races"), the class's shortest, so the rebuild gets the days a full taper would take."""
    if before is None:
        return False
    after_recovery = (event.first - before.last).days - before.profile.recovery_span
    build_days = 7 * max(g.build_weeks for g in event.goals if g.klass == event.klass)
    return after_recovery < build_days + event.taper_days


def last_long_run_window(event: Event, before: Event | None) -> tuple[int, int, int]:
    """(fewest, most, aimed-at) days before an A race for its last peak long run
    (docs/plan-shape.md §3): the class's window widened to hold the goal's taper length; after
    a close A race, the class's shortest taper or up to six days more."""
    low, high = event.profile.last_long_run
    if short_taper(event, before):
        target = min(event.taper_days, event.profile.taper_days[0])
        low = max(RACE_WEEK_DAYS + 1, target)
        return low, low + SHORT_TAPER_DAYS_MORE, target
    target = event.taper_days
    return min(low, target), max(high, target), target


def _peak_long_day(
    event: Event,
    run_weekdays: set[int],
    long_weekday: int,
    start: date,
    window: tuple[int, int, int],
    short: bool = False,
) -> date | None:
    """The day of the last peak long run before an A race: on a run day in the class's window
    (docs/plan-shape.md §3), the long-run weekday preferred, nearest the taper length aimed at.
    `short`: a short taper after a close A race, where a run day within two days of the
    shortest taper comes before the long-run weekday (a marathon's two weeks, not three)."""
    low, high, target = window
    days_ = [event.first - timedelta(days=k) for k in range(low, high + 1)]
    candidates = [d for d in days_ if d.weekday() in run_weekdays and d > start]
    if not candidates:
        later = [event.first - timedelta(days=k) for k in range(high + 1, high + 7)]
        candidates = [d for d in later if d.weekday() in run_weekdays and d > start][:1]
    if not candidates:
        return None
    if short:  # the shortest taper is the point: a run day near it before the long-run day
        near = [d for d in candidates if (event.first - d).days - target <= SHORT_TAPER_NEAR]
        candidates = near or candidates
    preferred = [d for d in candidates if d.weekday() == long_weekday] or candidates
    return min(preferred, key=lambda d: (abs((event.first - d).days - target), -d.toordinal()))


def build_season(
    start: date,
    goals: list[GoalPlan],
    run_weekdays: list[int],
    long_weekday: int,
    min_end: date | None = None,
    unsafe: Mapping[int, str] | None = None,
) -> Season:
    """Events, their tapers and recoveries, and the role of every day to the plan's end.
    `unsafe`: events (by index) the plan found too far to race, with the reason."""
    events = cluster(goals)
    demoted = _too_soon(events)
    for index, reason in (unsafe or {}).items():
        demoted.setdefault(index, reason)
    weekdays = set(run_weekdays)
    a_events = [e for e in events if e.index not in demoted and e.priority == Priority.A]
    peak_days: dict[int, date] = {}
    for n, event in enumerate(a_events):
        before = a_events[n - 1] if n else None
        window = last_long_run_window(event, before)
        day = _peak_long_day(
            event, weekdays, long_weekday, start, window, short=short_taper(event, before)
        )
        if day is not None:
            peak_days[event.index] = day
    # B and C races inside an A race's taper would undo it: they are not raced.
    for event in events:
        if event.index in demoted or event.priority == Priority.A:
            continue
        for a_event in a_events:
            peak = peak_days.get(a_event.index)
            if peak is not None and peak < event.first and event.last < a_event.first:
                demoted[event.index] = f"{event.names} falls in the taper before {a_event.names}"
    tapers: dict[int, date] = {}
    for event in a_events:
        begin = peak_days[event.index] + timedelta(days=1) if event.index in peak_days else start
        earlier = [e.last for e in events if e.index not in demoted and e.last < event.first]
        if earlier:
            begin = max(begin, max(earlier) + timedelta(days=1))
        tapers[event.index] = begin
    end = max(_end(start, events, demoted), min_end or start)
    roles = _roles(start, end, events, demoted, tapers)
    return Season(start, end, tuple(events), demoted, peak_days, tapers, roles)


def _end(start: date, events: list[Event], demoted: dict[int, str]) -> date:
    """The last race, plus the recovery after it; a default horizon without goals."""
    if not events:
        return start + timedelta(weeks=NO_GOAL_HORIZON_WEEKS, days=-1)
    end = max(e.last for e in events)
    for event in events:
        if event.index not in demoted and event.priority != Priority.C:
            end = max(end, event.last + timedelta(days=event.profile.recovery_span))
    return end


def _to_week_end(
    event: Event, events: list[Event], demoted: dict[int, str], tapers: dict[int, date]
) -> int:
    """Days that carry a recovery on to the end of its calendar week when another race
    follows: the rebuild starts with a new week, not with a long run two days after the
    recovery's last easy run (never into the next race's taper or lighter days)."""
    later = [e for e in events if e.first > event.last and e.index not in demoted]
    if not later or event.klass == RaceClass.short:  # a 5k or 10k: two or three easy days
        return 0
    last = event.last + timedelta(days=event.profile.recovery_span)
    sunday = last + timedelta(days=6 - last.weekday())
    limit = min(
        tapers[e.index]
        if e.index in tapers
        else e.first - timedelta(days=B_NO_LONG_RUN_DAYS if e.priority == Priority.B else 1)
        for e in later
    ) - timedelta(days=1)
    return max(0, (min(sunday, limit) - last).days)


def _roles(
    start: date,
    end: date,
    events: list[Event],
    demoted: dict[int, str],
    tapers: dict[int, date],
) -> dict[date, DayRole]:
    fields: dict[date, dict[str, object]] = {}

    def mark(day: date, **values: object) -> None:
        if start <= day <= end:
            slot = fields.setdefault(day, {})
            for key, value in values.items():
                slot.setdefault(key, value)

    for event in events:
        if event.index in demoted:
            for goal in event.goals:
                mark(goal.day, demoted=event)
            continue
        for day in days(event.first, event.last):  # an event's races are on consecutive days
            mark(day, race=event)
        if event.priority == Priority.A:
            for day in days(tapers[event.index], event.first - DAY):
                mark(day, taper=event, to_race=(event.first - day).days)
        elif event.priority == Priority.B:
            for k in range(1, B_NO_LONG_RUN_DAYS + 1):
                mark(event.first - timedelta(days=k), b_taper=event, to_race=k)
        if event.priority != Priority.C:
            span = event.profile.recovery_span + _to_week_end(event, events, demoted, tapers)
            for k in range(1, span + 1):
                mark(event.last + timedelta(days=k), recovery=event, since=k)
    return {day: DayRole(**values) for day, values in fields.items()}  # type: ignore[arg-type]

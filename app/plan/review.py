"""The plan review: the one place that says what a good plan is (docs/plan-shape.md §13).

Every generated plan, re-plan and rule-set test passes through `review_plan`. Hard checks
(docs/architecture.md §4's safety rules and the [hard] limits) refuse the plan, naming the rule and
the week; shape checks ([warn]) travel with the plan as warnings naming the rule. The review
reads the intake and the plan itself, not the rules, so a rule set that forgets a red flag or a
restriction still cannot produce an unsafe plan.

Conventions: distances are compared in the plan's units (they are rounded down before any
check); race day is day 0 and the day before it day -1; a taper covers the days from its first
day to the day before the race; recovery counts days after a race's last day.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from app.catalog.models import Catalog
from app.errors import SafetyViolation
from app.intake.models import Intake
from app.intake.vocabulary import RESTRICTION_TAGS, Priority
from app.plan.models import Plan, SessionOut
from app.plan.review_calendar import Calendar, RaceEvent
from app.scheduler.calendar import monday_of
from app.scheduler.checkins import (
    CheckInRecord,
    first_stop,
    has_tendinopathy,
    intake_allows_intensity,
    intensity_by_week,
    paused_days,
    sick_days,
    stage_clock,
)
from app.scheduler.exercises import staged_keys
from app.scheduler.goals import PROFILES, RaceClass
from app.scheduler.load import POLICY
from app.scheduler.season import NO_RACE_DAYS, RACE_WEEK_DAYS
from app.scheduler.settings import MIN_ACTIVATION_DAYS, ScheduleSettings
from app.scheduler.units import MAX_PACE, MIN_PACE

EPS = 1e-6
GROWTH, TWO_WEEK_GROWTH, SINGLE_RUN = 0.10, 0.30, 1.10
TAPER_UPPER = {1: (0.60,), 2: (0.75, 0.50), 3: (0.85, 0.70, 0.50)}
TAPER_LOWER = {1: (0.25,), 2: (0.40, 0.25), 3: (0.55, 0.40, 0.25)}  # race week last
_TAPER_WEEK = {1: "the last week", 2: "the second-last week", 3: "the third-last week"}
TAPER_LONG = ((7, 0.40), (14, 0.65))
DELOAD_LONG_RUN = 0.80
SHARE_HARD = 0.50
LONG_RUN_HARD_MINUTES, LONG_RUN_WARN_MINUTES = 180, 150
FORCED_EASY_MINUTES = 80  # easy runs near their 90 minutes: the week's volume sets the long run
FORCED_VOLUME = 1.05  # ... in a week that holds today's volume
MARATHON_LONG_RUN_KM = 35.0
SHAKE_OUT_MAX_MINUTES, SHAKE_OUT_MAX_KM, SHAKE_OUT_MAX_MI = 30, 5.0, 3.0
RECOVERY_LONG_RUN = 0.60
STRENGTH_A_RACE_DAYS = 4
STRENGTH_AFTER_LONG_RACE_DAYS = 4  # no strength in the 4 days after a marathon or longer
PROGRESSION_WEEKS = 6  # a strength block this long must progress (3+ distinct sessions)
RETURN_RHYTHM_LATER = 3
CLIMB = 1.15  # a peak "climbed to" is at least 15 % above where the block began
HELD_WEEKS = 8  # the peak block (3-5 weeks), its deload and a little more
LATE_WEEKS = 8  # the longest run comes at most 3 times in the build's last 8 weeks
PHASE_ORDER = {"activation": 0, "strength": 1, "running_form": 2, "taper": 2}


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    level: str  # hard | warn
    week: date | None
    message: str

    def text(self) -> str:
        where = f" (week of {self.week.isoformat()})" if self.week else ""
        return f"{self.rule}{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "level": self.level, "week": self.week, "message": self.message}

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class ReviewContext:
    intake: Intake
    catalog: Catalog
    avoided_ids: frozenset[str] = frozenset()
    avoided_tags: frozenset[str] = frozenset()
    settings: ScheduleSettings | None = None
    check_ins: tuple[CheckInRecord, ...] = field(default=())
    # "exercise:<id>" / "tag:<tag>" → the week of the stage clock it is allowed again
    staged_avoids: Mapping[str, int] = field(default_factory=dict)
    # exercise id → (sessions a week, until week of the stage clock)
    loading: Mapping[str, tuple[int, int]] = field(default_factory=dict)


class Review:
    """One review of one plan."""

    def __init__(self, plan: Plan, ctx: ReviewContext) -> None:
        self.plan, self.ctx = plan, ctx
        self.cal = Calendar(plan, ctx.intake)
        self.findings: list[Finding] = []

    def hard(self, rule: str, week: date | None, message: str) -> None:
        self.findings.append(Finding(rule, "hard", week, message))

    def warn(self, rule: str, week: date | None, message: str) -> None:
        self.findings.append(Finding(rule, "warn", week, message))

    def fmt(self, km: float) -> str:
        return f"{self.cal.out(km):g} {self.plan.units}"

    # -- safety core ------------------------------------------------------------------------------
    def red_flags(self) -> None:
        intake, plan = self.ctx.intake, self.plan
        if intake.red_flags:
            if plan.status != "referral_required":
                flags = ", ".join(flag.value for flag in intake.red_flags)
                self.hard("red_flags", None, f"red flags ({flags}) but status {plan.status}")
            for s in plan.sessions:
                if s.kind in ("run", "race", "strength") or any(e.load for e in s.exercises):
                    self.hard(
                        "red_flags", monday_of(s.date), f"{s.date} {s.kind} despite red flags"
                    )
        stop = first_stop(self.ctx.check_ins)
        if stop is None:
            return
        if plan.status != "referral_required":
            self.hard(
                "red_flags",
                monday_of(stop.day),
                f"the check-in on {stop.day} stops the plan but the plan goes on",
            )
        for s in plan.sessions:
            if s.date >= stop.day:
                self.hard(
                    "red_flags",
                    monday_of(s.date),
                    f"{s.date} {s.kind} after the check-in on {stop.day} stopped the plan",
                )

    def avoid_early(self) -> None:
        """Early-stage limits (staged tendon loading): nothing they keep out appears before
        its week of the stage clock (regress verdicts hold the clock back)."""
        staged = self.ctx.staged_avoids
        if not staged:
            return
        clock = stage_clock(self.plan.start, self.ctx.check_ins, self.ctx.intake.symptoms)
        # each exercise's latest early-stage limit, worked out once
        limits: dict[str, tuple[int, str]] = {}
        for exercise in self.ctx.catalog.exercises.values():
            found = [(staged[k], k) for k in staged_keys(exercise) if k in staged]
            if found:
                limits[exercise.id] = max(found)
        if not limits:
            return
        for s in self.plan.sessions:
            entries = [e for e in [*s.exercises, *s.drills] if e.id in limits]
            if not entries:
                continue
            week = clock.week(s.date)
            for entry in entries:
                until, key = limits[entry.id]
                if week < until:
                    self.hard(
                        "avoid_early",
                        monday_of(s.date),
                        f"{s.date}: {entry.id} in week {week}, kept out until week {until} "
                        f"({key.replace(':', ' ')})",
                    )

    def contraindications(self) -> None:
        ctx = self.ctx
        tags = set(ctx.avoided_tags)
        for restriction in ctx.intake.restrictions:
            tags |= RESTRICTION_TAGS.get(restriction, frozenset())
        ruled_out = {
            e.id: sorted(tags.intersection(e.contraindications)) or ["avoided"]
            for e in ctx.catalog.exercises.values()
            if tags.intersection(e.contraindications) or e.id in ctx.avoided_ids
        }
        for s in self.plan.sessions:
            for entry in [*s.exercises, *s.drills]:
                if entry.id not in ctx.catalog.exercises:
                    self.hard("contraindications", monday_of(s.date), f"{entry.id} is unknown")
                elif entry.id in ruled_out:
                    self.hard(
                        "contraindications",
                        monday_of(s.date),
                        f"{s.date}: {entry.id} is ruled out ({', '.join(ruled_out[entry.id])})",
                    )

    def phases(self) -> None:
        plan = self.plan
        names = [p.name for p in plan.phases]
        for required in ("activation", "strength", "running_form"):
            if required not in names:
                self.hard("phases", None, f"no {required} phase")
        if names[:3] != ["activation", "strength", "running_form"] and "activation" in names:
            self.hard("phases", None, f"phases out of order: {names}")
        if plan.phases and plan.phases[0].name == "activation":
            activation = plan.phases[0]
            length = (activation.end - activation.start).days + 1
            if length < MIN_ACTIVATION_DAYS:
                self.hard("phases", None, f"activation lasts {length} days")
            have = {s.date for s in plan.sessions if s.kind == "activation"}
            day = activation.start
            while day <= activation.end:
                if day not in have:
                    self.hard("phases", monday_of(day), f"no activation session on {day}")
                    break
                day += timedelta(days=1)
        last = 0
        for s in plan.sessions:
            order = PHASE_ORDER[s.phase]
            if order < last and s.phase != "taper":
                self.hard("phases", monday_of(s.date), f"{s.date} is {s.phase} after a later phase")
            last = max(last, order)

    # -- weeks ------------------------------------------------------------------------------------
    def caps(self) -> None:
        for week in self.plan.weeks:
            if week.planned_distance > week.cap + 0.051:
                self.hard(
                    "cap", week.start, f"plans {week.planned_distance} over its cap {week.cap}"
                )

    def growth(self) -> None:
        """+10 % a week and +30 % over two, on the last full week (after a race: on the
        recovery week; after walk-run: on its last week)."""
        cal = self.cal
        ref1 = ref2 = cal.current_km
        for week in self.plan.weeks:
            volume = cal.volume(week.start)
            if week.walk_run:
                ref1 = ref2 = volume
                continue
            if cal.full_build(week):
                one, two = ref1 * (1 + GROWTH), ref2 * (1 + TWO_WEEK_GROWTH)
                if volume > one + EPS:
                    self.hard(
                        "growth", week.start, f"{self.fmt(volume)} is over +10% ({self.fmt(one)})"
                    )
                elif volume > two + EPS:
                    self.hard("growth", week.start, f"{self.fmt(volume)} is over +30% in two weeks")
                if not week.deload and cal.pure(week):
                    reference = volume
                    if POLICY["start_rest"].rule in week.why:
                        # the plan's first days without running (a rule's) are not lost
                        # fitness: the week counts at what it was planned for
                        reference = max(volume, min(ref1, cal.km(week.cap)))
                    ref2, ref1 = ref1, reference
            elif cal.recovering(week) and volume > 0 and self._after_an_a_race(week.start):
                ref2 = ref1 = volume  # a B race's recovery is a lighter week inside the build

    def _after_an_a_race(self, week: date) -> bool:
        """The latest race before `week` ends is an A race."""
        before = [e for e in self.cal.events if e.last < week + timedelta(days=7)]
        return bool(before) and max(before, key=lambda e: e.last).priority == Priority.A

    def single_run(self) -> None:
        """Each run within 110 % of the longest run (or race leg) of the previous 30 days;
        A races and relay legs are exempt, B and C races are not; walk-run by time."""
        cal = self.cal
        history: list[tuple[date, float, int]] = []
        if cal.current_km > 0:
            history.append((self.plan.start - timedelta(days=1), cal.longest_km, 0))
        oldest = 0  # history is in date order: the 30-day window starts here
        for s in cal.sessions:
            if s.kind not in ("run", "race") or not s.distance:
                continue
            while oldest < len(history) and history[oldest][0] < s.date - timedelta(days=30):
                oldest += 1
            window = [h for h in history[oldest:] if h[0] < s.date]
            km = cal.km(s.distance)
            if s.kind == "race":
                event = cal.event_on(s.date)
                leg = event.leg_km if event is not None else km
                if event is not None and event.priority != Priority.A:
                    limit = SINGLE_RUN * max((h[1] for h in window), default=0.0)
                    if leg > limit + EPS:
                        self.hard("single_run", monday_of(s.date), f"{s.title} is over 110%")
                history.append((s.date, leg, 0))
                continue
            if s.intervals and any(i.walk_minutes for i in s.intervals):
                minutes = s.duration_minutes or 0
                longest = max((h[2] for h in window), default=0)
                if longest and minutes > SINGLE_RUN * longest + EPS:
                    self.hard("single_run", monday_of(s.date), f"{s.date}: walk-run over 110%")
            else:
                limit = SINGLE_RUN * max((h[1] for h in window), default=0.0)
                if km > limit + EPS:
                    self.hard(
                        "single_run",
                        monday_of(s.date),
                        f"{s.date}: {self.fmt(km)} is over 110% of the 30-day longest",
                    )
            history.append((s.date, km, s.duration_minutes or 0))

    def deloads(self) -> None:
        cal = self.cal
        previous_long: float | None = None
        full_run = 0
        every = self.ctx.settings.deload_every if self.ctx.settings else 4
        for week in self.plan.weeks:
            if not cal.full_build(week):
                if not week.walk_run:
                    full_run = 0
                continue
            longest = cal.longest(week.start)
            if week.deload:
                full_run = 0
                if previous_long and longest > previous_long * DELOAD_LONG_RUN + EPS:
                    self.hard(
                        "deload_long_run",
                        week.start,
                        f"the deload's longest run {self.fmt(longest)} is not 20% shorter than "
                        f"{self.fmt(previous_long)}",
                    )
            elif cal.pure(week):
                previous_long = longest
                full_run += 1
                rhythm = every
                if every < RETURN_RHYTHM_LATER and week.phase not in ("activation", "strength"):
                    rhythm = RETURN_RHYTHM_LATER  # every second week relaxes once running form
                if full_run == rhythm + 2:
                    self.warn(
                        "deload_rhythm", week.start, f"{full_run} full weeks without a deload"
                    )

    def rest_days(self) -> None:
        cal = self.cal
        for week in self.plan.weeks:
            days = [week.start + timedelta(days=k) for k in range(7)]
            if not all(self.plan.start <= d <= self.plan.end for d in days):
                continue
            free = [d for d in days if not cal.busy(d)]
            need = 2 if week.walk_run else 1
            if len(free) < need:
                self.hard("rest_days", week.start, f"{len(free)} rest days (at least {need})")

    def hard_days(self) -> None:
        cal = self.cal
        days = sorted(d for d in cal.by_day if cal.is_hard(d))
        for day in days:
            after = day + timedelta(days=1)
            if cal.is_hard(after) and not cal.paired(day, after):
                self.hard("hard_days", monday_of(day), f"hard days in a row: {day} and {after}")

    def long_runs(self) -> None:
        cal, settings = self.cal, self.ctx.settings
        share = settings.long_run_share if settings else 0.35
        for week in self.plan.weeks:
            daily: dict[date, float] = {}  # runs of one day (a double) count as one
            for run in cal.runs_in(week.start):
                daily[run.date] = daily.get(run.date, 0.0) + cal.km(run.distance or 0)
            whole = self.plan.start <= week.start <= self.plan.end - timedelta(days=6)
            if len(daily) < 3 or not whole:
                continue
            volume = sum(daily.values())
            ratio = max(daily.values()) / volume if volume else 0.0
            biggest = max(daily, key=lambda d: daily[d])
            if cal.full_build(week) or cal.is_long(biggest):
                # the hard limit holds in every week with a long run, tapers included
                warn_at = share if len(daily) >= 4 else share + 0.10
                if ratio > SHARE_HARD + EPS:
                    self.hard(
                        "long_run_share", week.start, f"the long run is {ratio:.0%} of the week"
                    )
                elif ratio > warn_at + EPS and cal.full_build(week):
                    self.warn(
                        "long_run_share", week.start, f"the long run is {ratio:.0%} of the week"
                    )
        for s in cal.runs:
            minutes = s.duration_minutes or 0
            if minutes > LONG_RUN_HARD_MINUTES:
                self.hard("long_run_time", monday_of(s.date), f"{s.date}: {minutes} min")
            elif minutes > LONG_RUN_WARN_MINUTES and not cal.in_long_build(s.date):
                self.warn("long_run_time", monday_of(s.date), f"{s.date}: {minutes} min")
            if cal.in_marathon_build(s.date) and cal.km(s.distance or 0) > MARATHON_LONG_RUN_KM:
                self.hard("long_run_cap", monday_of(s.date), f"{s.date}: over 35 km")

    def pace(self) -> None:
        for s in self.cal.runs:
            if not s.distance or not s.duration_minutes:
                continue
            pace = s.duration_minutes / self.cal.km(s.distance)
            if not MIN_PACE - EPS <= pace <= MAX_PACE + EPS:
                self.hard("pace", monday_of(s.date), f"{s.date}: {pace:.1f} min/km")

    # -- races ------------------------------------------------------------------------------------
    def tapers(self) -> None:
        cal = self.cal
        for event in cal.events:
            if event.priority != Priority.A:
                continue
            taper = cal.taper_start(event)
            stats = cal.block_stats(event)
            if taper is None or stats is None:
                continue
            peak, long_peak, typical, last_full = stats
            self._taper_windows(event, taper, peak, last_full)
            self._taper_frequency(event, taper)
            self._taper_long_runs(event, taper, long_peak, typical)
            self._race_week(event, typical)
            self._last_long_run(event, taper, long_peak)

    def _taper_windows(self, event: RaceEvent, taper: date, peak: float, last_full: float) -> None:
        cal, race = self.cal, event.first
        length = (race - taper).days
        windows = min(3, length // 7 + 1)
        first = cal.volume_between(taper, min(taper + timedelta(days=6), race - timedelta(days=1)))
        if last_full and first > last_full + EPS:
            self.hard(
                "taper_first_week",
                monday_of(taper),
                f"the taper's first week ({self.fmt(first)}) is bigger than the last full week "
                f"({self.fmt(last_full)})",
            )
        for j in range(1, windows + 1):
            start = max(taper, race - timedelta(days=7 * j - 1))
            end = race - timedelta(days=7 * (j - 1) + 1)
            if end < start:
                continue
            volume = cal.volume_between(start, end)
            upper = TAPER_UPPER[windows][windows - j] * peak
            lower = TAPER_LOWER[windows][windows - j] * peak
            if volume > upper + EPS:
                self.hard(
                    "taper_volume",
                    monday_of(start),
                    f"{self.fmt(volume)} from {start} to {end} ({_TAPER_WEEK[j]} before "
                    f"{event.names}) is over {TAPER_UPPER[windows][windows - j]:.0%} of the "
                    f"peak week ({self.fmt(peak)})",
                )
            full = (end - start).days == 6 or (j == 1 and (end - start).days == 5)
            if full and volume < lower - EPS and not (j == 1 and self._few_race_week_days(race)):
                self.warn(
                    "taper_too_sharp",
                    monday_of(start),
                    f"{self.fmt(volume)} from {start} to {end} ({_TAPER_WEEK[j]} before "
                    f"{event.names}) is under {TAPER_LOWER[windows][windows - j]:.0%} of the "
                    f"peak week ({self.fmt(peak)})",
                )

    def _few_race_week_days(self, race: date) -> bool:
        """The runner's run days leave at most one run in race week before its last two days
        (which hold only the shake-out): the week cannot be fuller without another run day."""
        run_days = {d.number for d in self.ctx.intake.availability.run_days}
        free = [k for k in range(3, 7) if (race - timedelta(days=k)).weekday() in run_days]
        return len(free) <= 1

    def _taper_frequency(self, event: RaceEvent, taper: date) -> None:
        """A taper keeps the runs (docs/plan-shape.md §4): each whole taper week, counted back from
        race day (the race counted as a run of its week), has at least the build's usual
        number of run days less one."""
        cal, race = self.cal, event.first
        usual = cal.typical_run_days(event)
        if usual < 2:
            return
        for j in range(1, 4):
            start, end = race - timedelta(days=7 * j - 1), race - timedelta(days=7 * (j - 1) + 1)
            if start < taper:
                break
            days = {s.date for s in cal.runs_between(start, end)} | ({race} if j == 1 else set())
            if len(days) < usual - 1:
                self.warn(
                    "taper_frequency",
                    monday_of(start),
                    f"{len(days)} run days from {start} to {end} ({_TAPER_WEEK[j]} before "
                    f"{event.names}{', the race counted' if j == 1 else ''}); the build had "
                    f"{usual} a week",
                )

    def _taper_long_runs(
        self, event: RaceEvent, taper: date, long_peak: float, typical: float
    ) -> None:
        """A taper's long runs (on the long-run day, or longer than a typical easy run)
        shrink: at most 65 % of the peak long run from day -14 to -8, 40 % in the last 7."""
        long_weekday = self.ctx.intake.availability.long_run_day.number
        for s in self.cal.runs_between(taper, event.first - timedelta(days=1)):
            to_race = (event.first - s.date).days
            for within, share in TAPER_LONG:
                if to_race <= within:
                    limit = share * long_peak
                    if s.date.weekday() != long_weekday:
                        limit = max(limit, typical)
                    if self.cal.km(s.distance or 0) > limit + EPS:
                        self.hard(
                            "taper_long_runs",
                            monday_of(s.date),
                            f"{s.date}: {s.distance} {self.plan.units} is over {share:.0%} of "
                            f"the peak long run ({self.fmt(long_peak)})",
                        )
                    break

    def _race_week(self, event: RaceEvent, typical: float) -> None:
        cal, race = self.cal, event.first
        for s in cal.runs_between(race - timedelta(days=6), race - timedelta(days=1)):
            if typical and cal.km(s.distance or 0) > typical + EPS:
                self.hard(
                    "race_week",
                    monday_of(s.date),
                    f"{s.date}: {s.distance} {self.plan.units} before {event.names} is longer "
                    f"than a typical easy run ({self.fmt(typical)})",
                )
        last_two = cal.runs_between(race - timedelta(days=2), race - timedelta(days=1))
        if len(last_two) > 1:
            self.hard("race_week", monday_of(race), "more than one run in the last two days")
        for s in last_two:
            limit = SHAKE_OUT_MAX_MI if self.plan.units == "mi" else SHAKE_OUT_MAX_KM
            if (s.duration_minutes or 0) > SHAKE_OUT_MAX_MINUTES or (s.distance or 0) > limit:
                self.hard("race_week", monday_of(race), f"{s.date}: more than a short shake-out")
            if event.klass != RaceClass.short and s.date == race - timedelta(days=1):
                self.hard("race_week", monday_of(race), "no rest day before a half or longer")

    def _last_long_run(self, event: RaceEvent, taper: date, long_peak: float) -> None:
        profile = PROFILES[event.klass]
        low, high = profile.last_long_run
        if self.cal.previous(event) is not None:
            # after another A race the taper may be the class's shortest (docs/plan-shape.md §1)
            low = min(low, max(RACE_WEEK_DAYS + 1, profile.taper_days[0]))
        start = self.cal.block_start(event)
        long_days = [
            s.date
            for s in self.cal.runs_between(start, taper - timedelta(days=1))
            if self.cal.km(s.distance or 0) >= 0.9 * long_peak - EPS
        ]
        if not long_days:
            return
        days = (event.first - max(long_days)).days
        if not low <= days <= high:
            self.warn(
                "last_long_run",
                monday_of(max(long_days)),
                f"the last long run is {days} days before {event.names} (a {event.klass.value} "
                f"race wants {low}-{high})",
            )

    def recoveries(self) -> None:
        cal = self.cal
        for event in cal.events:
            if event.priority == Priority.C or not event.raced:
                continue
            limit = NO_RACE_DAYS[event.klass]
            serious = event.klass in (RaceClass.marathon, RaceClass.ultra)
            for s in cal.sessions_between(
                event.last + timedelta(days=1), event.last + timedelta(days=limit - 1)
            ):
                if s.kind == "race" and cal.event_on(s.date) is not event:
                    self.hard(
                        "race_too_soon", monday_of(s.date), f"{s.title} too soon after a race"
                    )
                if s.workout is not None and s.workout.hard:
                    since = (s.date - event.last).days
                    message = f"{s.date}: quality {since} days after {event.names}"
                    if serious:
                        self.hard("recovery_quality", monday_of(s.date), message)
                    else:
                        self.warn("recovery_quality", monday_of(s.date), message)
            stats = cal.block_stats(event) if serious else None
            if stats is None:
                continue
            peak, long_peak, typical, _ = stats
            for k, bound in enumerate(PROFILES[event.klass].recovery_limits):
                start = event.last + timedelta(days=7 * k + 1)
                volume = cal.volume_between(start, start + timedelta(days=6))
                if volume > bound * peak + EPS:
                    self.hard(
                        "recovery_volume",
                        monday_of(start),
                        f"{self.fmt(volume)} in recovery week {k + 1} is over {bound:.0%} of "
                        f"the peak week",
                    )
            span = event.last + timedelta(days=PROFILES[event.klass].recovery_span)
            for s in cal.runs_between(event.last + timedelta(days=1), span):
                if cal.km(s.distance or 0) > max(typical, RECOVERY_LONG_RUN * long_peak) + EPS:
                    self.hard(
                        "recovery_long_run",
                        monday_of(s.date),
                        f"{s.date}: a long run over 60% of the peak long run after a race",
                    )

    def b_races(self) -> None:
        cal = self.cal
        for event in cal.events:
            if event.priority != Priority.B or not event.raced:
                continue
            stats = cal.block_stats(event)
            if stats is None:
                continue
            typical = stats[2]
            for s in cal.runs_between(
                event.first - timedelta(days=6), event.first - timedelta(days=1)
            ):
                if cal.km(s.distance or 0) > typical + EPS:
                    self.warn("b_race_long_run", monday_of(s.date), f"{s.date}: a long run")

    # -- intensity and strength -------------------------------------------------------------------
    def intensity(self) -> None:
        cal, intake = self.cal, self.ctx.intake
        pain_ok = intake_allows_intensity(intake.symptoms)
        by_week = intensity_by_week(list(self.ctx.check_ins), has_tendinopathy(intake.symptoms))
        for s in cal.runs:
            if s.workout is None:
                continue
            week = cal.weeks.get(monday_of(s.date))
            known = [w for w in by_week if w <= monday_of(s.date)]
            ok = by_week[max(known)] if known else pain_ok
            if week is not None and week.walk_run:
                self.hard("intensity", monday_of(s.date), f"{s.date}: intensity in walk-run")
            elif s.phase in ("activation", "strength"):
                self.hard("intensity", monday_of(s.date), f"{s.date}: intensity in {s.phase}")
            elif not ok:
                self.hard("intensity", monday_of(s.date), f"{s.date}: intensity while in pain")
            if s.workout.hard and cal.has_doubles(monday_of(s.date)):
                self.hard("back_to_back", monday_of(s.date), "quality in a back-to-back week")
        for s in cal.runs:
            if s.run_type != "double":
                continue
            for event in cal.events:
                if event.priority != Priority.C and 0 < (event.first - s.date).days <= 14:
                    self.hard(
                        "back_to_back", monday_of(s.date), f"{s.date}: within 14 days of a race"
                    )

    def strength(self) -> None:
        cal = self.cal
        days = sorted({s.date for s in self.plan.sessions if s.kind == "strength"})
        for earlier, later in itertools.pairwise(days):
            if (later - earlier).days < 2:
                self.hard(
                    "strength_spacing", monday_of(later), f"strength on {earlier} and {later}"
                )
        for day in days:
            if cal.is_long(day) or cal.is_long(day + timedelta(days=1)):
                self.hard("strength_before_long_run", monday_of(day), f"{day}: within 48 h")
            for event in cal.events:
                if event.priority == Priority.A and 0 < (event.first - day).days <= (
                    STRENGTH_A_RACE_DAYS
                ):
                    self.hard(
                        "strength_before_race", monday_of(day), f"{day}: before {event.names}"
                    )

    def strength_rhythm(self) -> None:
        """Strength pauses after long races (no session in the 4 days after a marathon or
        longer), is lighter in deload and taper weeks than in the build around them, and
        progresses (docs/plan-shape.md §7)."""
        cal, plan = self.cal, self.plan
        strength = [s for s in plan.sessions if s.kind == "strength"]
        for event in cal.events:
            if not event.raced or event.klass not in (RaceClass.marathon, RaceClass.ultra):
                continue
            for s in strength:
                if 0 < (s.date - event.last).days <= STRENGTH_AFTER_LONG_RACE_DAYS:
                    self.hard(
                        "strength_after_race",
                        monday_of(s.date),
                        f"{s.date}: strength {(s.date - event.last).days} days after {event.names}",
                    )
        weeks = {w.start: w for w in plan.weeks}

        def sets(session: SessionOut) -> dict[tuple[str, str | None], int]:
            return {(e.id, e.side): e.sets for e in session.exercises if e.block == "main"}

        def light(session: SessionOut) -> bool:
            week = weeks.get(monday_of(session.date))
            tapering = "plan.strength_taper" in session.why
            return tapering or (week is not None and week.deload)

        full = [s for s in strength if not light(s) and "plan.strength_regress" not in s.why]
        for s in strength:
            before = [f for f in full if f.date < s.date]
            if not light(s) or not before:
                continue
            lighter, usual = sets(s), sets(before[-1])
            heavier = sorted(k[0] for k in lighter.keys() & usual.keys() if lighter[k] > usual[k])
            if heavier:
                self.warn(
                    "strength_not_lighter",
                    monday_of(s.date),
                    f"{s.date}: more sets of {', '.join(heavier)} in a lighter session than "
                    f"on {before[-1].date}",
                )
        strength_weeks = {monday_of(s.date) for s in strength}
        doses = {
            tuple(
                (e.id, e.sets, e.reps, e.seconds, e.load) for e in s.exercises if e.block == "main"
            )
            for s in strength
        }
        if len(strength_weeks) >= PROGRESSION_WEEKS and len(doses) < 3:
            self.warn(
                "strength_static",
                None,
                f"{len(strength)} strength sessions over {len(strength_weeks)} weeks with "
                f"only {len(doses)} distinct prescriptions",
            )

    def loading_days(self) -> None:
        """Exercises a rule wants on N days a week (tendon loading) get them, week by week, to
        their last week (warned, not refused: a week with few sessions cannot carry them)."""
        loading = self.ctx.loading
        if not loading or not self.plan.phases:
            return
        clock = stage_clock(self.plan.start, self.ctx.check_ins, self.ctx.intake.symptoms)
        days: dict[tuple[str, date], set[date]] = {}
        for s in self.plan.sessions:
            for entry in s.exercises:
                if entry.id in loading:
                    days.setdefault((entry.id, monday_of(s.date)), set()).add(s.date)
        race_days = {s.date for s in self.plan.sessions if s.kind == "race"}
        for week in self.plan.weeks:
            if week.start < self.plan.start or week.start + timedelta(days=6) > self.plan.end:
                continue
            carriers = {  # sessions that may carry loading: not on a race day or the day
                s.date  # before it, nor on a shake-out (as the planner places it)
                for s in self.cal.sessions_between(week.start, week.start + timedelta(days=6))
                if (
                    s.kind in ("strength", "activation")
                    or (s.kind == "run" and s.run_type not in ("race_run", "shake_out"))
                )
                and not ({s.date, s.date + timedelta(days=1)} & race_days)
            }
            for ident, (per_week, until) in loading.items():
                have = len(days.get((ident, week.start), ()))
                if clock.week(week.start) <= until and have < min(per_week, len(carriers)):
                    self.warn(
                        "loading_days",
                        week.start,
                        f"{ident} on {have} days, fewer than {per_week}",
                    )

    def paused(self) -> None:
        """No run in the three days after a check-in with severe pain or a limp, and no
        training at all in the days of an illness (docs/plan-shape.md §9)."""
        for day in sorted(paused_days(self.ctx.check_ins)):
            for s in self.cal.by_day.get(day, []):
                if s.kind == "run":
                    self.hard("paused_running", monday_of(day), f"{day}: a run while paused")
        for day in sorted(sick_days(self.ctx.check_ins)):
            for s in self.cal.by_day.get(day, []):
                if s.kind in ("strength", "activation") or s.exercises:
                    self.hard("illness_rest", monday_of(day), f"{day}: {s.kind} while ill")

    def regressions(self) -> None:
        cal = self.cal
        for record in self.ctx.check_ins:
            if record.verdict != "regress":
                continue
            start = monday_of(record.day) - timedelta(days=1)
            hurt = max(
                (cal.km(s.distance or 0) for s in cal.runs_between(start, record.day)),
                default=0.0,
            )
            # the next long run, in the weeks the verdict governs (a walk-run return builds
            # its long runs afresh weeks later)
            horizon = record.effective_week + timedelta(days=13)
            later = [
                s
                for s in cal.runs
                if record.day < s.date <= horizon and s.run_type in ("long", "double")
            ]
            if hurt and later and cal.km(later[0].distance or 0) >= hurt - EPS:
                self.hard(
                    "regress_long_run",
                    monday_of(later[0].date),
                    f"the long run after the regress on {record.day} is not shorter than the "
                    f"run that hurt ({self.fmt(hurt)})",
                )

    # -- shape ------------------------------------------------------------------------------------
    def shape(self) -> None:
        cal = self.cal
        for week in self.plan.weeks:
            if not cal.pure(week) or week.deload or not cal.full_build(week):
                continue
            volume = cal.volume(week.start)
            if (
                cal.current_km
                and volume < cal.current_km - EPS
                and week.cap >= cal.out(cal.current_km)
            ):
                self.warn(
                    "below_current_volume",
                    week.start,
                    f"{self.fmt(volume)} is below today's {self.fmt(cal.current_km)}",
                )
        for event in cal.events:
            if event.priority != Priority.A:
                continue
            self._peak_shape(event)

    def _forced_by_the_week(self, long_run: SessionOut) -> bool:
        """The week holds today's volume and its other runs are near the easy run's 90
        minutes: the long run is what the runner's own volume leaves over on their run days,
        not a peak climbed to and held."""
        week = monday_of(long_run.date)
        if self.cal.volume(week) > self.cal.current_km * FORCED_VOLUME + EPS:
            return False
        others = [
            s.duration_minutes or 0
            for s in self.cal.runs_in(week)
            if s is not long_run and s.run_type in ("easy", "quality")
        ]
        return bool(others) and max(others) >= FORCED_EASY_MINUTES

    def _peak_shape(self, event: RaceEvent) -> None:
        cal = self.cal
        taper = cal.taper_start(event)
        if taper is None:
            return
        start = cal.block_start(event)
        weeks = [w for w in cal.pure_weeks(start, taper) if not w.deload]
        if weeks:
            top = max(cal.volume(w.start) for w in weeks)
            if top > max(cal.current_km, cal.volume(weeks[0].start)) * CLIMB:
                first = next(w for w in weeks if cal.volume(w.start) >= 0.95 * top - EPS)
                if (taper - first.start).days > 7 * HELD_WEEKS:
                    self.warn(
                        "peak_held_early",
                        first.start,
                        f"the peak volume is reached {(taper - first.start).days // 7} weeks "
                        f"before the taper of {event.names}",
                    )
        runs = cal.runs_between(start, taper - timedelta(days=1))
        longest = max((cal.km(s.distance or 0) for s in runs), default=0.0)
        late = max(start, taper - timedelta(weeks=LATE_WEEKS))  # the build's last weeks
        repeats = [
            s for s in runs if s.date >= late and cal.km(s.distance or 0) >= 0.99 * longest - EPS
        ]
        # A 5k or 10k has no peak long run to reach once or twice (docs/plan-shape.md §3: at least
        # the race distance), and a long run that holds what the week's volume leaves over
        # when the other runs are already near their 90 minutes is not a peak either.
        repeats = [s for s in repeats if not self._forced_by_the_week(s)]
        if (
            longest
            and len(repeats) > 3
            and longest > cal.longest_km * 1.05
            and event.klass != RaceClass.short
        ):
            self.warn(
                "longest_run_repeated",
                monday_of(repeats[0].date),
                f"the longest run ({self.fmt(longest)}) comes {len(repeats)} times",
            )

    def run(self) -> list[Finding]:
        self.red_flags()
        self.contraindications()
        self.avoid_early()
        if self.plan.status == "referral_required":
            return self.findings
        for check in (
            self.phases,
            self.caps,
            self.growth,
            self.single_run,
            self.deloads,
            self.rest_days,
            self.hard_days,
            self.long_runs,
            self.pace,
            self.tapers,
            self.recoveries,
            self.b_races,
            self.intensity,
            self.strength,
            self.strength_rhythm,
            self.loading_days,
            self.regressions,
            self.paused,
            self.shape,
        ):
            check()
        return self.findings


def review_plan(plan: Plan, ctx: ReviewContext) -> list[Finding]:
    """Every check the plan does not pass (hard and warn), in a stable order."""
    return Review(plan, ctx).run()


def hard_findings(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.level == "hard"]


def summarise(findings: list[Finding], per_rule: int = 3) -> list[str]:
    """The first few findings of each rule, and how many more there are."""
    shown: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.rule] = counts.get(finding.rule, 0) + 1
        if counts[finding.rule] <= per_rule:
            shown.setdefault(finding.rule, []).append(finding.text())
    lines = []
    for rule, texts in shown.items():
        lines.extend(texts)
        if counts[rule] > per_rule:
            lines.append(f"{rule}: ... and {counts[rule] - per_rule} more")
    return lines


def raise_if_refused(findings: list[Finding]) -> None:
    """A plan with a hard failure is never returned."""
    hard = hard_findings(findings)
    if hard:
        raise SafetyViolation(
            "the generated plan breaks a hard limit of the plan review; it was not returned",
            detail=summarise(hard),
        )

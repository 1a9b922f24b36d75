"""Day-by-day sessions: activation, strength, runs with drills, races and rest (pure)."""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from functools import lru_cache
from typing import Any

from app.catalog.models import Catalog, Exercise
from app.contract.entries import ExerciseOut, Why
from app.engine.decisions import Reason, WindowedAvoid, Windows
from app.engine.verbs import MAX_STAGE_WEEK
from app.intake.vocabulary import Priority
from app.scheduler.calendar import days, monday_of
from app.scheduler.exercises import Chosen, PhaseExercises, Rotations
from app.scheduler.goals import GoalPlan, RaceClass
from app.scheduler.load import RunPlan, WeekPlan
from app.scheduler.phases import PhasePlan
from app.scheduler.season import Event, Season
from app.scheduler.strength import (
    CLIMB_RUNG,
    RUNGS,
    STRENGTH_LADDER,
    STRENGTH_REGRESS,
    Dose,
    ExerciseLadder,
    StageClock,
    dose_for,
    rung_of,
)
from app.scheduler.units import Measure
from app.scheduler.windows import PlanWindows

SESSION_NAMESPACE = uuid.UUID("5b1e1f0e-8c55-4d1c-9a53-6f2b1c7d2e10")
_NAMESPACE_BYTES = SESSION_NAMESPACE.bytes
STRENGTH_BEFORE_A_RACE_DAYS = 5  # no strength in the 5 days before an A race (hard limit: 4)
STRENGTH_BEFORE_RACE_DAYS = 2  # nor on the day of or before any other race
C_RACE_STRENGTH_PAUSE = 1  # after a C race (a training run), no strength the day after either
MAX_STRENGTH_EXERCISES = 5  # about 45 minutes with the warm-up
MAX_EXERCISES_PER_TISSUE = 2  # loaded exercises for a capped tissue in one session
MAX_STRENGTH_MINUTES = 45
RESTART_WEEK_DAYS = 7  # back after a pause: a week with the exercises you know
LONG_RECOVERY_MINUTES = 70  # a recovery run this long is the week's longer run, not a short one
LONG_RACE_RANK = RaceClass.marathon.rank  # marathons and ultras: no rehab the day after
HOPS_WAIT_DAYS = 14  # no hops or bounds in the two weeks after a marathon or longer
TOP_RUNG_BLOCK_WEEKS = 4
RESTART_DAYS = 14  # strength back after this long without: a step down to start again
MAX_REHAB_PAUSE_DAYS = 3  # rehab exercises: never more than 3 days without (docs/plan-shape.md §4)
REHAB_EXERCISES = 3
REHAB_NOTE = (
    "Your rehab exercises, the light ones at half the sets, so that none is paused for more "
    "than three days; stop any that hurt."
)
DRILLS_PER_RUN = 3
WARM_UP_EXERCISES = 2

ILLNESS_NOTE = (
    "No training today: rest while the illness passes, and start again only after 48 hours "
    "without a fever."
)
ILLNESS_RACE_NOTE = "Do not race with a fever or chest symptoms; see a doctor if they last."

PHASE_REASONS = {
    "activation": Reason(
        "plan.activation",
        "Daily, light, perfect-form practice teaches under-used glutes to fire before they are "
        "loaded; two short sets a day for about a month.",
    ),
    "strength": Reason(
        "plan.strength",
        "Loaded hip work two or three non-consecutive days a week, never in the 48 hours before "
        "the long run, builds strength once the movement patterns are grooved.",
    ),
    "running_form": Reason(
        "plan.running_form",
        "Drills before runs carry the new strength into your stride; strength work continues to "
        "hold what you built.",
    ),
    "rest": Reason("plan.rest", "Rest days let the body absorb training; an easy walk is fine."),
    "illness": Reason(
        "safety.illness",
        "A fever or chest symptoms mean no training: the body is fighting an illness, and "
        "exercise with a fever can strain the heart. Training starts again 48 hours after the "
        "fever has gone.",
    ),
    "race": Reason("plan.race", "Your goal race."),
    "strength_taper": Reason(
        "plan.strength_taper",
        "Before a race, strength work drops to one lighter session early in the week (about "
        "half the sets, nothing new) and stops in the last days, so your legs arrive fresh.",
    ),
    "rehab_continuity": Reason(
        "plan.rehab_continuity",
        "Your rehab exercises may be halved in lighter weeks but are never paused for more "
        "than three days, so the tissue keeps the tolerance it has built.",
    ),
    "strength_deload": Reason(
        "plan.strength_deload",
        "Strength work lightens with the running in a lighter week.",
    ),
}
RACE_NOTES = {
    Priority.A: "Your goal race: start easier than you feel you could and build into it.",
    Priority.B: "A B race: race it hard; it is this week's long run.",
    Priority.C: "A C race: run it as a training run at a steady effort, in place of this "
    "week's long run.",
}


@dataclass(frozen=True, slots=True)
class Stage:
    """The exercises from one week of the stage clock on (until the next stage), and what is
    ruled out then."""

    from_week: int
    exercises: PhaseExercises
    blocked_ids: frozenset[str]
    blocked_tags: frozenset[str]
    not_yet: frozenset[str] = frozenset()  # exercises of a later stage (no climbing to them)


@dataclass(frozen=True, slots=True)
class SessionContext:
    lineage: str
    catalog: Catalog
    phase_plan: PhasePlan
    stages: tuple[Stage, ...]  # by `from_week`, the first from week 1
    clock: StageClock
    weeks: list[WeekPlan]
    season: Season
    shortened: dict[int, float]  # B/C races run as shorter training runs: the distance in km
    strength_weekdays: list[int]
    activation_count: int
    session_time: time | None
    measure: Measure
    notes_by_kind: dict[str, list[tuple[str, Reason, Windows]]]
    windows: PlanWindows  # the days windowed rules hold in
    # avoidances limited to a window, and a stage with some of them in force
    windowed_avoids: tuple[WindowedAvoid, ...] = ()
    stage_without: Callable[[Stage, list[WindowedAvoid]], Stage] = lambda stage, _: stage
    sick_days: frozenset[date] = frozenset()  # an illness: no training at all
    sore_days: frozenset[date] = frozenset()  # running paused after severe pain: strength eases
    condition_rules: frozenset[str] = frozenset()  # rules about a symptom (the injury's own)
    # tissues whose loaded exercises are capped per session
    capped_tissues: tuple[str, ...] = ("calf",)


def session_id(lineage: str, key: str) -> str:
    """A stable id from the plan's lineage and the session's identity (not its position):
    the same value as `uuid.uuid5(SESSION_NAMESPACE, f"{lineage}|{key}")`, computed directly."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{lineage}|{key}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@lru_cache(maxsize=4096)
def _why_cached(reasons: tuple[Reason, ...], limit: int) -> tuple[Why, ...]:
    return tuple(Why(rule=r.rule, because=r.because) for r in dict.fromkeys(reasons))[:limit]


def _why(reasons: list[Reason], limit: int = 5) -> list[Why]:
    """The first `limit` distinct reasons (immutable, shared between sessions)."""
    return list(_why_cached(tuple(reasons), limit))


def _minutes(entries: list[ExerciseOut], rest_seconds: int) -> int:
    """Rough session length: work (3 s a rep) plus rest between sets."""
    seconds = 0
    for entry in entries:
        each = entry.seconds or (entry.reps or 10) * 3
        sides = 2 if entry.side == "both" else 1
        seconds += entry.sets * (each * sides + rest_seconds)
    return max(5, round(seconds / 60))


@lru_cache(maxsize=8192)
def _exercise_out(fields: tuple[tuple[str, Any], ...]) -> ExerciseOut:
    """Validated entries are immutable, so equal ones are built once per process."""
    return ExerciseOut.model_validate(dict(fields))


def _entries(
    chosen: list[Chosen],
    block: str | None,
    catalog: Catalog,
    *,
    halve: bool = False,
    dose: Dose | None = None,
) -> list[ExerciseOut]:
    """Contract entries for exercises, built once per exercise, block and dose and then shared
    (they are immutable)."""
    entries: list[ExerciseOut] = []
    for item in chosen:
        key = (block, halve, dose)
        cached = item.cache.get(key)
        if cached is None:
            raw = item.entries(block, catalog, dose)
            if halve:  # the catalog dose is a day's: half of it in each activation block
                for entry in raw:
                    entry["sets"] = max(1, (entry["sets"] + 1) // 2)
            cached = [_exercise_out(tuple(entry.items())) for entry in raw]
            item.cache[key] = cached
        entries.extend(cached)
    return entries


def _fmt(distance: float, units: str) -> str:
    return f"{distance:g} {units}"


def _run_title(run: RunPlan, distance: str, season: Season, longer: bool = False) -> str:
    """The run's title; `longer`: the week's longer run while recovering from a race."""
    workout = run.workout
    if run.role == "walk_run":
        repeats, run_min, walk_min = run.intervals[0]
        if walk_min:
            return f"Walk-run · {repeats} × ({run_min:g} min run / {walk_min:g} min walk)"
        return f"Run · {run_min:g} min continuous"
    if run.role == "shake_out":
        return f"Shake-out · {run.minutes} min" + (" + 4 strides" if workout else "")
    if run.role == "race_run" and run.event is not None:
        if run.intervals:
            return f"{run.event.names} · a walk-run session, not raced"
        if run.event.index in season.demoted:
            return f"{run.event.names} · easy {distance}, not raced"
        return f"{run.event.names} · run {distance} of it as a training run"
    if run.role == "double":
        if run.event is not None and run.event.two_days:
            return f"Back-to-back run · {distance}"
        when = ("morning", "evening, 8-12 h later")[min(run.order, 1)]
        return f"Relay practice run {run.order + 1} of {run.of} ({when}) · {distance}"
    if workout is not None and workout.kind not in ("strides",):
        return f"{workout.title} · {distance}"
    label = {"long": "Long run", "recovery": "Recovery run"}.get(run.role, "Easy run")
    if longer:
        label = "Easy long run (recovering)"
    if workout is not None:
        label += " + strides"
    return f"{label} · {distance}"


def _overfull(session: dict[str, Any], added: list[ExerciseOut]) -> bool:
    """The strength session would run past 45 minutes with `added`."""
    with_it = [*added, *session["exercises"]]
    return _minutes(with_it, rest_seconds=60) > MAX_STRENGTH_MINUTES


def _within_time(session: dict[str, Any], keep: set[str], catalog: Catalog) -> None:
    """A strength session that an added exercise took past 45 minutes rests its last general
    exercise (never one in `keep`: the runner's own rehab and tendon loading)."""
    session["duration_minutes"] = _minutes(session["exercises"], rest_seconds=60)
    while session["duration_minutes"] > MAX_STRENGTH_MINUTES:
        general = [
            k for k, e in enumerate(session["exercises"]) if e.block == "main" and e.id not in keep
        ]
        if len(general) <= 1:
            return
        dropped = session["exercises"].pop(general[-1])
        session["notes"] = [
            *session["notes"],
            f"{catalog[dropped.id].name} rests today so the session stays within 45 minutes.",
        ]
        session["duration_minutes"] = _minutes(session["exercises"], rest_seconds=60)


def _loads(exercise: Exercise, tissue: str) -> bool:
    """`exercise` is strength work for `tissue` (a muscle group and its tendon)."""
    return exercise.kind == "strength" and tissue in exercise.targets


def _once_a_day(sessions: list[dict[str, Any]]) -> None:
    """An exercise in a day's main work is not also a warm-up that day (a tendon is loaded
    once a day, and the dose stays the one the session names); within a session, an exercise
    is listed once per side and block."""
    main_by_day: dict[date, set[str]] = defaultdict(set)
    for session in sessions:
        main_by_day[session["date"]].update(
            e.id for e in session["exercises"] if e.block in ("main", "morning", "evening")
        )
    for session in sessions:
        main = main_by_day[session["date"]]
        if main and any(e.block == "warm_up" and e.id in main for e in session["exercises"]):
            session["exercises"] = [
                e for e in session["exercises"] if not (e.block == "warm_up" and e.id in main)
            ]
            if session["kind"] == "strength":
                session["duration_minutes"] = _minutes(session["exercises"], rest_seconds=60)
    for session in sessions:  # the same exercise, side and block twice: once, the larger dose
        chosen: dict[tuple[str, str | None, str | None], int] = {}
        listed = session["exercises"]
        for k, e in enumerate(listed):
            key = (e.id, e.side, e.block)
            if key not in chosen or e.sets > listed[chosen[key]].sets:
                chosen[key] = k
        if len(chosen) < len(listed):
            kept = set(chosen.values())
            session["exercises"] = [e for k, e in enumerate(listed) if k in kept]


class SessionBuilder:
    """Builds every session of a plan from the phases, weekly loads and exercises."""

    def __init__(self, ctx: SessionContext) -> None:
        self.ctx = ctx
        self.counters: dict[str, int] = defaultdict(int)
        self.runs_by_day: dict[date, list[RunPlan]] = defaultdict(list)
        for week in ctx.weeks:
            for run in week.runs:
                self.runs_by_day[run.day].append(run)
        self.week_of = {w.start: w for w in ctx.weeks}
        self.goal_days: dict[date, list[GoalPlan]] = defaultdict(list)
        self.raced = [e for e in ctx.season.raced if e.index not in ctx.shortened]
        for event in self.raced:
            for goal in event.goals:
                self.goal_days[goal.day].append(goal)
        self.long_days = {
            run.day
            for runs in self.runs_by_day.values()
            for run in runs
            if run.role in ("long", "double", "race_run")
        } | set(self.goal_days)
        self.taper_strength: set[date] = set()  # weeks (Mondays) with their taper session
        self.lifted = False  # a strength session has been scheduled
        self.busy: dict[date, set[date]] = defaultdict(set)  # week → days with a session
        for day in [*self.runs_by_day, *self.goal_days]:
            self.busy[monday_of(day)].add(day)
        self.notes: dict[tuple[str, tuple[bool, ...]], tuple[list[str], list[Reason]]] = {}
        # a stage's exercises of a phase on days some windowed ones are out: kept (their ids
        # key the rotations' memory)
        self.in_window: dict[tuple[int, str, tuple[bool, ...]], list[Chosen]] = {}
        # stages with windowed avoidances in force, by stage and which of them hold
        self.variants: dict[tuple[int, tuple[bool, ...]], tuple[int, Stage]] = {}
        self.last_dose: Dose | None = None  # the previous strength session's
        self.last_full: Dose | None = None  # the previous one at the ladder's full dose
        self.last_day: date | None = None  # the previous strength session's day
        self.restart: tuple[date, int] | None = None  # back after a pause: from when, what rung
        self.last_main: list[str] = []  # and its main exercises
        self.last_chosen: list[Chosen] = []
        self.ladder = ExerciseLadder()  # each exercise's own climb
        self.strength_start = next(
            (span.start for span in ctx.phase_plan.spans if span.name == "strength"), None
        )
        self.moved: dict[tuple[int, str, str], Chosen | None] = {}  # ladder moves, remembered
        self.stage_of: dict[int, tuple[int, Stage]] = {}  # stage week → stage
        self.rotations = Rotations(ctx.condition_rules)
        self.light_by_stage: dict[tuple[int, frozenset[str]], list[Chosen]] = {}
        self._span: tuple[list[date], dict[date, date]] | None = None
        # race days and the day before (and the day after a marathon or ultra): no rehab
        # add-ons there; halved rehab may come the day after a shorter race, so that back-to-
        # back races never stop it for more than three days
        self.race_window = {
            day + timedelta(days=k)
            for day, goals in self.goal_days.items()
            for k in ((-1, 0, 1) if any(g.klass.rank >= LONG_RACE_RANK for g in goals) else (-1, 0))
        }

    def build(self, start: date, end: date) -> list[dict[str, Any]]:
        sessions: list[dict[str, Any]] = []
        for index, day in enumerate(days(start, end)):
            phase = self.ctx.phase_plan.phase_on(day).name
            day_sessions: list[dict[str, Any]] = []
            for goal in self.goal_days.get(day, []):
                day_sessions.append(self._race(day, phase, goal))
            if phase == "activation":
                day_sessions.append(self._activation(day, index))
            runs = self.runs_by_day.get(day, [])
            for order, run in enumerate(runs):
                day_sessions.append(self._run(day, phase, run, order, index))
            if self._strength_day(day, phase):
                day_sessions.append(self._strength(day, phase, index))
            if not day_sessions:
                day_sessions.append(self._rest(day, phase))
            sessions.extend(day_sessions)
        self._rehab_continuity(sessions)
        self._loading_days(sessions)
        _once_a_day(sessions)
        return self._illness(sessions) if self.ctx.sick_days else sessions

    def _illness(self, sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Days of an illness hold no training: one rest day in place of the day's sessions
        (a race stays in the calendar, with a note not to race with a fever)."""
        result: list[dict[str, Any]] = []
        rested: set[date] = set()
        for session in sessions:
            day = session["date"]
            if day not in self.ctx.sick_days:
                result.append(session)
            elif session["kind"] == "race":
                session["notes"] = [ILLNESS_RACE_NOTE, *session["notes"]]
                result.append(session)
            elif day not in rested:
                rested.add(day)
                rest = self._rest(day, session["phase"])
                rest.update(
                    title="Rest: illness",
                    notes=[ILLNESS_NOTE],
                    why=_why([PHASE_REASONS["illness"]]),
                )
                result.append(rest)
        return result

    def _rehab_exercises(self, day: date, among: frozenset[str]) -> list[Chosen]:
        """The runner's own rehab exercises on `day` (from condition and finding rules): the
        light ones (activation work, isometric holds, the tendon loading a rule asks for) that
        go on when strength pauses (worked out once per stage and group)."""
        index, stage = self._stage(day)
        key = (index, among)
        known = self.light_by_stage.get(key)
        if known is None:
            known = self.light_by_stage[key] = self._light(stage, among)
        return known

    def _light(self, stage: Stage, among: frozenset[str]) -> list[Chosen]:
        chosen = [
            c
            for c in (*stage.exercises.strength, *stage.exercises.activation)
            if c.exercise.id in among
        ]
        loading = {c.exercise.id for c in chosen if c.prescription.per_week is not None}
        light = [
            c
            for c in chosen
            if c.core
            and not c.exercise.loaded
            and (
                c.exercise.kind in ("activation", "mobility")
                or c.exercise.id in loading
                or c.exercise.dose.seconds is not None  # isometric holds
            )
        ]
        # tendon loading first, then isometric holds, then the rest, in the rules' order
        light.sort(key=lambda c: (c.exercise.id not in loading, c.exercise.dose.seconds is None))
        return list({c.exercise.id: c for c in light}.values())[:REHAB_EXERCISES]

    def _rehab_day(self, day: date) -> bool:
        """Rehab may go on `day`: not a race day, nor the day before or after one."""
        return day not in self.race_window

    def _rehab_continuity(self, sessions: list[dict[str, Any]]) -> None:
        """Rehab exercises may be halved but never paused for more than 3 days (docs/plan-shape.md
        §4): when strength pauses (tapers, races, recoveries), the runner's own exercises come
        back at half the sets on a run or a rest day."""
        if self.strength_start is None:
            return
        by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
        for session in sessions:
            by_day[session["date"]].append(session)
        own = [
            c
            for stage in self.ctx.stages
            for c in [*stage.exercises.strength, *stage.exercises.activation]
            if c.core
        ]
        # Each rule's exercises must not pause: every condition's (a tendon, an IT band) and
        # every finding's (a weak glute medius, a dropping hip).
        groups: dict[str, set[str]] = defaultdict(set)
        for c in own:
            for reason in c.reasons:
                if not reason.rule.startswith(("baseline.", "plan.", "safety.")):
                    groups[reason.rule].add(c.exercise.id)
        present = {
            day: {e.id for s in todays for e in s["exercises"]} for day, todays in by_day.items()
        }
        for rule in sorted(groups):
            self._keep_up(by_day, present, frozenset(groups[rule]))

    def _keep_up(
        self,
        by_day: dict[date, list[dict[str, Any]]],
        present: dict[date, set[str]],
        group: frozenset[str],
    ) -> None:
        """One group of rehab exercises back at half the sets whenever it would otherwise
        pause for more than 3 days: on a run (as its warm-up) or on a rest day. `present`:
        the exercise ids of each day (kept up to date here)."""
        assert self.strength_start is not None
        last = self.strength_start - timedelta(days=1)
        span, following_day = self._rehab_span(max(by_day))
        for day in span:
            todays = by_day.get(day, [])
            if not group.isdisjoint(present.get(day, ())):
                last = day
                continue
            following = following_day.get(day)
            if following is None:  # not a day for rehab (a race, the day before)
                continue
            # Today if waiting for the next allowed day would leave more than 3 days without.
            if (day - last).days <= MAX_REHAB_PAUSE_DAYS and (following - last).days <= (
                MAX_REHAB_PAUSE_DAYS + 1
            ):
                continue
            chosen = self._rehab_exercises(day, among=group)
            if not chosen:
                continue
            run = next(
                (s for s in todays if s["kind"] == "run" and s.get("run_type") != "race_run"),
                None,
            )
            rest = next(
                (
                    s
                    for s in todays
                    if s["kind"] == "rest"
                    or (s["kind"] == "activation" and s["id"] == self._rehab_id(day))
                ),
                None,
            )
            reasons = [PHASE_REASONS["rehab_continuity"], *(r for c in chosen for r in c.reasons)]
            if run is not None:
                added = _entries(chosen, "warm_up", self.ctx.catalog, halve=True)
                run["exercises"] = [*added, *run["exercises"]]
                if REHAB_NOTE not in run["notes"]:
                    run["notes"] = [REHAB_NOTE, *run["notes"]]
                kept = [Reason(w.rule, w.because) for w in run["why"]]
                run["why"] = _why([*kept, PHASE_REASONS["rehab_continuity"]], limit=len(kept) + 1)
            elif rest is not None:
                earlier = rest["exercises"] if rest["kind"] == "activation" else []
                added = _entries(chosen, "main", self.ctx.catalog, halve=True)
                exercises = [*earlier, *added]
                minutes = _minutes(exercises, rest_seconds=30)
                kept = [Reason(w.rule, w.because) for w in rest["why"]] if earlier else []
                rest.update(
                    id=self._rehab_id(day),
                    kind="activation",
                    title=f"Rehab exercises · {minutes} min",
                    start_time=self.ctx.session_time,
                    exercises=exercises,
                    duration_minutes=minutes,
                    notes=[REHAB_NOTE],
                    why=_why([*kept, *reasons], limit=len(kept) + 5),
                )
            else:
                continue
            present.setdefault(day, set()).update(e.id for e in added)
            last = day

    def _rehab_span(self, end: date) -> tuple[list[date], dict[date, date]]:
        """The days from the first strength session to `end`, and for each day rehab may go
        on, the next such day after it (worked out once for every group)."""
        if self._span is None or self._span[0][-1:] != [end]:
            assert self.strength_start is not None
            span = list(days(self.strength_start, end))
            following: dict[date, date] = {}
            upcoming = end + timedelta(days=1)
            while not self._rehab_day(upcoming):
                upcoming += timedelta(days=1)
            for day in reversed(span):
                if self._rehab_day(day):
                    following[day] = upcoming
                    upcoming = day
            self._span = (span, following)
        return self._span

    def _rehab_id(self, day: date) -> str:
        return session_id(self.ctx.lineage, f"rehab:{day.isoformat()}")

    def _loading_days(self, sessions: list[dict[str, Any]]) -> None:
        """Exercises a rule wants on at least N days a week (tendon loading) until a week of
        the stage clock: activation, strength sessions and runs that lack them carry them,
        spread through the week and at least 48 hours apart where the week allows."""
        by_week: dict[date, list[dict[str, Any]]] = defaultdict(list)
        for session in sessions:
            by_week[monday_of(session["date"])].append(session)
        last: dict[str, date] = {}  # the last day each exercise was loaded (48 h apart)
        for week, week_sessions in sorted(by_week.items()):
            _, stage = self._stage(week)
            core_ids = {c.exercise.id for c in stage.exercises.strength if c.core}
            for original in stage.exercises.strength:
                p = original.prescription
                if p.per_week is None or self.ctx.clock.week(week) > (p.until_week or 0):
                    continue
                item = original
                if week in self.ctx.clock.regress_weeks:  # a week after a regress: a rung down
                    item = self._move(original, week, "regression") or original
                ident = item.exercise.id
                carried = {
                    s["date"] for s in week_sessions if any(e.id == ident for e in s["exercises"])
                }
                runs = [
                    s
                    for s in week_sessions
                    if (
                        s["kind"] in ("strength", "activation")
                        or (s["kind"] == "run" and s.get("run_type") != "race_run")
                    )
                    and s["date"] not in carried
                    and self._rehab_day(s["date"])  # not on a race day or the day before
                    and s.get("run_type") != "shake_out"
                    and self.ctx.windows.covers(original.windows, s["date"])
                    and not (s["kind"] == "strength" and self._tissue_full(s, item))
                ]
                entry = _entries([item], "main", self.ctx.catalog)
                while len(carried) < p.per_week and runs:
                    # the session farthest from the days that already have it
                    loaded = carried | ({last[ident]} if ident in last else set())
                    best = max(
                        runs,
                        key=lambda s: (
                            # a strength session it would take past 45 minutes goes last
                            not (s["kind"] == "strength" and _overfull(s, entry)),
                            min((abs((s["date"] - d).days) for d in loaded), default=7),
                            -s["date"].toordinal(),
                        ),
                    )
                    runs = [s for s in runs if s["date"] != best["date"]]
                    carried.add(best["date"])
                    block = "warm_up" if best["kind"] == "run" else "main"
                    best["exercises"] = [
                        *_entries([item], block, self.ctx.catalog),
                        *best["exercises"],
                    ]
                    until = (
                        ""
                        if (p.until_week or 0) >= MAX_STAGE_WEEK
                        else f" until week {p.until_week}"
                    )
                    best["notes"] = [
                        f"First: {item.exercise.name.lower()}, kept on at least {p.per_week} "
                        f"days a week{until}.",
                        *best["notes"],
                    ]
                    if best["kind"] == "strength":
                        _within_time(best, keep=core_ids | {ident}, catalog=self.ctx.catalog)
                    kept = [Reason(w.rule, w.because) for w in best["why"]]
                    best["why"] = _why([*kept, item.reasons[-1]], limit=len(kept) + 1)
                if carried:
                    last[ident] = max(carried)

    def _stage(self, day: date) -> tuple[int, Stage]:
        """The stage in force on `day` (by the stage clock), and its index; on a day inside a
        windowed avoidance's window, that stage with the avoided exercises ruled out too."""
        week = self.ctx.clock.week(day)
        found = self.stage_of.get(week)
        if found is None:
            index = 0
            for k, stage in enumerate(self.ctx.stages):
                if stage.from_week <= week:
                    index = k
            found = self.stage_of[week] = (index, self.ctx.stages[index])
        avoids = self.ctx.windowed_avoids
        if not avoids:
            return found
        held = tuple(self.ctx.windows.covers(a.windows, day) for a in avoids)
        if not any(held):
            return found
        key = (found[0], held)
        variant = self.variants.get(key)
        if variant is None:  # its own index: the caches keyed by stage keep them apart
            ruled_out = [a for a, h in zip(avoids, held, strict=True) if h]
            index = len(self.ctx.stages) + len(self.variants)
            variant = self.variants[key] = (index, self.ctx.stage_without(found[1], ruled_out))
        return variant

    def _rotate(self, phase: str, count: int, day_index: int, day: date) -> list[Chosen]:
        """The day's exercises of a phase."""
        index, stage = self._stage(day)
        items = stage.exercises.of(phase)
        if any(c.windows is not None for c in items):  # rules limited to part of the plan
            covers = self.ctx.windows.covers
            held = tuple(covers(c.windows, day) for c in items)
            if not all(held):
                key = (index, phase, held)
                kept = self.in_window.get(key)
                if kept is None:
                    kept = self.in_window[key] = [c for c, h in zip(items, held, strict=True) if h]
                items = kept
        return self.rotations.pick(items, count, day_index)

    def _move(self, item: Chosen, day: date, direction: str) -> Chosen | None:
        """`item` one rung up (`progression`) or down (`regression`) its catalog ladder, when
        that exercise is allowed in strength on `day`; remembered per stage."""
        index, stage = self._stage(day)
        key = (index, item.exercise.id, direction)
        if key not in self.moved:
            catalog = self.ctx.catalog
            target = getattr(item.exercise, direction)
            moved: Chosen | None = None
            if (
                target is not None
                and target not in stage.not_yet
                and target in catalog
                and "strength" in catalog[target].phases
                and catalog.allowed_substitute(target, stage.blocked_ids, stage.blocked_tags)
                == target
            ):
                reason = STRENGTH_LADDER if direction == "progression" else STRENGTH_REGRESS
                moved = Chosen(
                    catalog[target],
                    item.prescription,
                    [*item.reasons, reason],
                    replaced=item.exercise.id,
                    core=item.core,
                    prescribed_by=item.prescribed_by,
                    windows=item.windows,
                )
            self.moved[key] = moved
        return self.moved[key]

    def _ladder(self, main: list[Chosen], day: date, dose: Dose) -> list[Chosen]:
        """Body-weight exercises move up their ladder from the strength rung; after a regress
        verdict the condition-specific ones move a rung down."""
        result: list[Chosen] = []
        ids = {c.exercise.id for c in main}
        for item in main:
            moved = None
            if dose.why == "regress" and item.core:
                moved = self._move(item, day, "regression")
            elif (
                dose.rung >= CLIMB_RUNG
                and dose.why in ("ladder", "maintenance")
                and item.laddered
                and not item.exercise.loaded
            ):
                moved = self._move(item, day, "progression")
            if moved is not None and moved.exercise.id not in ids:
                ids.add(moved.exercise.id)
                result.append(moved)
            else:
                result.append(item)
        return result

    # -- identity ---------------------------------------------------------------------------
    def _key(self, kind: str, day: date) -> str:
        """Identity within the ISO week: the n-th session of a kind keeps its id if it moves."""
        year, week, _ = day.isocalendar()
        slot = f"{kind}:{year}-W{week:02d}"
        ordinal = self.counters[slot]
        self.counters[slot] += 1
        return f"{slot}:{ordinal}"

    def _base(self, key: str, day: date, kind: str, phase: str, title: str) -> dict[str, Any]:
        return {
            "id": session_id(self.ctx.lineage, key),
            "date": day,
            "kind": kind,
            "title": title,
            "phase": phase,
            "start_time": self.ctx.session_time,
            "exercises": [],
            "drills": [],
            "intervals": [],
            "notes": [],
            "why": [],
        }

    def _notes(self, kind: str, day: date) -> tuple[list[str], list[Reason]]:
        """The rules' notes for a kind of session on `day` (a windowed rule's only inside its
        window), and their reasons (fresh lists each call)."""
        given = self.ctx.notes_by_kind.get(kind, [])
        held = tuple(self.ctx.windows.covers(w, day) for _, _, w in given)
        cached = self.notes.get((kind, held))
        if cached is None:
            pairs = [(t, r) for (t, r, _), h in zip(given, held, strict=True) if h]
            cached = self.notes[(kind, held)] = ([t for t, _ in pairs], [r for _, r in pairs])
        return list(cached[0]), list(cached[1])

    # -- kinds ------------------------------------------------------------------------------
    def _activation(self, day: date, index: int) -> dict[str, Any]:
        count = self.ctx.activation_count
        morning = self._rotate("activation", count, 2 * index, day)
        evening = self._rotate("activation", count, 2 * index + 1, day)
        entries = _entries(morning, "morning", self.ctx.catalog, halve=True)
        entries += _entries(evening, "evening", self.ctx.catalog, halve=True)
        minutes = _minutes(entries, rest_seconds=15)
        session = self._base(
            f"activation:{day.isoformat()}",
            day,
            "activation",
            "activation",
            f"Activation · {minutes} min",
        )
        notes, note_reasons = self._notes("activation", day)
        session.update(
            exercises=entries,
            duration_minutes=minutes,
            notes=[
                "Two short sets: the morning block and the evening block. Stop a set when "
                "form slips; perfect reps matter more than many.",
                *notes,
            ],
            why=_why(
                [
                    PHASE_REASONS["activation"],
                    *[r for c in morning + evening for r in c.reasons],
                    *note_reasons,
                ]
            ),
        )
        return session

    def _strength_day(self, day: date, phase: str) -> bool:
        """Whether strength falls on `day` (how heavy is `_dose`'s to say). Never within 48
        hours before a long run or a race, never in the days before an A race, only after the
        pause that follows a race, and one session in a taper week."""
        if phase == "activation" or day.weekday() not in self.ctx.strength_weekdays:
            return False
        if day in self.long_days or day + timedelta(days=1) in self.long_days:
            return False
        for event in self.raced:
            before = (event.first - day).days
            after = (day - event.last).days
            if event.priority == Priority.A and 0 <= before <= STRENGTH_BEFORE_A_RACE_DAYS:
                return False
            if 0 <= before <= STRENGTH_BEFORE_RACE_DAYS:
                return False
            # a C race up to a half is a training run in place of the long run: lifting
            # resumes two days on (after a marathon or longer, raced at any priority, later)
            pause = event.profile.strength_pause_after
            if event.priority == Priority.C and event.klass.rank < LONG_RACE_RANK:
                pause = min(pause, C_RACE_STRENGTH_PAUSE)
            if 0 <= after <= pause:
                return False
        week = monday_of(day)
        week_plan = self.week_of.get(week)
        need_free = 2 if week_plan is not None and week_plan.walk_run else 1
        if day not in self.busy[week] and 7 - len(self.busy[week]) - 1 < need_free:
            return False  # every week keeps its rest day
        role = self.ctx.season.role(day)
        if role.taper is not None or role.b_taper is not None:
            if not self.lifted:
                return False  # nothing new in a taper: a first loaded session waits for later
            if week in self.taper_strength:
                return False
            self.taper_strength.add(week)
        self.busy[week].add(day)
        self.lifted = True
        return True

    def _dose(self, day: date, phase: str) -> Dose:
        """The session's dose: the ladder by weeks of strength (the stage clock), lighter in a
        taper, after a regress verdict or in a deload week, held in running form."""
        clock = self.ctx.clock
        weeks = self._strength_week(day)
        role = self.ctx.season.role(day)
        week_plan = self.week_of.get(monday_of(day))
        if role.taper is not None or role.b_taper is not None:
            why = "taper"
        elif monday_of(day) in clock.regress_weeks or day in self.ctx.sore_days:
            why = "regress"  # after a check-in that stepped back, or while running is paused
        elif week_plan is not None and week_plan.deload:
            why = "deload"
        else:
            why = "ladder"
        weights = "external_load" not in self._stage(day)[1].blocked_tags
        highest = None
        if why != "ladder" and self.last_full is not None:
            highest = self.last_full.rung  # no new rung in a lighter week
        elif self.last_day is not None and (day - self.last_day).days >= RESTART_DAYS:
            # back after a long pause (a race and its recovery): a step down to start again
            self.restart = (day, max(0, (self.last_full.rung if self.last_full else 0) - 1))
        if why == "ladder" and self.restart is not None:
            # ... and a rung a week from there, not straight back to the heaviest
            since, rung = self.restart
            highest = rung + (day - since).days // 7
        return dose_for(
            weeks, why, maintenance=phase != "strength", weights=weights, highest=highest
        )

    def _strength_week(self, day: date) -> int:
        """Weeks of strength before `day`'s week, on the stage clock (0: the first)."""
        clock = self.ctx.clock
        return max(0, clock.week(day) - clock.week(self.strength_start or day))

    def _block(self, day: date) -> int:
        """Which block of the ladder `day` falls in: the exercise list stays the same through
        a block (so "same as last time" is true), changing with each rung and every four
        weeks at the top rung."""
        weeks = self._strength_week(day)
        rung = rung_of(weeks)
        if rung < len(RUNGS) - 1:
            return rung
        top = sum(r.weeks or 0 for r in RUNGS)
        return rung + (weeks - top) // TOP_RUNG_BLOCK_WEEKS

    def _dose_note(
        self, dose: Dose, main: list[Chosen], day: date, warm_up: frozenset[str] = frozenset()
    ) -> str:
        """What changed since the last session (dose and exercises), and why. An exercise
        moved into the warm-up (`warm_up`) is not resting."""
        previous, text = self.last_dose, dose.describe()
        ids = [c.exercise.id for c in main]
        catalog = self.ctx.catalog
        added = [i for i in ids if i not in self.last_main]
        # "new" only the first time; an exercise done before and back from a rest is "back"
        new = [catalog[i].name.lower() for i in added if i not in self.ladder.seen]
        back = [catalog[i].name.lower() for i in added if i in self.ladder.seen]
        # tendon loading kept on N days a week goes on by its own schedule (and its note)
        loading = {
            c.exercise.id
            for c in self._stage(day)[1].exercises.strength
            if c.prescription.per_week is not None
        }
        out = [
            catalog[i].name.lower()
            for i in self.last_main
            if i not in ids and i not in loading and i not in warm_up
        ]
        swaps = ""
        if self.last_main and (new or back or out):
            swaps = (
                (f" New: {', '.join(new)}." if new else "")
                + (f" Back: {', '.join(back)}." if back else "")
                + (f" Resting: {', '.join(out)}." if out else "")
            )
        if dose.why == "taper":
            return (
                f"A lighter session before your race: {text}, fewer sets at the loads you know; "
                f"nothing new.{swaps}"
            )
        if dose.why == "regress":
            swapped = [
                f"{c.exercise.name.lower()} in place of {catalog[c.replaced].name.lower()}"
                for c in main
                if c.replaced and STRENGTH_REGRESS in c.reasons
            ]
            return (
                f"Stepped back after your check-in: {text}, a step down and a set fewer"
                + (f"; {', '.join(swapped)}" if swapped else "")
                + "."
            )
        if dose.why == "deload":
            return f"A lighter week: {text}, a set fewer with the running's lighter week.{swaps}"
        if previous is None:
            return f"First strength session: {text}, to learn each movement before load goes on."
        if self.last_day is not None and (day - self.last_day).days >= RESTART_DAYS:
            gap = (day - self.last_day).days
            return f"Back after {gap} days without strength: {text}, a step down to start.{swaps}"
        if dose.rung > previous.rung or (dose.rung == previous.rung and dose.sets > previous.sets):
            if previous.why in ("ladder", "maintenance"):
                fewer = " in load, with a set fewer" if dose.sets < previous.sets else ""
                return f"Up a step{fewer}: {text} (was {previous.describe()}).{swaps}"
            full = self.last_full
            if full is not None and dose.rung > full.rung:
                fewer = " in load, with a set fewer" if dose.sets < full.sets else ""
                return (
                    f"Up a step{fewer} after the lighter sessions: {text} (was "
                    f"{full.describe()}).{swaps}"
                )
            return f"Back to the full dose after the lighter sessions: {text}.{swaps}"
        if dose.why == "maintenance" and previous.why != "maintenance":
            return (
                f"Maintenance: {text}, a set fewer to hold what you built while running form "
                f"takes over.{swaps}"
            )
        return (
            f"Same dose as last time ({text}): add 2-10% load, or a rep or two on body-weight "
            f"exercises, once every rep is clean.{swaps}"
        )

    def _strength(self, day: date, phase: str, index: int) -> dict[str, Any]:
        dose = self._dose(day, phase)
        back = self.restart is not None and (day - self.restart[0]).days < RESTART_WEEK_DAYS
        if (dose.why in ("taper", "deload") or back) and self.last_chosen:
            # a lighter session, or the first week back after a pause (a race and its
            # recovery): the exercises you know, nothing new (and none whose rule's window
            # has closed)
            covers = self.ctx.windows.covers
            main = [c for c in self.last_chosen if covers(c.windows, day)]
        else:
            main = self._ladder(
                self._rotate("strength", MAX_STRENGTH_EXERCISES, self._block(day), day), day, dose
            )
        main, rested = self._one_tissue_at_a_time(main)
        chosen = main
        jumps: list[Chosen] = []  # hops and bounds waiting after a long race
        hops_note = None
        hops_wait = self._after_long_race(day)
        if hops_wait is not None:
            jumps = [c for c in main if "jumping" in c.exercise.contraindications]
            if len(jumps) == len(main):
                jumps = []
            if jumps:
                main = [c for c in main if c not in jumps]
                hops_note = (
                    f"No {', '.join(c.exercise.name.lower() for c in jumps)} yet: hopping "
                    f"waits two weeks after {hops_wait.names}, while tendons and bones recover."
                )
        warm = self._rotate("activation", WARM_UP_EXERCISES, index, day)
        doses = {c.exercise.id: self.ladder.dose(c.exercise.id, day, dose) for c in main}
        if back:  # the first week back after a pause: hops and drills a set fewer too
            for c in (c for c in main if c.exercise.kind == "drill"):
                own = doses[c.exercise.id]
                if own.why in ("ladder", "maintenance"):
                    doses[c.exercise.id] = replace(own, why="deload")
        entries = _entries(warm, "warm_up", self.ctx.catalog) + self._main_entries(main, doses)
        while _minutes(entries, rest_seconds=60) > MAX_STRENGTH_MINUTES and len(main) > 3:
            # too long: the last of the general exercises rests this time
            general = [c for c in main if not c.core]
            main = [c for c in main if c is not (general or main)[-1]]
            entries = _entries(warm, "warm_up", self.ctx.catalog) + self._main_entries(main, doses)
        # the title names the strength work (not a mobility drill done alongside)
        named = [c for c in main if c.exercise.kind == "strength"] or main
        names = ", ".join(c.exercise.name.lower() for c in named[:2]) or "hip strength"
        session = self._base(
            self._key("strength", day),
            day,
            "strength",
            phase,
            f"Strength ({dose.label}) · {names}",
        )
        notes, note_reasons = self._notes("strength", day)
        warm_ids = frozenset(e.id for e in entries if e.block == "warm_up")
        note = self._dose_note(dose, main, day, warm_ids)
        catalog = self.ctx.catalog
        if any(
            c.exercise.id not in self.last_main
            and _entries([c], "main", catalog, dose=doses[c.exercise.id])
            != _entries([c], "main", catalog, dose=dose)
            for c in main
        ):
            note += " New and returning exercises start lighter and climb the steps on their own."
        notes = [note, *notes]
        if rested:
            notes.append(
                f"{', '.join(rested).capitalize()} rests today: two loaded exercises for the "
                "same tendon are enough in one session."
            )
        if hops_note is not None:
            notes.append(hops_note)
        for c in main:
            self.ladder.record(c.exercise.id, day, doses[c.exercise.id])
        extra: list[Reason] = [STRENGTH_LADDER]
        if dose.why == "taper":
            extra.append(PHASE_REASONS["strength_taper"])
        elif dose.why == "deload":
            extra.append(PHASE_REASONS["strength_deload"])
        elif dose.why == "regress":
            extra.insert(0, STRENGTH_REGRESS)
        self.last_dose, self.last_day = dose, day
        self.last_main = [c.exercise.id for c in main]
        # what the next lighter session repeats: the hops that waited come back with it
        kept = {id(c) for c in [*main, *jumps]}
        self.last_chosen = [c for c in chosen if id(c) in kept]
        if dose.why in ("ladder", "maintenance"):
            self.last_full = dose
        session.update(
            exercises=entries,
            duration_minutes=_minutes(entries, rest_seconds=60),
            notes=notes,
            why=_why(
                [
                    PHASE_REASONS["strength"],
                    *extra,
                    *[r for c in main for r in c.reasons],
                    *note_reasons,
                ]
            ),
        )
        return session

    def _after_long_race(self, day: date) -> Event | None:
        """The marathon or longer raced in the two weeks before `day`: its legs are not ready
        for hops and bounds yet (tendons and bone take longer than muscle to recover)."""
        for event in self.raced:
            if event.klass.rank >= LONG_RACE_RANK and 0 < (day - event.last).days <= HOPS_WAIT_DAYS:
                return event
        return None

    def _one_tissue_at_a_time(self, main: list[Chosen]) -> tuple[list[Chosen], list[str]]:
        """At most two loaded exercises for a tissue whose load adds up (the calf: the Achilles
        takes several times body weight at every stride), hops aside: a condition's own
        loading first, then the exercises kept on N days a week; the others rest that day
        (their names returned)."""

        def priority(c: Chosen) -> tuple[bool, bool]:
            own = any(r.rule in self.ctx.condition_rules for r in c.reasons)
            return (not own, c.prescription.per_week is None)

        rested: list[str] = []
        for tissue in self.ctx.capped_tissues:
            loaded = [c for c in main if _loads(c.exercise, tissue)]
            dropped = {id(c) for c in sorted(loaded, key=priority)[MAX_EXERCISES_PER_TISSUE:]}
            rested += [c.exercise.name.lower() for c in loaded if id(c) in dropped]
            main = [c for c in main if id(c) not in dropped]
        return main, rested

    def _tissue_full(self, session: dict[str, Any], item: Chosen) -> bool:
        """`item` loads a capped tissue that the strength session already loads enough."""
        catalog = self.ctx.catalog
        for tissue in self.ctx.capped_tissues:
            if not _loads(item.exercise, tissue):
                continue
            held = {
                e.id
                for e in session["exercises"]
                if e.block == "main" and _loads(catalog[e.id], tissue)
            }
            if len(held) >= MAX_EXERCISES_PER_TISSUE:
                return True
        return False

    def _main_entries(self, main: list[Chosen], doses: dict[str, Dose]) -> list[ExerciseOut]:
        """The main exercises, each at its own dose (see ExerciseLadder)."""
        catalog = self.ctx.catalog
        return [e for c in main for e in _entries([c], "main", catalog, dose=doses[c.exercise.id])]

    def _longer_recovery(self, run: RunPlan) -> bool:
        """`run` is the week's longer run while recovering from a race (one a week)."""
        if run.role != "recovery" or run.minutes < LONG_RECOVERY_MINUTES:
            return False
        monday = monday_of(run.day)
        week = [
            r
            for k in range(7)
            for r in self.runs_by_day.get(monday + timedelta(days=k), [])
            if r.role == "recovery"
        ]
        return max(week, key=lambda r: (r.km, r.day)) is run

    def _run(self, day: date, phase: str, run: RunPlan, order: int, index: int) -> dict[str, Any]:
        ctx, m = self.ctx, self.ctx.measure
        units = m.units.value
        week = self.week_of[monday_of(day)]
        distance = m.out(run.km)
        longer = self._longer_recovery(run)
        title = _run_title(run, _fmt(distance, units), ctx.season, longer)
        kind_key = "long_run" if run.role == "long" else "run"
        session = self._base(self._key(kind_key, day), day, "run", phase, title)
        notes, note_reasons = self._notes("run", day)
        reasons: list[Reason] = []
        minutes = run.minutes
        if run.workout is not None:
            notes = [f"{run.workout.title}: {run.workout.detail}.", *notes]
            reasons.append(run.workout.reason)
        if run.role == "double" and run.event is not None:
            if run.event.two_days:
                notes = [
                    "Half of a back-to-back pair with the long run: easy, on tired legs.",
                    *notes,
                ]
            else:
                longest = _fmt(ctx.measure.out(run.event.leg_km), ctx.measure.units.value)
                notes = [
                    "Run again 8-12 hours after the last run, each no longer than your longest "
                    f"relay leg (about {longest}), to rehearse racing on tired legs.",
                    *notes,
                ]
        if run.role == "race_run" and run.event is not None:
            why = ctx.season.demoted.get(run.event.index) or (
                "your longest run of the last 30 days does not yet allow its full distance "
                "(each run stays within 110% of it)"
            )
            notes = [f"Not raced: {why}. Run it easily or skip it.", *notes]
        if longer:
            notes = [
                "All easy: the first longer run back while you recover from your race.",
                *notes,
            ]
        elif run.role == "recovery" and run.minutes >= LONG_RECOVERY_MINUTES:
            notes = ["Easy all the way: you are still recovering from your race.", *notes]
        elif run.role == "recovery":
            notes = [
                "Easy, and shorter than your usual runs: you are recovering from your race.",
                *notes,
            ]
        if run.walk_breaks:
            notes = ["Run 4 minutes, walk 1 minute, throughout.", *notes]
        drills: list[ExerciseOut] = []
        if phase in ("running_form", "taper") and order == 0 and run.role != "shake_out":
            chosen = self._rotate("running_form", DRILLS_PER_RUN, index, day)
            drills = _entries(chosen, "warm_up", ctx.catalog)
            note_reasons = [*note_reasons, *[r for c in chosen for r in c.reasons]]
            if drills:  # the rules' notes for drills go where the drills are
                drill_notes, drill_reasons = self._notes("drills", day)
                notes = [*notes, *drill_notes]
                note_reasons = [*note_reasons, *drill_reasons]
            notes = ["Jog 5-10 minutes easy, then the drills, then the run.", *notes]
        warm: list[ExerciseOut] = []
        if phase == "strength" and order == 0:
            warm = _entries(
                self._rotate("activation", WARM_UP_EXERCISES, index, day), "warm_up", ctx.catalog
            )
        session.update(
            distance=distance,
            duration_minutes=minutes,
            intervals=[
                {"repeats": r, "run_minutes": rm, "walk_minutes": wm} for r, rm, wm in run.intervals
            ],
            exercises=warm,
            drills=drills,
            notes=notes,
            run_type=run.role,
            workout=(
                {"kind": run.workout.kind, "detail": run.workout.detail, "hard": run.workout.hard}
                if run.workout is not None
                else None
            ),
            why=_why(
                [*reasons, *week.reasons, *note_reasons]
                + ([PHASE_REASONS["running_form"]] if drills else [])
            ),
        )
        return session

    def _race(self, day: date, phase: str, goal: GoalPlan) -> dict[str, Any]:
        m = self.ctx.measure
        units = m.units.value
        distance = m.out(goal.race_km)
        title = f"Race · {goal.goal.name} · {_fmt(distance, units)}"
        session = self._base(f"race:{goal.index}:{goal.goal.name}", day, "race", phase, title)
        notes, note_reasons = self._notes("race", day)
        notes = [RACE_NOTES[goal.priority], *notes]
        if goal.legs > 1:
            average = m.out(goal.race_km / goal.legs)
            notes = [
                f"{goal.legs} legs averaging about {_fmt(average, units)}, the longest up to "
                f"about {_fmt(m.out(goal.leg_km), units)}; eat and rehydrate between legs.",
                *notes,
            ]
        session.update(
            distance=distance,
            start_time=goal.goal.start_time,
            notes=notes,
            why=_why([PHASE_REASONS["race"], *goal.reasons, *note_reasons]),
        )
        return session

    def _rest(self, day: date, phase: str) -> dict[str, Any]:
        session = self._base(f"rest:{day.isoformat()}", day, "rest", phase, "Rest day")
        session.update(
            start_time=None, notes=["Rest, or an easy walk."], why=_why([PHASE_REASONS["rest"]])
        )
        return session

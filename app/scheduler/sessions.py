"""Day-by-day sessions: activation, strength, runs with drills, races and rest (pure)."""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache
from typing import Any

from app.catalog.models import Catalog
from app.engine.decisions import Reason
from app.plan.models import ExerciseOut, Why
from app.scheduler.calendar import days, monday_of
from app.scheduler.exercises import Chosen, PhaseExercises, rotation
from app.scheduler.goals import GoalPlan
from app.scheduler.load import RunSpec, WeekLoad
from app.scheduler.phases import PhasePlan

SESSION_NAMESPACE = uuid.UUID("5b1e1f0e-8c55-4d1c-9a53-6f2b1c7d2e10")
_NAMESPACE_BYTES = SESSION_NAMESPACE.bytes
STRENGTH_TAPER_STOP_DAYS = 5
MAX_STRENGTH_EXERCISES = 6
DRILLS_PER_RUN = 3
WARM_UP_EXERCISES = 2

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
    "race": Reason("plan.race", "Your goal race."),
}


@dataclass(frozen=True, slots=True)
class SessionContext:
    lineage: str
    catalog: Catalog
    phase_plan: PhasePlan
    exercises: PhaseExercises
    weeks: list[WeekLoad]
    goals: list[GoalPlan]
    strength_weekdays: list[int]
    activation_count: int
    session_time: time | None
    units: str
    units_per_minute: float
    notes_by_kind: dict[str, list[tuple[str, Reason]]]


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
    chosen: list[Chosen], block: str | None, catalog: Catalog, *, halve: bool = False
) -> list[ExerciseOut]:
    """Contract entries for exercises, built once per exercise and block and then shared
    (they are immutable)."""
    entries: list[ExerciseOut] = []
    for item in chosen:
        key = (block, halve)
        cached = item.cache.get(key)
        if cached is None:
            raw = item.entries(block, catalog)
            if halve:  # the catalog dose is a day's: half of it in each activation block
                for entry in raw:
                    entry["sets"] = max(1, (entry["sets"] + 1) // 2)
            cached = [_exercise_out(tuple(entry.items())) for entry in raw]
            item.cache[key] = cached
        entries.extend(cached)
    return entries


def _fmt(distance: float, units: str) -> str:
    return f"{distance:g} {units}"


class SessionBuilder:
    """Builds every session of a plan from the phases, weekly loads and exercises."""

    def __init__(self, ctx: SessionContext) -> None:
        self.ctx = ctx
        self.counters: dict[str, int] = defaultdict(int)
        self.runs_by_day: dict[date, list[RunSpec]] = defaultdict(list)
        for week in ctx.weeks:
            for run in week.runs:
                self.runs_by_day[run.day].append(run)
        self.week_of = {w.start: w for w in ctx.weeks}
        self.goal_days = {g.day: g for g in ctx.goals}
        self.notes: dict[str, tuple[list[str], list[Reason]]] = {}

    def build(self, start: date, end: date) -> list[dict[str, Any]]:
        sessions: list[dict[str, Any]] = []
        for index, day in enumerate(days(start, end)):
            phase = self.ctx.phase_plan.phase_on(day).name
            day_sessions: list[dict[str, Any]] = []
            goal = self.goal_days.get(day)
            if goal is not None:
                day_sessions.append(self._race(day, phase, goal))
            if phase == "activation":
                day_sessions.append(self._activation(day, index))
            runs = self.runs_by_day.get(day, [])
            for order, run in enumerate(runs):
                day_sessions.append(self._run(day, phase, run, order, len(runs), index))
            if self._strength_day(day, phase):
                day_sessions.append(self._strength(day, phase, index))
            if not day_sessions:
                day_sessions.append(self._rest(day, phase))
            sessions.extend(day_sessions)
        return sessions

    def _rotate(self, phase: str, count: int, day_index: int) -> list[Chosen]:
        """The day's exercises of a phase."""
        return rotation(self.ctx.exercises.of(phase), count, day_index)

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

    def _notes(self, kind: str) -> tuple[list[str], list[Reason]]:
        """The rules' notes for a kind of session, and their reasons (fresh lists each call)."""
        cached = self.notes.get(kind)
        if cached is None:
            pairs = self.ctx.notes_by_kind.get(kind, [])
            cached = self.notes[kind] = ([t for t, _ in pairs], [r for _, r in pairs])
        return list(cached[0]), list(cached[1])

    # -- kinds ------------------------------------------------------------------------------
    def _activation(self, day: date, index: int) -> dict[str, Any]:
        count = self.ctx.activation_count
        morning = self._rotate("activation", count, 2 * index)
        evening = self._rotate("activation", count, 2 * index + 1)
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
        notes, note_reasons = self._notes("activation")
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
        if phase == "activation" or day.weekday() not in self.ctx.strength_weekdays:
            return False
        upcoming = [g.day for g in self.ctx.goals if g.day >= day]
        return not upcoming or (min(upcoming) - day).days > STRENGTH_TAPER_STOP_DAYS

    def _strength(self, day: date, phase: str, index: int) -> dict[str, Any]:
        main = self._rotate("strength", MAX_STRENGTH_EXERCISES, index // 7)
        warm = self._rotate("activation", WARM_UP_EXERCISES, index)
        entries = _entries(warm, "warm_up", self.ctx.catalog) + _entries(
            main, "main", self.ctx.catalog
        )
        names = ", ".join(c.exercise.name.lower() for c in main[:2]) or "hip strength"
        session = self._base(
            self._key("strength", day), day, "strength", phase, f"Strength · {names}"
        )
        notes, note_reasons = self._notes("strength")
        if phase == "running_form":
            notes = [
                "Maintenance: keep the loads, drop a set if legs are heavy before a run.",
                *notes,
            ]
        session.update(
            exercises=entries,
            duration_minutes=_minutes(entries, rest_seconds=60),
            notes=notes,
            why=_why(
                [PHASE_REASONS["strength"], *[r for c in main for r in c.reasons], *note_reasons]
            ),
        )
        return session

    def _run(
        self, day: date, phase: str, run: RunSpec, order: int, of: int, index: int
    ) -> dict[str, Any]:
        units = self.ctx.units
        week = self.week_of[monday_of(day)]
        if run.role == "walk_run":
            repeats, run_min, walk_min = run.intervals[0]
            if walk_min:
                title = f"Walk-run · {repeats} × ({run_min:g} min run / {walk_min:g} min walk)"
            else:
                title = f"Run · {run_min:g} min continuous"
        elif run.role == "double":
            title = f"Double run {order + 1} of {of} · {_fmt(run.distance, units)}"
        else:
            label = "Long run" if run.role == "long" else "Easy run"
            title = f"{label} · {_fmt(run.distance, units)}"
        kind_key = "long_run" if run.role == "long" else "run"
        session = self._base(self._key(kind_key, day), day, "run", phase, title)
        notes, note_reasons = self._notes("run")
        if run.role == "double":
            notes = [
                "Run twice today, 8-12 hours apart, to rehearse running again on tired legs.",
                *notes,
            ]
        if run.run_walk:
            notes = ["Run 4 minutes, walk 1 minute, throughout.", *notes]
        drills: list[ExerciseOut] = []
        if phase in ("running_form", "taper") and order == 0:
            chosen = self._rotate("running_form", DRILLS_PER_RUN, index)
            drills = _entries(chosen, "warm_up", self.ctx.catalog)
            note_reasons = [*note_reasons, *[r for c in chosen for r in c.reasons]]
            notes = ["Jog 5-10 minutes easy, then the drills, then the run.", *notes]
        warm: list[ExerciseOut] = []
        if phase == "strength" and order == 0:
            warm = _entries(
                self._rotate("activation", WARM_UP_EXERCISES, index),
                "warm_up",
                self.ctx.catalog,
            )
        session.update(
            distance=run.distance,
            duration_minutes=max(10, round(run.distance / self.ctx.units_per_minute)),
            intervals=[
                {"repeats": r, "run_minutes": rm, "walk_minutes": wm} for r, rm, wm in run.intervals
            ],
            exercises=warm,
            drills=drills,
            notes=notes,
            why=_why(
                [*week.reasons, *note_reasons] + ([PHASE_REASONS["running_form"]] if drills else [])
            ),
        )
        return session

    def _race(self, day: date, phase: str, goal: GoalPlan) -> dict[str, Any]:
        title = f"Race · {goal.goal.name} · {_fmt(goal.race_distance, self.ctx.units)}"
        session = self._base(f"race:{goal.index}:{goal.goal.name}", day, "race", phase, title)
        notes, note_reasons = self._notes("race")
        if goal.legs > 1:
            notes = [
                f"{goal.legs} legs of about {_fmt(round(goal.leg_distance, 1), self.ctx.units)}"
                " each; eat and rehydrate between legs.",
                *notes,
            ]
        session.update(
            distance=goal.race_distance,
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

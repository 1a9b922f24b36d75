"""What the studio's pages show, worked out from a plan, a problem list or a preview: plain
data the templates lay out (no HTML here; the templates escape everything)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from app.contract.entries import ExerciseOut
from app.plan.models import Plan, SessionOut

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PHASE_LABELS = {
    "activation": "Activation",
    "strength": "Strength",
    "running_form": "Running form",
    "taper": "Taper",
}
SIDE_LABELS = {"left": "left", "right": "right", "both": "each side"}


@dataclass
class SessionView:
    title: str
    kind: str
    phase: str
    details: list[str]
    exercises: list[str]
    reasons: list[str]


@dataclass
class DayView:
    day: date
    name: str
    today: bool
    sessions: list[SessionView] = field(default_factory=list)


@dataclass
class WeekView:
    start: date
    phase: str
    phase_label: str
    summary: str
    current: bool
    days: list[DayView]


def dose(entry: ExerciseOut, plan: Plan) -> str:
    """`Side-lying leg raise: 3 × 12 × left` (sets × reps or seconds × side)."""
    info = plan.exercises.get(entry.id)
    name = info.name if info else entry.id.replace("_", " ")
    amount = (
        f"{entry.reps}"
        if entry.reps is not None
        else f"{entry.seconds} s"
        if entry.seconds is not None
        else f"{entry.distance_m} m"
        if entry.distance_m is not None
        else ""
    )
    parts = [str(entry.sets), amount] if amount else [f"{entry.sets} sets"]
    if entry.side:
        parts.append(SIDE_LABELS.get(entry.side, entry.side))
    text = f"{name}: {' × '.join(parts)}"
    extra = [x for x in (entry.load, f"tempo {entry.tempo}" if entry.tempo else None) if x]
    if entry.block in ("morning", "evening"):
        extra.append(entry.block)
    return text + (f" ({', '.join(extra)})" if extra else "")


def session_view(session: SessionOut, plan: Plan) -> SessionView:
    units = plan.units
    details = []
    if session.distance is not None:
        details.append(f"{session.distance:g} {units}")
    if session.duration_minutes is not None:
        details.append(f"{session.duration_minutes} min")
    if session.run_type:
        details.append(session.run_type.replace("_", " "))
    if session.workout is not None:
        details.append(session.workout.detail)
    for interval in session.intervals:
        details.append(
            f"{interval.repeats} × ({interval.run_minutes:g} min run, "
            f"{interval.walk_minutes:g} min walk)"
        )
    return SessionView(
        title=session.title,
        kind=session.kind,
        phase=session.phase,
        details=details,
        exercises=[dose(e, plan) for e in [*session.drills, *session.exercises]],
        reasons=[plan.reasons.get(rule, rule) for rule in session.why],
    )


def plan_weeks(plan: Plan, today: date) -> list[WeekView]:
    """The plan as weeks × days, each day with its sessions."""
    by_day: dict[date, list[SessionOut]] = {}
    for session in plan.sessions:
        by_day.setdefault(session.date, []).append(session)
    weeks = []
    for week in plan.weeks:
        days = []
        for offset in range(7):
            day = week.start + timedelta(days=offset)
            days.append(
                DayView(
                    day=day,
                    name=DAY_NAMES[day.weekday()],
                    today=day == today,
                    sessions=[session_view(s, plan) for s in by_day.get(day, [])],
                )
            )
        summary = f"{week.planned_distance:g} of {week.cap:g} {plan.units}"
        if week.long_run:
            summary += f"; long run {week.long_run:g}"
        if week.race_distance:
            summary += f"; race {week.race_distance:g}"
        if week.deload:
            summary += "; deload"
        weeks.append(
            WeekView(
                start=week.start,
                phase=week.phase,
                phase_label=PHASE_LABELS.get(week.phase, week.phase),
                summary=summary,
                current=week.start <= today < week.start + timedelta(days=7),
                days=days,
            )
        )
    return weeks


def dose_text(entry: dict[str, Any], names: Mapping[str, str] | None = None) -> str:
    """A dose from a preview's exercise diff: `Glute bridge 3 × 12 × left (main)` (the
    exercise's name from `names`, else its id)."""
    amount = entry.get("reps") or (f"{entry['seconds']} s" if entry.get("seconds") else "")
    exercise = str(entry.get("id", ""))
    text = f"{(names or {}).get(exercise, exercise)} {entry.get('sets', '')}"
    if amount:
        text += f" × {amount}"
    if entry.get("side"):
        text += f" × {SIDE_LABELS.get(entry['side'], entry['side'])}"
    extras = [str(entry[k]) for k in ("load", "tempo", "block") if entry.get(k)]
    return text + (f" ({', '.join(extras)})" if extras else "")

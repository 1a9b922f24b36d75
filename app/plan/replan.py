"""Re-planning after a check-in: the past stays exactly as it was, the rest is new."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from app.contract.entries import ExerciseOut
from app.plan.models import Plan, SessionOut
from app.scheduler.calendar import monday_of


def merge(previous: Plan, fresh: Plan, cutoff: date) -> Plan:
    """Sessions on or before `cutoff` and the weeks they belong to come from `previous`;
    everything after comes from `fresh` (which changes loads only from the next week)."""
    this_week = monday_of(cutoff)
    next_week = this_week + timedelta(days=7)
    document: dict[str, Any] = fresh.model_dump()
    sessions = [s for s in previous.sessions if s.date <= cutoff] + [
        s for s in fresh.sessions if s.date > cutoff
    ]
    document["sessions"] = sessions
    weeks = [w for w in previous.weeks if w.start < this_week]
    current = next((w for w in previous.weeks if w.start == this_week), None)
    if current is not None:  # the week of the cutoff: its own past, the new rest
        runs = [
            s.distance or 0.0
            for s in sessions
            if s.kind == "run" and this_week <= s.date < next_week
        ]
        weeks.append(
            current.model_copy(
                update={
                    "planned_distance": round(sum(runs), 1),
                    "long_run": max(runs, default=0.0),
                }
            )
        )
    document["weeks"] = [*weeks, *(w for w in fresh.weeks if w.start >= next_week)]
    # the kept past refers to its own reasons and exercises: the maps hold both plans' entries
    # that the merged parts use (the fresh text where a rule's reason changed)
    used_rules = {
        *(r for part in (*sessions, *document["weeks"]) for r in part.why),
        *(d.rule for d in fresh.decisions),
        *(r for r in (fresh.referral.why if fresh.referral else [])),
        *(c.why for p in fresh.phases if p.gate for c in p.gate.criteria if c.why),
    }
    reasons = {**previous.reasons, **fresh.reasons}
    document["reasons"] = {rule: reasons[rule] for rule in sorted(used_rules) if rule in reasons}
    used_exercises = dict.fromkeys(e.id for s in sessions for e in [*s.exercises, *s.drills])
    exercises = {**previous.exercises, **fresh.exercises}
    document["exercises"] = {i: exercises[i] for i in used_exercises if i in exercises}
    return Plan.model_validate(document)


def _summary(session: SessionOut) -> dict[str, Any]:
    return {
        "id": session.id,
        "date": session.date.isoformat(),
        "kind": session.kind,
        "title": session.title,
        "distance": session.distance,
    }


WORDING = frozenset({"title", "notes", "why"})  # fields whose change alters no training
DOSE = ("sets", "reps", "seconds", "distance_m", "load", "tempo")


def changes(previous: Plan, current: Plan) -> dict[str, Any]:
    """What a re-plan changed: sessions added, removed, and changed (before and after, the
    fields that differ, and for exercises and drills which were added, removed or changed)."""
    before = {s.id: s for s in previous.sessions}
    after = {s.id: s for s in current.sessions}
    changed = [
        _changed(before[i], after[i], previous, current)
        for i in after
        if i in before and before[i] != after[i]
    ]
    return {
        "added": [_summary(after[i]) for i in after if i not in before],
        "removed": [_summary(before[i]) for i in before if i not in after],
        "changed": changed,
        "unchanged": sum(1 for i in after if i in before and before[i] == after[i]),
    }


def _changed(old: SessionOut, new: SessionOut, previous: Plan, current: Plan) -> dict[str, Any]:
    first, second = old.model_dump(exclude={"id"}), new.model_dump(exclude={"id"})
    fields = [key for key in first if first[key] != second[key]]
    if old.why != new.why and {previous.reasons.get(r) for r in old.why} != {
        current.reasons.get(r) for r in new.why
    }:
        fields = sorted({*fields, "why"})
    return {
        "before": _summary(old),
        "after": _summary(new),
        "fields": fields,
        "wording_only": bool(fields) and set(fields) <= WORDING,
        "exercises": _entries_changed([*old.exercises, *old.drills], [*new.exercises, *new.drills]),
    }


def _key(entry: ExerciseOut) -> tuple[str, str, str]:
    return entry.id, entry.side or "", entry.block or ""


def _dose(entry: ExerciseOut) -> dict[str, Any]:
    shown = {"id": entry.id, "side": entry.side, "block": entry.block}
    shown.update({name: getattr(entry, name) for name in DOSE})
    return {key: value for key, value in shown.items() if value is not None}


def _entries_changed(old: list[ExerciseOut], new: list[ExerciseOut]) -> dict[str, Any]:
    """Exercises (with drills) added, removed or changed in dose, by exercise, side and block."""
    before = {_key(e): e for e in old}
    after = {_key(e): e for e in new}
    return {
        "added": [_dose(after[k]) for k in after if k not in before],
        "removed": [_dose(before[k]) for k in before if k not in after],
        "changed": [
            {"before": _dose(before[k]), "after": _dose(after[k])}
            for k in after
            if k in before and _dose(before[k]) != _dose(after[k])
        ],
    }

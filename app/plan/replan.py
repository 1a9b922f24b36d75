"""Re-planning after a check-in: the past stays exactly as it was, the rest is new."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

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


def changes(previous: Plan, current: Plan) -> dict[str, Any]:
    """What a re-plan changed: sessions added, removed, and changed (before and after)."""
    before = {s.id: s for s in previous.sessions}
    after = {s.id: s for s in current.sessions}
    changed = [
        {"before": _summary(before[i]), "after": _summary(after[i])}
        for i in after
        if i in before and before[i] != after[i]
    ]
    return {
        "added": [_summary(after[i]) for i in after if i not in before],
        "removed": [_summary(before[i]) for i in before if i not in after],
        "changed": changed,
        "unchanged": sum(1 for i in after if i in before and before[i] == after[i]),
    }

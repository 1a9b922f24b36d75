"""Scheduling settings resolved from the rules' decisions (with defaults)."""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.decisions import Decisions
from app.engine.verbs import Parameter

MIN_ACTIVATION_DAYS = 28
MIN_STRENGTH_DAYS = 14
MIN_FORM_DAYS = 7
NO_GOAL_HORIZON_WEEKS = 16
EASY_PACE_MIN_PER_KM = 7.0  # a conservative easy pace for converting walk-run minutes


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    activation_days: int
    strength_min_days: int
    strength_per_week: int
    progression_limit: float  # fraction, e.g. 0.10
    deload_every: int
    deload_cut: float  # fraction
    long_run_share: float  # fraction
    walk_run: bool
    activation_exercises: int
    min_runs_per_week: int

    @classmethod
    def from_decisions(cls, decisions: Decisions) -> ScheduleSettings:
        p = decisions.parameter
        return cls(
            activation_days=max(MIN_ACTIVATION_DAYS, int(p(Parameter.activation_days))),
            strength_min_days=max(MIN_STRENGTH_DAYS, int(p(Parameter.strength_min_days))),
            strength_per_week=int(p(Parameter.strength_sessions_per_week)),
            progression_limit=p(Parameter.progression_limit_pct) / 100,
            deload_every=int(p(Parameter.deload_every_weeks)),
            deload_cut=p(Parameter.deload_cut_pct) / 100,
            long_run_share=p(Parameter.long_run_share_pct) / 100,
            walk_run=p(Parameter.walk_run) >= 1,
            activation_exercises=int(p(Parameter.activation_exercises)),
            min_runs_per_week=int(p(Parameter.min_runs_per_week)),
        )

"""Scheduling settings resolved from the rules' decisions (with defaults and bounds)."""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.decisions import Decisions
from app.engine.verbs import Parameter

MIN_ACTIVATION_DAYS = 28
MIN_STRENGTH_DAYS = 14
MIN_FORM_DAYS = 7
MAX_RUNS_PER_WEEK = 6  # at least one rest day a week (docs/plan-shape.md §2)


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    activation_days: int
    strength_min_days: int
    strength_per_week: int
    progression_limit: float  # fraction, e.g. 0.10
    deload_every: int
    deload_cut: float  # fraction
    long_run_share: float  # fraction, for weeks of 4+ runs
    walk_run: bool
    activation_exercises: int
    min_runs_per_week: int
    peak_block_weeks: int
    base_fraction: float
    b_race_taper_days: int
    strides_per_week: int
    quality_per_week: int
    easy_pace_slower: float  # fraction
    rest_days_first: int = 0  # no running in the plan's first days

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
            peak_block_weeks=int(p(Parameter.peak_block_weeks)),
            base_fraction=p(Parameter.base_percent_of_peak) / 100,
            b_race_taper_days=int(p(Parameter.b_race_taper_days)),
            strides_per_week=int(p(Parameter.strides_per_week)),
            quality_per_week=int(p(Parameter.quality_sessions_per_week)),
            easy_pace_slower=p(Parameter.easy_pace_slower_pct) / 100,
            rest_days_first=int(p(Parameter.rest_days_first)),
        )

"""Rule windows as dates: the days of a plan a windowed rule's prescriptions and notes hold in.

A window (`window:` on a rule) names part of the plan in the coach's terms: the last weeks
before each A race or its taper, from one phase, until another. Here it becomes date ranges
of this plan, once its phases and season are laid out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from app.engine.decisions import Windows
from app.engine.verbs import Window
from app.scheduler.phases import PhasePlan
from app.scheduler.season import Season

Span = tuple[date, date]  # first and last day, inclusive


def _phase_start(phase_plan: PhasePlan, name: str) -> date | None:
    return next((span.start for span in phase_plan.spans if span.name == name), None)


def window_spans(window: Window, phase_plan: PhasePlan, season: Season) -> tuple[Span, ...]:
    """The date ranges of this plan inside `window` (none when the plan has no such part: a
    window before the taper in a plan without an A race holds nowhere)."""
    low = phase_plan.spans[0].start
    high = max(season.end, phase_plan.end)
    if window.from_phase is not None:
        start = _phase_start(phase_plan, window.from_phase)
        if start is None:
            return ()
        low = max(low, start)
    if window.until_phase is not None:
        start = _phase_start(phase_plan, window.until_phase)
        if start is not None:
            high = min(high, start - timedelta(days=1))
    if window.weeks_before is None:
        return ((low, high),) if low <= high else ()
    assert window.weeks is not None  # validated: they go together
    spans: list[Span] = []
    for event in season.a_events():
        anchor = (
            event.first if window.weeks_before == "goal" else season.taper_start.get(event.index)
        )
        if anchor is None:
            continue
        first = max(low, anchor - timedelta(weeks=window.weeks))
        last = min(high, anchor - timedelta(days=1))
        if first <= last:
            spans.append((first, last))
    return tuple(spans)


@dataclass
class PlanWindows:
    """Whether a prescription's or note's windows hold on a day of this plan."""

    phase_plan: PhasePlan
    season: Season
    _spans: dict[Window, tuple[Span, ...]] = field(default_factory=dict)

    def spans(self, window: Window) -> tuple[Span, ...]:
        found = self._spans.get(window)
        if found is None:
            found = self._spans[window] = window_spans(window, self.phase_plan, self.season)
        return found

    def covers(self, windows: Windows, day: date) -> bool:
        """True when `windows` is None (the whole plan) or one of them holds on `day`."""
        if windows is None:
            return True
        return any(first <= day <= last for window in windows for first, last in self.spans(window))

"""Phase boundaries: activation → strength → running form → taper, with time minimums."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from app.scheduler.settings import MIN_FORM_DAYS, MIN_STRENGTH_DAYS, ScheduleSettings


@dataclass(frozen=True, slots=True)
class PhaseSpan:
    name: str
    start: date
    end: date
    goal: int | None = None  # the goal a taper leads into

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class TaperSpan:
    """An A race's taper: from its first day to race day (the season decides both)."""

    index: int  # the goal the taper leads into
    start: date
    day: date


@dataclass(frozen=True)
class PhasePlan:
    spans: list[PhaseSpan]
    end: date
    compressed: bool  # the strength phase had to be shortened to fit before the first race

    def phase_on(self, day: date) -> PhaseSpan:
        """The phase a day falls in (the last one for days past the end)."""
        index = bisect_right(self._starts, day) - 1
        return self.spans[max(index, 0)]

    @cached_property
    def _starts(self) -> list[date]:
        return [span.start for span in self.spans]


def plan_phases(
    start: date,
    end: date,
    tapers: list[TaperSpan],
    settings: ScheduleSettings,
    delays: dict[str, int] | None = None,
) -> PhasePlan:
    """Lay out the rehab phases from `start` to `end`. `delays` postpones a phase's start (a
    gate not yet met) by lengthening the phase before it. A taper is its own phase once the
    running-form phase has begun; a taper before that keeps its phase's exercises."""
    delays = delays or {}
    activation_end = start + timedelta(
        days=settings.activation_days - 1 + delays.get("strength", 0)
    )
    strength_days = settings.strength_min_days + delays.get("running_form", 0)
    compressed = False
    later = [t for t in tapers if t.start > activation_end]
    if later:
        room = (min(t.start for t in later) - activation_end).days - MIN_FORM_DAYS
        if room < strength_days:
            compressed = True
            strength_days = max(MIN_STRENGTH_DAYS, room)
    strength_end = activation_end + timedelta(days=strength_days)
    form_start = strength_end + timedelta(days=1)
    end = max(end, form_start + timedelta(days=MIN_FORM_DAYS - 1))
    spans = [
        PhaseSpan("activation", start, activation_end),
        PhaseSpan("strength", activation_end + timedelta(days=1), strength_end),
    ]
    cursor = form_start
    for taper in sorted(tapers, key=lambda t: t.day):
        taper_start = max(taper.start, cursor + timedelta(days=MIN_FORM_DAYS))
        if taper_start > taper.day:
            continue
        spans.append(PhaseSpan("running_form", cursor, taper_start - timedelta(days=1)))
        spans.append(PhaseSpan("taper", taper_start, taper.day, goal=taper.index))
        cursor = taper.day + timedelta(days=1)
    if cursor <= end:
        spans.append(PhaseSpan("running_form", cursor, end))
    return PhasePlan(spans, end, compressed)

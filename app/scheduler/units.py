"""Distances and durations: the scheduler computes in km and converts only at the edges.

Every planned distance lies on the athlete's display grid (0.1 km or 0.1 mi, rounded down), so
the figures a runner sees are exactly those every limit was checked on (docs/plan-shape.md §10).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from app.intake.vocabulary import KM_PER_MILE, Units

WALK_PACE_MIN_PER_KM = 11.0  # brisk walking
# An easy pace estimated from the weekly volume when the runner gives none (docs/plan-shape.md §10:
# about 6-8 min/km; runners who run more tend to run faster).
_PACE_BY_VOLUME = ((20.0, 7.0), (40.0, 6.5), (70.0, 6.0))
_FAST_VOLUME_PACE = 5.5
RUN_MINUTES, WALK_MINUTES = 4, 1  # walk breaks: run 4 minutes, walk 1, throughout
QUALITY_PACE_FACTOR = 0.93  # a session with faster parts averages a little quicker
MIN_PACE, MAX_PACE = 4.5, 15.0  # min/km: every run's duration implies a pace in this range


def estimated_easy_pace(weekly_km: float) -> float:
    """Minutes per km for a runner who gave no pace."""
    for below, pace in _PACE_BY_VOLUME:
        if weekly_km < below:
            return pace
    return _FAST_VOLUME_PACE


@dataclass(frozen=True, slots=True)
class Measure:
    """The athlete's units and easy pace."""

    units: Units
    easy_pace: float  # minutes per km
    km_per_unit: float = field(init=False, compare=False)  # asked for on every distance

    def __post_init__(self) -> None:
        object.__setattr__(self, "km_per_unit", KM_PER_MILE if self.units == Units.mi else 1.0)

    def grid(self, km: float) -> float:
        """`km` rounded down to the nearest 0.1 of the athlete's unit (still in km)."""
        if km <= 0:
            return 0.0
        unit = self.km_per_unit
        return math.floor(km / unit * 10 + 1e-6) / 10 * unit

    def grid_up(self, km: float) -> float:
        """`km` rounded up to the nearest 0.1 of the athlete's unit (still in km)."""
        if km <= 0:
            return 0.0
        unit = self.km_per_unit
        return math.ceil(km / unit * 10 - 1e-6) / 10 * unit

    def out(self, km: float) -> float:
        """A distance in the athlete's units, as shown (one decimal)."""
        return round(km / self.km_per_unit, 1)

    @property
    def _walk_break_pace(self) -> float:
        """Minutes per km, running 4 minutes and walking 1 throughout."""
        covered = RUN_MINUTES / self.easy_pace + WALK_MINUTES / WALK_PACE_MIN_PER_KM
        return (RUN_MINUTES + WALK_MINUTES) / covered

    def minutes(self, km: float, *, walk_breaks: bool = False, quality: bool = False) -> int:
        """How long a continuous run of `km` takes at the runner's easy pace."""
        pace = self.easy_pace
        if walk_breaks:
            pace = self._walk_break_pace
        elif quality:
            pace = max(MIN_PACE, pace * QUALITY_PACE_FACTOR)
        # Whole minutes, kept inside the pace range the plan review allows.
        minutes = round(km * pace)
        return max(1, min(max(minutes, math.ceil(km * MIN_PACE)), math.floor(km * MAX_PACE)))

    def km_in(self, minutes: float, *, walk_breaks: bool = False) -> float:
        """The distance covered in `minutes` at easy pace (on the grid)."""
        pace = self._walk_break_pace if walk_breaks else self.easy_pace
        return self.grid(minutes / pace)

    def walk_run_km(self, repeats: int, run_minutes: float, walk_minutes: float) -> float:
        """The distance of a walk-run session: its running and its walking."""
        return self.grid(
            repeats * (run_minutes / self.easy_pace + walk_minutes / WALK_PACE_MIN_PER_KM)
        )


# "18 km", "16-18 km", "16–18 km" (not "5 km race", a race's name; not "_km", a field name)
_KM_IN_TEXT = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)(?:\s?([-–])\s?(\d+(?:\.\d+)?))?\s?km\b(?!\s+race)"
)


def _miles(*kms: str) -> list[str]:
    """Distances in km as miles, to whole miles from 10 up and to a tenth below (a range
    shares one precision)."""
    miles = [float(km) / KM_PER_MILE for km in kms]
    digits = 0 if max(miles) >= 10 else 1
    return [f"{m:.{digits}f}".removesuffix(".0") for m in miles]


def text_in_units(text: str, units: Units) -> str:
    """Runner-facing text (a rule's reason, a note) with its distances in the athlete's units:
    for a runner in miles, "16-18 km" reads "10-11 mi". Text that already speaks of miles
    (a rule written with both units) is left as written."""
    if units != "mi" or "km" not in text or "mile" in text or re.search(r"\bmi\b", text):
        return text

    def convert(match: re.Match[str]) -> str:
        low, dash, high = match.groups()
        if high is None:
            return f"{_miles(low)[0]} mi"
        first, second = _miles(low, high)
        return f"{first}{dash}{second} mi"

    return _KM_IN_TEXT.sub(convert, text)

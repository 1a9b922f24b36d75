"""Dates and weekdays: weeks, run days and strength days (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta

DAY = timedelta(days=1)
_BACK = tuple(timedelta(days=k) for k in range(7))  # weekday → days back to its Monday


def monday_of(day: date) -> date:
    """The Monday of the week `day` falls in."""
    return day - _BACK[day.weekday()]


def days(start: date, end: date) -> Iterator[date]:
    """Every date from `start` to `end`, both included."""
    current = start
    while current <= end:
        yield current
        current += DAY


def circular_gap(a: int, b: int) -> int:
    """Days between two weekdays (0 = Monday), either way round the week."""
    gap = abs(a - b) % 7
    return min(gap, 7 - gap)


def spread(candidates: Iterable[int], count: int, fixed: Iterable[int] = ()) -> list[int]:
    """Pick `count` weekdays (including `fixed`) spread as evenly as possible round the week.

    Greedy and deterministic: each pick maximises its smallest gap to those already chosen,
    ties going to the earlier weekday.
    """
    chosen = sorted(set(fixed))
    pool = sorted(set(candidates) - set(chosen))
    while len(chosen) < count and pool:
        best = max(pool, key=lambda d: (min((circular_gap(d, c) for c in chosen), default=7), -d))
        chosen.append(best)
        pool.remove(best)
    return sorted(chosen)


def choose_run_days(run_days: list[int], long_run_day: int, count: int) -> list[int]:
    """`count` of the athlete's run days, always including the long-run day."""
    return spread(run_days, min(count, len(run_days)), fixed=[long_run_day])


def strength_day_candidates(long_run_day: int) -> set[int]:
    """Weekdays strength may use: not the long-run day and not the day before it (48 h)."""
    return {d for d in range(7) if d not in (long_run_day, (long_run_day - 1) % 7)}


def choose_strength_days(
    preferred: list[int] | None, long_run_day: int, count: int, rest_day: int | None = None
) -> tuple[list[int], list[int]]:
    """Strength weekdays: never consecutive (round the week), never within 48 h before the long
    run, never on the week's rest day. Returns (days, preferred days that had to be dropped)."""
    allowed = strength_day_candidates(long_run_day) - {rest_day}
    dropped = sorted(set(preferred or []) - allowed)
    pool = sorted(allowed & set(preferred)) if preferred else sorted(allowed)
    chosen: list[int] = []
    for day in _non_adjacent(pool, count):
        chosen.append(day)
    if len(chosen) < min(2, count) and preferred:
        # The preferred days cannot hold two sessions safely: fall back to any allowed days.
        extra = [d for d in _non_adjacent(sorted(allowed), count, chosen) if d not in chosen]
        chosen = sorted(chosen + extra[: max(0, min(2, count) - len(chosen))])
    return sorted(chosen), dropped


def _non_adjacent(pool: list[int], count: int, fixed: list[int] | None = None) -> list[int]:
    chosen = list(fixed or [])
    candidates = [d for d in pool if d not in chosen]
    while len(chosen) < count:
        usable = [d for d in candidates if all(circular_gap(d, c) >= 2 for c in chosen)]
        if not usable:
            break
        best = max(usable, key=lambda d: (min((circular_gap(d, c) for c in chosen), default=7), -d))
        chosen.append(best)
        candidates.remove(best)
    return sorted(chosen)

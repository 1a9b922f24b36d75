"""The season as blocks a runner can read: base → build → peak → taper → race → recovery."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from app.scheduler.calendar import days, monday_of
from app.scheduler.demand import Demand
from app.scheduler.season import Season


def _day_block(
    season: Season, demand: Demand, day: date, shortened: Collection[int]
) -> tuple[str, str | None]:
    role = season.role(day)
    if role.race is not None:
        return "race", role.race.names
    if role.taper is not None:
        return "taper", role.taper.names
    if role.recovery is not None and role.recovery.index not in shortened:
        return "recovery", role.recovery.names
    if role.b_taper is not None:
        return "taper", role.b_taper.names  # a B race's mini-taper: no long run
    week = monday_of(day)
    ahead = demand.ahead(week)
    return demand.kind(week), ahead[0].event.names if ahead else None


def season_blocks(
    season: Season, demand: Demand, shortened: Collection[int] = ()
) -> list[dict[str, Any]]:
    """Consecutive days of the same kind (and race) as one block each. A race run as a shorter
    training run (`shortened`) has no recovery after it."""
    blocks: list[dict[str, Any]] = []
    for day in days(season.start, season.end):
        kind, goal = _day_block(season, demand, day, shortened)
        last = blocks[-1] if blocks else None
        if last is not None and last["kind"] == kind and last["goal"] == goal:
            last["end"] = day
        else:
            blocks.append({"kind": kind, "start": day, "end": day, "goal": goal})
    return blocks

"""Whether each race can be reached within the hard limits, with the numbers and the reasons."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from app.intake.vocabulary import GoalType, Priority, TeamFormat
from app.scheduler.demand import SINGLE_RUN_LIMIT, Demand
from app.scheduler.goals import GoalPlan, RaceClass, weeks_short
from app.scheduler.load import WeekPlan
from app.scheduler.season import Event, Season
from app.scheduler.units import Measure

PEAK_MARGIN = 0.95
LONG_MARGIN = 0.9
FULL_KINDS = ("base", "build", "peak")


def _block_start(season: Season, event: Event) -> date:
    previous = season.previous(event)
    return previous.last + timedelta(days=1) if previous is not None else season.start


def feasibility(
    season: Season,
    demand: Demand,
    weeks: list[WeekPlan],
    shortened: dict[int, float],
    measure: Measure,
    runs_per_week: int,
    compressed: bool,
    progression_limit: float,
    fallback: Demand | None = None,
) -> list[dict[str, Any]]:
    """One entry per A or B race: what it needs, what the plan reaches, and why it is at risk.
    `fallback`: the demand of a first planning that still raced the races found too far to
    race (their needs, for the numbers)."""
    result = []
    for event in season.events:
        for goal in event.goals:
            if goal.priority == Priority.C and event.index not in season.demoted:
                continue
            result.append(
                _entry(
                    season,
                    demand,
                    weeks,
                    shortened,
                    measure,
                    event,
                    goal,
                    runs_per_week,
                    compressed,
                    progression_limit,
                    fallback,
                )
            )
    return result


def _entry(
    season: Season,
    demand: Demand,
    weeks: list[WeekPlan],
    shortened: dict[int, float],
    measure: Measure,
    event: Event,
    goal: GoalPlan,
    runs_per_week: int,
    compressed: bool,
    progression_limit: float,
    fallback: Demand | None,
) -> dict[str, Any]:
    start = _block_start(season, event)
    end = season.taper_start.get(event.index, event.first)
    in_block = [w for w in weeks if w.start >= start - timedelta(days=6) and w.start < end]
    if not any(w.kind in FULL_KINDS for w in in_block):
        start = season.start  # no build of its own: what the plan reached before it
        in_block = [w for w in weeks if w.start < end]
    reachable_peak = max((w.planned_km for w in in_block if w.kind in FULL_KINDS), default=0.0)
    reachable_long = max(
        (r.km for w in in_block for r in w.runs if start <= r.day < end), default=0.0
    )
    need = demand.need_of(event) or (fallback.need_of(event) if fallback is not None else None)
    needed_peak = need.volume_peak if need is not None else 0.0
    needed_long = need.long_peak if need is not None else 0.0
    if goal.priority == Priority.B:
        needed_long = goal.leg_km / SINGLE_RUN_LIMIT
    reasons: list[str] = []
    if event.index in season.demoted:
        reasons.append(f"not raced: {season.demoted[event.index]}")
    if event.index in shortened:
        reasons.append(
            "run as a training run: the plan's long runs do not reach its distance safely by then"
        )
    if needed_peak and reachable_peak < needed_peak * PEAK_MARGIN:
        reasons.append(
            f"weekly distance reaches {measure.out(reachable_peak):g} of the "
            f"{measure.out(needed_peak):g} {measure.units.value} it needs"
        )
    if needed_long and reachable_long < needed_long * LONG_MARGIN:
        reasons.append(
            f"the long run reaches {measure.out(reachable_long):g} of the "
            f"{measure.out(needed_long):g} {measure.units.value} it needs"
        )
    if goal.klass != RaceClass.short and runs_per_week < 3:
        reasons.append("a half marathon or longer needs at least 3 runs a week")
    previous = season.previous(event)
    if previous is not None and goal.priority == Priority.A:
        gap = (event.first - previous.last).days
        room = previous.profile.recovery_span + goal.profile.taper_days[0] + 14
        if gap < room:
            reasons.append(
                f"only {gap} days after {previous.names}: recovery, a rebuild and a taper need "
                f"about {room}"
            )
    if compressed and season.raced and event is season.raced[0]:
        reasons.append("it comes before the full strength phase fits")
    at_risk = bool(reasons)
    short = max(
        weeks_short(reachable_peak, needed_peak, progression_limit),
        weeks_short(reachable_long, needed_long, progression_limit),
    )
    return {
        "goal": goal.goal.name,
        "date": goal.day,
        "priority": goal.priority.value,
        "needed_peak": measure.out(needed_peak),
        "reachable_peak": measure.out(reachable_peak),
        "needed_long_run": measure.out(needed_long),
        "reachable_long_run": measure.out(reachable_long),
        "weeks_short": short if at_risk else 0,
        "at_risk": at_risk,
        "alternatives": _alternatives(goal, short, measure) if at_risk else [],
        "reasons": reasons,
    }


def _alternatives(goal: GoalPlan, short: int, measure: Measure) -> list[dict[str, str]]:
    units = measure.units.value
    result = []
    if goal.goal.type == GoalType.relay and goal.goal.team_format == TeamFormat.ultra:
        per_runner = measure.out(goal.race_km / 2)
        result.append(
            {
                "code": "regular_team",
                "message": f"Run on a regular team instead: about {per_runner:g} {units} over "
                "3 legs with 4-6 hours between them.",
            }
        )
    if short:
        result.append(
            {
                "code": "later_race",
                "message": f"Choose a race at least {short} weeks later so the build can stay "
                "within the safe limits.",
            }
        )
    if goal.goal.type == GoalType.marathon:
        result.append(
            {
                "code": "shorter_race",
                "message": "Run the half marathon that many marathons offer on the same day.",
            }
        )
    result.append(
        {
            "code": "run_walk",
            "message": "Run-walk the race (for example 4 minutes running, 1 minute walking) to "
            "finish within what your training reaches.",
        }
    )
    return result


RACE_STRETCH_MAX = 2.0  # an A race (or relay leg) at most twice the longest run before it
RACE_STRETCH_DAYS = 42  # ... of the six weeks before it


def too_far_to_race(
    season: Season,
    weeks: list[WeekPlan],
    measure: Measure,
    intake_longest_km: float,
    intake_week_km: float = 0.0,
) -> dict[int, str]:
    """A races the planned running leaves too far to race safely: the race (or its longest
    relay leg) more than twice the longest run of the six weeks before it. A races are exempt
    from the 110 % single-run limit (a marathon is 132 % of a 32 km long run), not from this:
    a marathon after 6 km long runs is advised against, run as an easy training run, and the
    plan's feasibility names what would make it possible. A relay (several legs in a day or
    two) is also too far when its legs add up to more than twice the biggest week of those
    six weeks."""
    runs = [(r.day, r.km) for w in weeks for r in w.runs if r.event is None]
    unsafe: dict[int, str] = {}
    for event in season.a_events():
        since = event.first - timedelta(days=RACE_STRETCH_DAYS)
        longest = max((km for day, km in runs if since <= day < event.first), default=0.0)
        biggest = max((w.planned_km for w in weeks if since <= w.start < event.first), default=0)
        if season.start - timedelta(days=1) >= since:  # the intake's running counts too
            longest = max(longest, intake_longest_km)
            biggest = max(biggest, intake_week_km)
        unit = measure.units.value
        if event.leg_km > RACE_STRETCH_MAX * longest:
            unsafe[event.index] = (
                f"{measure.out(event.leg_km):g} {unit} is more than twice the longest run the "
                "plan can safely build you to by then"
            )
        elif any(g.legs > 1 for g in event.goals) and event.race_km > RACE_STRETCH_MAX * biggest:
            unsafe[event.index] = (
                f"its legs add up to {measure.out(event.race_km):g} {unit}, more than twice the "
                "biggest week the plan can safely build you to by then"
            )
    return unsafe

"""Checks across intake fields, each naming the exact field it concerns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.errors import InvalidInput
from app.intake.models import Intake
from app.intake.vocabulary import KM_PER_MILE, GoalType, Units

MAX_HORIZON_DAYS = 52 * 7
# Easy paces a plan can be built on, in minutes per km (the plan review bounds every run's
# pace to 4.5-15 min/km, and slower runs for knee pain must stay inside that).
EASY_PACE_RANGE = (4.5, 12.0)

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One invalid field: where it is, what is wrong, and a stable type name."""

    loc: Loc
    msg: str
    type: str

    def as_dict(self, prefix: Loc = ()) -> dict[str, object]:
        return {"loc": [*prefix, *self.loc], "msg": self.msg, "type": self.type}


def next_monday(today: date) -> date:
    """The default start date: the next Monday after `today` (a week later if today is Monday)."""
    return today + timedelta(days=7 - today.weekday())


def cross_field_problems(intake: Intake, start: date) -> list[Problem]:
    """Every problem that involves more than one field."""
    problems: list[Problem] = []
    running, availability = intake.running, intake.availability
    if running.weekly_distance == 0 and running.longest_run > 0:
        problems.append(
            Problem(("running", "longest_run"), "must be 0 when weekly_distance is 0", "running")
        )
    if running.weekly_distance > 0 and running.longest_run == 0:
        problems.append(
            Problem(
                ("running", "longest_run"), "must be above 0 when weekly_distance is", "running"
            )
        )
    if running.weekly_distance > 0 and running.runs_per_week == 0:
        problems.append(
            Problem(("running", "runs_per_week"), "must be at least 1 when running now", "running")
        )
    if running.longest_run > running.weekly_distance * 1.5 and running.weekly_distance > 0:
        problems.append(
            Problem(
                ("running", "longest_run"),
                "is more than 1.5 times weekly_distance; give the longest run of the past 30 days",
                "running",
            )
        )
    if (
        running.runs_per_week > 0
        and running.longest_run < running.weekly_distance / running.runs_per_week - 0.05
    ):
        problems.append(
            Problem(
                ("running", "longest_run"),
                "is shorter than your average run (weekly_distance / runs_per_week); give the "
                "longest run of the past 30 days",
                "running",
            )
        )
    if running.runs_per_week > len(availability.run_days):
        problems.append(
            Problem(
                ("running", "runs_per_week"),
                f"is {running.runs_per_week} but only {len(availability.run_days)} run_days given",
                "availability",
            )
        )
    if running.easy_pace is not None:
        per_km = running.easy_pace / (KM_PER_MILE if intake.athlete.units == Units.mi else 1)
        if not EASY_PACE_RANGE[0] <= per_km <= EASY_PACE_RANGE[1]:
            problems.append(
                Problem(
                    ("running", "easy_pace"),
                    "must be between 4:30 and 12:00 per km (7:15 and 19:19 per mile)",
                    "pace",
                )
            )
    if availability.long_run_day not in availability.run_days:
        problems.append(
            Problem(("availability", "long_run_day"), "must be one of run_days", "availability")
        )
    seen: set[tuple[str, str | None]] = set()
    for index, symptom in enumerate(intake.symptoms):
        key = (symptom.condition, symptom.side.value if symptom.side else None)
        if key in seen:
            problems.append(
                Problem(
                    ("symptoms", index, "condition"),
                    "the same condition and side are listed twice",
                    "duplicate",
                )
            )
        seen.add(key)
    problems.extend(_goal_problems(intake, start))
    return problems


def _goal_problems(intake: Intake, start: date) -> list[Problem]:
    problems: list[Problem] = []
    horizon_end = start + timedelta(days=MAX_HORIZON_DAYS)
    for index, goal in enumerate(intake.goals):
        if goal.date <= start:
            problems.append(
                Problem(
                    ("goals", index, "date"),
                    f"{goal.date.isoformat()} must be after the start date {start.isoformat()}",
                    "goal_date",
                )
            )
        elif goal.date > horizon_end:
            problems.append(
                Problem(
                    ("goals", index, "date"),
                    f"{goal.date.isoformat()} is more than 52 weeks after the start date "
                    f"{start.isoformat()}",
                    "horizon",
                )
            )
        if goal.type == GoalType.relay and goal.legs is not None and goal.distance is None:
            problems.append(
                Problem(
                    ("goals", index, "distance"),
                    "give your total relay distance when you give legs",
                    "relay",
                )
            )
        if goal.type != GoalType.relay and (goal.team_format or goal.legs):
            problems.append(
                Problem(
                    ("goals", index, "type"),
                    "team_format and legs apply only to goals of type 'relay'",
                    "relay",
                )
            )
    return problems


def past_goal_problems(intake: Intake, today: date) -> list[Problem]:
    """Goals before today (in the athlete's time zone), unless the intake is historical."""
    if intake.historical:
        return []
    return [
        Problem(
            ("goals", index, "date"),
            f"{goal.date.isoformat()} is before today ({today.isoformat()} in "
            f'{intake.athlete.timezone}); send "historical": true to plan a past season',
            "past_goal",
        )
        for index, goal in enumerate(intake.goals)
        if goal.date < today
    ]


def finalize(intake: Intake, today: date, *, loc_prefix: Loc = (), new: bool = False) -> Intake:
    """Fill the default start date and run every cross-field check (for an intake that is
    `new`, submitted now, also that its goals are not in the past).

    Raises `InvalidInput` listing every problem (with `loc_prefix` before each location).
    """
    start = intake.start_date or next_monday(today)
    problems = cross_field_problems(intake, start)
    if new:
        problems.extend(past_goal_problems(intake, today))
    if problems:
        raise InvalidInput(
            "The intake has invalid fields",
            detail=[problem.as_dict(loc_prefix) for problem in problems],
        )
    if intake.start_date is None:
        return intake.model_copy(update={"start_date": start})
    return intake

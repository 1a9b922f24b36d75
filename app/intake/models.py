"""The intake contract: what a runner tells us, validated strictly.

Every model forbids unknown fields; scalar fields are strict (no "5" for 5); enums, dates and
times accept their JSON string forms only. Checks that involve several fields live in
`app.intake.checks` so that each problem can name its exact field.
"""

from __future__ import annotations

import difflib
import re
from datetime import date, time
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
)
from pydantic_core import PydanticCustomError

from app.intake.vocabulary import (
    ACTIVE_VOCABULARY,
    Condition,
    Finding,
    GateCriterion,
    GoalType,
    Priority,
    RedFlag,
    RedSSign,
    Restriction,
    Sex,
    Side,
    TeamFormat,
    Terrain,
    Trend,
    Units,
    Weekday,
)

MAX_SYMPTOMS = 20
MAX_FINDINGS = 40
MAX_GOALS = 10

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_PACE_RE = re.compile(r"^(\d{1,2}):([0-5]\d)$")
_TIMEZONES = frozenset(available_timezones())


def _iso_date(value: Any) -> Any:
    """Accept only `YYYY-MM-DD` strings (or dates), never numbers or datetimes."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise PydanticCustomError("date_format", "Input should be a date in the form YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError as exc:
        raise PydanticCustomError("date_value", "Input is not a valid calendar date") from exc
    return parsed


def _sane_date(value: date) -> date:
    """Dates a training plan can be about: 1900-2200 (a year-1 or year-9999 date is a typo, and
    date arithmetic on it would overflow)."""
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise PydanticCustomError(
            "date_range",
            "The date must lie between {earliest} and {latest}",
            {"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
        )
    return value


def _clock_time(value: Any) -> Any:
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not _TIME_RE.match(value):
        raise PydanticCustomError("time_format", "Input should be a time in the form HH:MM (24 h)")
    return time.fromisoformat(value)


def _pace_minutes(value: Any) -> Any:
    """An easy pace written `M:SS` (minutes per km or per mile, in the athlete's units)."""
    if not isinstance(value, str) or not (match := _PACE_RE.match(value)):
        raise PydanticCustomError(
            "pace_format", "Input should be a pace in the form M:SS, e.g. '6:30' or '10:15'"
        )
    return int(match.group(1)) + int(match.group(2)) / 60


def _known_timezone(value: str) -> str:
    if value not in _TIMEZONES:
        raise PydanticCustomError(
            "timezone", "Unknown IANA time zone; use a name such as 'America/New_York'"
        )
    return value


def _unique(values: list[Any]) -> list[Any]:
    if len(set(values)) != len(values):
        raise PydanticCustomError("unique", "Values must not repeat")
    return values


EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2200, 12, 31)
IsoDate = Annotated[date, BeforeValidator(_iso_date), AfterValidator(_sane_date)]
ClockTime = Annotated[
    time,
    BeforeValidator(_clock_time),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str, when_used="json"),
]
# Enums arrive as JSON strings: validate them by value, not by instance.
UnitsField = Annotated[Units, Strict(False)]
SideField = Annotated[Side, Strict(False)]
WeekdayField = Annotated[Weekday, Strict(False)]
Weekdays = Annotated[list[WeekdayField], Field(max_length=7), AfterValidator(_unique)]
Pain = Annotated[int, Field(ge=0, le=10, description="0 = no pain, 10 = worst imaginable")]
Name = Annotated[str, Field(min_length=1, max_length=100)]
TimezoneName = Annotated[str, Field(max_length=64), AfterValidator(_known_timezone)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class AthleteIn(_Strict):
    name: Name
    timezone: TimezoneName
    units: UnitsField = Units.km
    age: Annotated[int, Field(ge=10, le=100, description="Age in years (optional).")] | None = None
    sex: Annotated[Sex, Strict(False)] | None = None


EasyPace = Annotated[
    float,
    BeforeValidator(_pace_minutes),
    PlainSerializer(
        lambda minutes: f"{int(minutes)}:{round((minutes % 1) * 60):02d}",
        return_type=str,
        when_used="json",
    ),
    Field(
        description="Your easy running pace, M:SS per km or per mile (the athlete's units); "
        "run durations follow it. Without it, durations use a pace estimated from your volume.",
        json_schema_extra={"type": "string", "pattern": r"^\d{1,2}:[0-5]\d$", "examples": ["6:30"]},
    ),
]


class RunningIn(_Strict):
    weekly_distance: Annotated[float, Field(ge=0, le=400, allow_inf_nan=False)]
    longest_run: Annotated[float, Field(ge=0, le=160, allow_inf_nan=False)]
    runs_per_week: Annotated[int, Field(ge=0, le=7)]
    easy_pace: EasyPace | None = None


class AvailabilityIn(_Strict):
    run_days: Annotated[Weekdays, Field(min_length=1)]
    long_run_day: WeekdayField
    strength_days: Weekdays | None = None
    session_time: ClockTime | None = None


TERM_PATTERN = r"^[a-z][a-z0-9_]{1,47}$"


def _described(kind: str, values: type[StrEnum]) -> str:
    """A vocabulary name's description: the shipped values, or a name the organisation's rule
    set declares (checked against the organisation's vocabulary when the intake arrives)."""
    shipped = ", ".join(v.value for v in values)
    return (
        f"One of the {kind} of the vocabulary (`GET /v1/vocabulary`): the shipped ones "
        f"({shipped}) or one the organisation's rule set declares."
    )


UNKNOWN_TERM = "unknown_term"


def _known(kind: str) -> AfterValidator:
    """A name must be in the vocabulary in use (the organisation's, else the shipped one)."""

    def check(name: str) -> str:
        known = ACTIVE_VOCABULARY.get().names(kind)
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
            raise PydanticCustomError(
                UNKNOWN_TERM,
                "'{name}' is not one of the {kind} of this organisation's vocabulary{hint}; "
                "known: {known}",
                {
                    "name": name,
                    "kind": kind,
                    "hint": f" (did you mean '{close[0]}'?)" if close else "",
                    "known": ", ".join(sorted(known)),
                },
            )
        return name

    return AfterValidator(check)


ConditionName = Annotated[
    str,
    Field(
        pattern=TERM_PATTERN,
        description=_described("conditions", Condition),
        examples=["it_band_syndrome"],
    ),
    _known("conditions"),
]
FindingName = Annotated[
    str,
    Field(
        pattern=TERM_PATTERN,
        description=_described("findings", Finding),
        examples=["weak_glute_med"],
    ),
    _known("findings"),
]
RestrictionName = Annotated[
    str,
    Field(
        pattern=TERM_PATTERN,
        description=_described("restrictions", Restriction),
        examples=["no_squat"],
    ),
    _known("restrictions"),
]
GateCriterionName = Annotated[
    str,
    Field(
        pattern=TERM_PATTERN,
        description=_described("gate criteria", GateCriterion),
        examples=["single_leg_bridge_20"],
    ),
    _known("gate_criteria"),
]
MAX_RESTRICTIONS = 20


class SymptomIn(_Strict):
    condition: ConditionName
    side: SideField | None = None
    pain_rest: Pain
    pain_running: Pain
    weeks: Annotated[int, Field(ge=0, le=520)] | None = None
    trend: Annotated[Trend, Strict(False)] | None = None


class FindingIn(_Strict):
    name: FindingName
    side: SideField | None = None
    grade: Annotated[int, Field(ge=0, le=5, description="Manual muscle test, 0-5")] | None = None
    value: Annotated[float, Field(ge=-1000, le=1000, allow_inf_nan=False)] | None = None


class GoalIn(_Strict):
    name: Name
    date: IsoDate
    type: Annotated[GoalType, Strict(False)]
    distance: Annotated[float, Field(gt=0, le=500, allow_inf_nan=False)] | None = None
    team_format: Annotated[TeamFormat, Strict(False)] | None = None
    legs: Annotated[int, Field(ge=1, le=36)] | None = None
    start_time: ClockTime | None = None
    priority: Annotated[Priority, Strict(False)] = Priority.A
    terrain: Annotated[Terrain, Strict(False)] | None = None


class Intake(_Strict):
    """Everything a plan is generated from (docs/architecture.md §5.1)."""

    athlete: AthleteIn
    start_date: IsoDate | None = None
    running: RunningIn
    availability: AvailabilityIn
    symptoms: Annotated[list[SymptomIn], Field(max_length=MAX_SYMPTOMS)] = []
    findings: Annotated[list[FindingIn], Field(max_length=MAX_FINDINGS)] = []
    restrictions: Annotated[
        list[RestrictionName],
        Field(max_length=MAX_RESTRICTIONS),
        AfterValidator(_unique),
    ] = []
    red_flags: Annotated[
        list[Annotated[RedFlag, Strict(False)]],
        Field(max_length=len(RedFlag)),
        AfterValidator(_unique),
    ] = []
    bone_stress_history: bool = Field(
        default=False, description="A stress fracture or bone stress injury in the past."
    )
    red_s_screen: Annotated[
        list[Annotated[RedSSign, Strict(False)]],
        Field(
            max_length=len(RedSSign),
            description="Signs of low energy availability (RED-S) the runner reports.",
        ),
        AfterValidator(_unique),
    ] = []
    goals: Annotated[list[GoalIn], Field(max_length=MAX_GOALS)] = []
    historical: bool = Field(
        default=False,
        description="The intake describes a season already run (goals before today are then "
        "accepted, to replay or compare a past plan); otherwise a goal before today, in the "
        "athlete's time zone, is a 422.",
    )

"""What the rules can match: every fact type, its fields, and the values each field can take.

The rule validator checks every condition against this registry, so an unknown field, an
impossible value or an unreachable comparison is reported before the engine sees a rule.
Field order here is the canonical order of terms in compiled conditions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.intake.vocabulary import (
    Condition,
    Finding,
    GoalType,
    Priority,
    RedFlag,
    RedSSign,
    Restriction,
    Sex,
    Side,
    TeamFormat,
    Trend,
    Units,
)

Scalar = str | int | float | bool


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """The type and the possible values of one fact field."""

    kind: str  # "enum" | "int" | "number" | "bool"
    values: tuple[str, ...] = ()
    low: float = 0
    high: float = 0
    doc: str = ""

    def accepts(self, value: Scalar) -> bool:
        """Whether a valid intake could ever give this field this value."""
        if self.kind == "enum":
            return isinstance(value, str) and value in self.values
        if self.kind == "bool":
            return isinstance(value, bool)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.kind == "int" and not float(value).is_integer():
            return False
        return self.low <= value <= self.high

    def describe(self) -> str:
        if self.kind == "enum":
            return "one of " + ", ".join(self.values)
        if self.kind == "bool":
            return "true or false"
        return f"a {'whole number' if self.kind == 'int' else 'number'} {self.low:g}-{self.high:g}"


def _enum(values: type[StrEnum] | tuple[str, ...], doc: str = "") -> FieldSpec:
    names = tuple(v.value for v in values) if isinstance(values, type) else values
    return FieldSpec("enum", values=names, doc=doc)


def _int(low: int, high: int, doc: str = "") -> FieldSpec:
    return FieldSpec("int", low=low, high=high, doc=doc)


def _number(low: float, high: float, doc: str = "") -> FieldSpec:
    return FieldSpec("number", low=low, high=high, doc=doc)


_BOOL = FieldSpec("bool")

PAIN_ZONES = ("safe", "acceptable", "too_much")
VOLUME_BANDS = ("none", "low", "moderate", "high")

FACT_TYPES: dict[str, dict[str, FieldSpec]] = {
    "athlete": {
        "units": _enum(Units),
        "running_now": FieldSpec("bool", doc="false when the athlete runs 0 per week today"),
        "volume_band": _enum(VOLUME_BANDS, "weekly km: none 0, low <25, moderate <50, high"),
        "weekly_km": _number(0, 650, "current weekly distance in km"),
        "weekly_mi": _number(0, 404, "current weekly distance in miles"),
        "longest_run_km": _number(0, 260, "longest run of the past 30 days in km"),
        "longest_run_mi": _number(0, 162, "longest run of the past 30 days in miles"),
        "runs_per_week": _int(0, 7),
        "has_symptoms": _BOOL,
        "has_red_flags": _BOOL,
        "age": _int(10, 100, "age in years, when given"),
        "masters": FieldSpec("bool", doc="true from age 50 (when the age is given)"),
        "sex": _enum(Sex),
        "bone_stress_history": FieldSpec("bool", doc="a bone stress injury in the past"),
    },
    "symptom": {
        "condition": _enum(Condition),
        "side": _enum(Side),
        "pain_running_zone": _enum(PAIN_ZONES, "0-3 safe, 4-5 acceptable, 6-10 too_much"),
        "pain_rest_zone": _enum(PAIN_ZONES),
        "pain_running": _int(0, 10),
        "pain_rest": _int(0, 10),
        "trend": _enum(Trend),
        "chronic": FieldSpec("bool", doc="true when present for 12 weeks or more"),
        "weeks": _int(0, 520),
    },
    "finding": {
        "name": _enum(Finding),
        "side": _enum(Side),
        "weak": FieldSpec("bool", doc="true when a manual muscle test grade of 3/5 or less"),
        "grade": _int(0, 5),
        "value": _number(-1000, 1000),
    },
    "restriction": {"name": _enum(Restriction)},
    "red_flag": {"name": _enum(RedFlag)},
    "red_s": {"name": _enum(RedSSign, "a sign of low energy availability from the screen")},
    "goal": {
        "type": _enum(GoalType),
        "team_format": _enum(TeamFormat),
        "priority": _enum(Priority),
        "legs": _int(1, 36),
        "distance_km": _number(0, 810),
        "distance_mi": _number(0, 504),
        "weeks_away": _int(0, 53),
        "timed": FieldSpec("bool", doc="true when the race has a start time"),
    },
    "check_in": {
        "pain_during_zone": _enum(PAIN_ZONES),
        "morning_worse": FieldSpec(
            "bool", doc="next-morning pain above the runner's usual pain at rest"
        ),
        "reported_morning": FieldSpec("bool", doc="false when next-morning pain was not given"),
        "pain_during": _int(0, 10),
        "pain_next_morning": _int(0, 10),
        "skipped_sessions": _int(0, 100),
        "completed_sessions": _int(0, 100),
    },
    # Facts asserted by `derive`; `name` values are whatever the rules derive.
    "derived": {"name": FieldSpec("enum"), "side": _enum(Side)},
}

FACT_FIELDS_MAX = 16  # far below the engine's 255 properties per fact


def field_order(fact_type: str) -> dict[str, int]:
    """Canonical position of each field of a fact type (the type itself comes first)."""
    return {name: index for index, name in enumerate(FACT_TYPES[fact_type])}

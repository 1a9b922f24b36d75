"""The rule-file format (YAML), defined once here and exported as JSON Schema.

A rule file holds one topic: its rules and the test cases that pin what they do.
See `rules/README.md` for the coach's guide.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    WithJsonSchema,
    model_validator,
)

from app.engine.conditions import Condition, condition_json_schema, parse_condition
from app.engine.verbs import (
    RULE_ID_PATTERN,
    CapPhase,
    Parameter,
    ThenItem,
    TrainingPhase,
    Verdict,
    Window,
)

MAX_RULES_PER_FILE = 2500
MAX_CASES_PER_FILE = 200


class Domain(StrEnum):
    """Precedence of rules, highest first: safety beats injury beats goal."""

    safety = "safety"
    injury = "injury"
    goal = "goal"

    @property
    def rank(self) -> int:
        return {"safety": 0, "injury": 1, "goal": 2}[self.value]


RuleId = Annotated[str, Field(pattern=RULE_ID_PATTERN)]


def _one_line(value: object) -> object:
    """Folded YAML text keeps a trailing newline and may wrap: store it as one clean line."""
    return " ".join(value.split()) if isinstance(value, str) else value


# pydantic resolves every $ref it sees, so the field is marked and the ref added afterwards.
_CONDITION_MARK = "x-strideplan-condition"

When = Annotated[
    Condition,
    BeforeValidator(parse_condition),
    PlainSerializer(lambda _: None),
    WithJsonSchema({_CONDITION_MARK: True}),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Rule(_Model):
    """One coach-authored rule: when the facts match, the consequences apply, for a reason."""

    id: RuleId = Field(description="Unique, stable id, e.g. 'pht.avoid_deep_flexion'.")
    title: Annotated[str, BeforeValidator(_one_line), Field(min_length=3, max_length=120)]
    why: Annotated[str, BeforeValidator(_one_line), Field(min_length=10, max_length=600)] = Field(
        description="Plain language, shown to runners and coaches with every decision."
    )
    domain: Annotated[Domain, Strict(False)] = Domain.injury
    priority: Annotated[int, Field(ge=0, le=100)] = Field(
        default=50, description="Within a domain, higher wins."
    )
    source: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=300)]], Field(max_length=12)
    ] = []
    when: When
    then: Annotated[list[ThenItem], Field(min_length=1, max_length=30)]
    window: Window | None = Field(
        default=None,
        description="Limit what the rule prescribes, avoids and notes to part of the plan, e.g. "
        "{weeks_before: taper, weeks: 6}, {from_phase: strength}, {until_phase: running_form}",
    )


class CapExpect(_Model):
    """The weekly cap a phase must have: exactly `km` or `mi` (to 0.1), or within bounds."""

    phase: CapPhase
    km: Annotated[float, Field(ge=0, le=250)] | None = None
    mi: Annotated[float, Field(ge=0, le=155)] | None = None
    at_most_km: Annotated[float, Field(ge=0, le=250)] | None = None
    at_least_km: Annotated[float, Field(ge=0, le=250)] | None = None


class DoseExpect(_Model):
    """An exercise the rules prescribe, with the dose the case expects (what is given)."""

    exercise: str
    phase: TrainingPhase | None = None
    side: Literal["left", "right", "both"] | None = None
    sets: Annotated[int, Field(ge=1, le=10)] | None = None
    extra_sets: Annotated[int, Field(ge=0, le=5)] | None = None


class GateExpect(_Model):
    phase: Literal["strength", "running_form"]
    criterion: str


class PlanExpect(_Model):
    """An exercise, or a note's text (or part of it), in the generated plan's sessions: in a
    phase, or between two dates."""

    exercise: str | None = None
    note: Annotated[str, Field(min_length=3, max_length=200)] | None = Field(
        default=None, description="a session note holding this text (instead of `exercise`)"
    )
    phase: TrainingPhase | None = None
    from_date: date | None = Field(default=None, alias="from")
    until: date | None = None

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.exercise is None) == (self.note is None):
            raise ValueError(
                "give exercise or note, e.g. {exercise: clamshell, phase: strength} or "
                '{note: "flat routes", until: "2026-03-01"}'
            )
        return self

    @property
    def what(self) -> str:
        return self.exercise if self.exercise is not None else f'the note "{self.note}"'


class Expect(_Model):
    """What the decisions (and, for `status`, `in_plan` and `not_in_plan`, the plan) for a
    case must include and exclude."""

    fires: list[RuleId] = []
    not_fires: list[RuleId] = []
    prescribes: list[str] = []
    not_prescribes: list[str] = []
    doses: Annotated[list[DoseExpect], Field(max_length=50)] = []
    caps: Annotated[list[CapExpect], Field(max_length=10)] = []
    settings: dict[Annotated[Parameter, Strict(False)], float] = {}
    notes: Annotated[list[Annotated[str, Field(min_length=3)]], Field(max_length=20)] = Field(
        default=[], description="texts (or parts of them) that some note of the rules must hold"
    )
    not_notes: Annotated[list[Annotated[str, Field(min_length=3)]], Field(max_length=20)] = []
    gates: Annotated[list[GateExpect], Field(max_length=10)] = []
    in_plan: Annotated[list[PlanExpect], Field(max_length=20)] = []
    not_in_plan: Annotated[list[PlanExpect], Field(max_length=20)] = []
    status: Literal["ok", "goal_at_risk", "referral_required"] | None = None
    doubles: bool | None = Field(
        default=None,
        description="whether the plan practises back-to-back running: relay practice runs "
        "8-12 hours apart, or back-to-back days for an ultra or races on consecutive days",
    )
    response: Verdict | None = None


class CaseCheckIn(_Model):
    """A check-in for a case: pain during running and the next morning (0-10)."""

    pain_during: Annotated[int, Field(ge=0, le=10)]
    pain_next_morning: Annotated[int, Field(ge=0, le=10)] | None = None
    skipped_sessions: Annotated[int, Field(ge=0, le=100)] = 0
    completed_sessions: Annotated[int, Field(ge=0, le=100)] = 0


class Case(_Model):
    """A partial intake (merged over a healthy default runner) and its expected outcome."""

    name: Annotated[str, Field(min_length=3, max_length=160)]
    intake: dict[str, Any] = {}
    start_date: date | None = None
    check_in: CaseCheckIn | None = None
    expect: Expect


class RuleFile(_Model):
    """One topic of the rule base."""

    version: Literal[1] = 1
    topic: Annotated[str, Field(min_length=3, max_length=120)]
    description: str = ""
    rules: Annotated[list[Rule], Field(max_length=MAX_RULES_PER_FILE)] = []
    cases: Annotated[list[Case], Field(max_length=MAX_CASES_PER_FILE)] = []


def rule_file_json_schema() -> dict[str, Any]:
    """The JSON Schema of a rule file, for editors (written to `rules/schema.json`)."""
    schema: dict[str, Any] = _replace_marks(RuleFile.model_json_schema(mode="validation"))
    schema.setdefault("$defs", {})["Condition"] = condition_json_schema()
    schema["title"] = "StridePlan rule file"
    return schema


def _replace_marks(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get(_CONDITION_MARK):
            return {"$ref": "#/$defs/Condition"}
        return {key: _replace_marks(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_replace_marks(item) for item in node]
    return node

"""The fixed vocabulary of consequences a rule may have (`then:`), as data.

A rule can only say *what* should happen, with one of these verbs; the code that acts on each
verb is chosen from `app.engine.decisions`, never named by a rule.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, model_validator

from app.intake.vocabulary import KM_PER_MILE
from app.intake.vocabulary import GateCriterion as GateCriterion
from app.intake.vocabulary import Identifier as Identifier
from app.intake.vocabulary import TrainingPhase as TrainingPhase

CapPhase = Literal["all", "activation", "strength", "running_form", "taper"]
SideChoice = Literal["left", "right", "both", "matched"]
Text = Annotated[
    str,
    BeforeValidator(lambda v: " ".join(v.split()) if isinstance(v, str) else v),
    Field(min_length=3, max_length=600),
]
RULE_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,79}$"
MAX_STAGE_WEEK = 52
RuleRef = Annotated[str, Field(pattern=RULE_ID_PATTERN)]


class Parameter(StrEnum):
    """Scheduling parameters a rule may `set` (each with bounds and a default)."""

    activation_days = "activation_days"
    strength_min_days = "strength_min_days"
    strength_sessions_per_week = "strength_sessions_per_week"
    progression_limit_pct = "progression_limit_pct"
    deload_every_weeks = "deload_every_weeks"
    deload_cut_pct = "deload_cut_pct"
    long_run_share_pct = "long_run_share_pct"
    walk_run = "walk_run"
    activation_exercises = "activation_exercises"
    min_runs_per_week = "min_runs_per_week"
    peak_block_weeks = "peak_block_weeks"
    base_percent_of_peak = "base_percent_of_peak"
    b_race_taper_days = "b_race_taper_days"
    strides_per_week = "strides_per_week"
    quality_sessions_per_week = "quality_sessions_per_week"
    easy_pace_slower_pct = "easy_pace_slower_pct"
    rest_days_first = "rest_days_first"


# name: (lowest, highest, default, what it means)
PARAMETERS: dict[Parameter, tuple[float, float, float, str]] = {
    Parameter.activation_days: (28, 84, 28, "days of daily activation before strength"),
    Parameter.strength_min_days: (21, 112, 42, "minimum days of strength before form work"),
    Parameter.strength_sessions_per_week: (2, 3, 2, "strength sessions a week"),
    Parameter.progression_limit_pct: (0, 10, 10, "largest week-on-week increase, percent"),
    Parameter.deload_every_weeks: (2, 4, 4, "a lighter week every N weeks"),
    Parameter.deload_cut_pct: (25, 33, 25, "how much lighter a deload week is, percent"),
    Parameter.long_run_share_pct: (
        25,
        40,
        35,
        "the long run's largest share of a week of 4+ runs, percent (3 runs: 10 more)",
    ),
    Parameter.walk_run: (0, 1, 0, "1: start running with walk-run intervals"),
    Parameter.activation_exercises: (4, 6, 5, "exercises in each activation set"),
    Parameter.min_runs_per_week: (0, 6, 0, "spread the week over at least this many runs"),
    Parameter.peak_block_weeks: (3, 5, 3, "weeks at peak volume before the taper"),
    Parameter.base_percent_of_peak: (
        50,
        90,
        70,
        "base volume before the race build, percent of the peak (never below today's)",
    ),
    Parameter.b_race_taper_days: (3, 5, 4, "lighter days before a B race"),
    Parameter.strides_per_week: (0, 2, 2, "easy runs a week that end with strides"),
    Parameter.quality_sessions_per_week: (0, 1, 1, "quality sessions a week, once allowed"),
    Parameter.easy_pace_slower_pct: (0, 20, 0, "run this much slower than the easy pace, percent"),
    Parameter.rest_days_first: (0, 3, 0, "days without running at the start of the plan"),
}


class _Verb(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Prescribe(_Verb):
    """Put an exercise from the catalog into a phase, optionally with its own dose."""

    exercise: Identifier
    phase: TrainingPhase
    sets: Annotated[int, Field(ge=1, le=10)] | None = None
    reps: Annotated[int, Field(ge=1, le=100)] | None = None
    seconds: Annotated[int, Field(ge=5, le=600)] | None = None
    side: SideChoice | None = None
    extra_sets: Annotated[int, Field(ge=0, le=5)] = 0
    from_week: Annotated[int, Field(ge=1, le=MAX_STAGE_WEEK)] | None = Field(
        default=None,
        description="a later stage: the exercise starts in this week of the plan (week 1 is "
        "the first); each regress verdict at a check-in moves it a week later",
    )
    last_week: Annotated[int, Field(ge=1, le=MAX_STAGE_WEEK)] | None = Field(
        default=None,
        description="a stage that ends: the exercise is prescribed up to and including this "
        "week of the plan (on the same clock as `from_week`), so a later stage can replace it",
    )
    per_week: Annotated[int, Field(ge=1, le=7)] | None = Field(
        default=None,
        description="at least this many sessions a week carry the exercise, from the end of "
        "activation (daily) until `until_week`",
    )
    until_week: Annotated[int, Field(ge=1, le=MAX_STAGE_WEEK)] | None = Field(
        default=None, description="with `per_week`: the last week it is kept that often"
    )

    @model_validator(mode="after")
    def _dose(self) -> Self:
        if self.reps is not None and self.seconds is not None:
            raise ValueError("give reps or seconds, not both")
        if self.extra_sets and self.side in (None, "both"):
            raise ValueError("extra_sets need a side: left, right or matched")
        if (self.per_week is None) != (self.until_week is None):
            raise ValueError("per_week and until_week go together")
        if self.from_week and self.until_week and self.until_week < self.from_week:
            raise ValueError("until_week comes before from_week")
        if self.from_week and self.last_week and self.last_week < self.from_week:
            raise ValueError("last_week comes before from_week")
        if self.last_week and self.until_week and self.until_week > self.last_week:
            raise ValueError("until_week comes after last_week: the exercise has ended by then")
        return self


class Avoid(_Verb):
    """Keep an exercise, or every exercise with a contraindication tag, out of the plan (or,
    with `until_week`, out of the plan's early weeks)."""

    exercise: Identifier | None = None
    tag: Identifier | None = None
    until_week: Annotated[int, Field(ge=2, le=MAX_STAGE_WEEK)] | None = Field(
        default=None,
        description="an early-stage avoidance: allowed again from this week of the plan; each "
        "regress verdict at a check-in moves it a week later",
    )

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.exercise is None) == (self.tag is None):
            raise ValueError("avoid takes exactly one of 'exercise' or 'tag'")
        return self


class Substitute(_Verb):
    """Use `with` wherever `exercise` would appear."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    exercise: Identifier
    replacement: Identifier = Field(alias="with")


class Cap(_Verb):
    """A ceiling on weekly running distance during a phase."""

    phase: CapPhase
    km: Annotated[float, Field(ge=0, le=250)] | None = None
    mi: Annotated[float, Field(ge=0, le=155)] | None = Field(
        default=None, description="the cap in miles, instead of km"
    )
    percent_of_current: Annotated[float, Field(ge=0, le=150)] | None = None
    replaces: Annotated[list[RuleRef], Field(max_length=20)] = Field(
        default_factory=list,
        description="ids of rules whose caps this one replaces (otherwise the lowest cap wins)",
    )

    @model_validator(mode="after")
    def _one(self) -> Self:
        given = [
            name for name in ("km", "mi", "percent_of_current") if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError("cap takes exactly one of 'km', 'mi' or 'percent_of_current'")
        if self.mi is not None:  # the engine works in km
            object.__setattr__(self, "km", round(self.mi * KM_PER_MILE, 3))
        return self

    def limit_km(self, current_km: float) -> float | None:
        """The cap in km for an athlete running `current_km` a week now (None when it is a
        percentage of nothing: a runner starting from zero follows the walk-run progression)."""
        if self.km is not None:
            return self.km
        if current_km <= 0:
            return None
        return current_km * (self.percent_of_current or 0) / 100


class Gate(_Verb):
    """A criterion to meet before `phase` may start."""

    phase: Literal["strength", "running_form"]
    criterion: Identifier = Field(
        description="one of the shipped gate criteria ("
        + ", ".join(c.value for c in GateCriterion)
        + ") or one the organisation declares in vocabulary.yaml (gate_criteria)",
        examples=["single_leg_bridge_20"],
    )


class Refer(_Verb):
    """Stop: no plan, refer the runner to a clinician for this reason."""

    reason: Text


class Derive(_Verb):
    """Assert a new fact (`fact: derived`) that later rules can match."""

    name: Identifier
    side: SideChoice | None = None


class Target(_Verb):
    """What the matched goal needs: peak weekly volume, long run, taper, relay practice.

    Distances are in km, in miles (`_mi`) or in percent of the race distance (the goal's own
    distance when the runner gave one, else the standard distance of its type).
    """

    peak_km: Annotated[float, Field(gt=0, le=250)] | None = None
    peak_mi: Annotated[float, Field(gt=0, le=155)] | None = None
    peak_percent_of_race: Annotated[float, Field(gt=0, le=400)] | None = None
    long_run_km: Annotated[float, Field(gt=0, le=80)] | None = None
    long_run_mi: Annotated[float, Field(gt=0, le=50)] | None = None
    long_run_percent_of_race: Annotated[float, Field(gt=0, le=150)] | None = None
    taper_weeks: (
        Annotated[
            int,
            Field(ge=1, le=3, description="a race always gets a taper (the protected safety core)"),
        ]
        | None
    ) = None
    taper_days: Annotated[int, Field(ge=7, le=23)] | None = None
    build_weeks: Annotated[int, Field(ge=6, le=28)] | None = None
    recovery_days: Annotated[int, Field(ge=2, le=56)] | None = None
    back_to_back: bool | None = None

    @model_validator(mode="after")
    def _one_each(self) -> Self:
        for what in ("peak", "long_run"):
            names = (f"{what}_km", f"{what}_mi", f"{what}_percent_of_race")
            if sum(getattr(self, name) is not None for name in names) > 1:
                raise ValueError(f"give one of {', '.join(names)}, not several")
            miles = getattr(self, f"{what}_mi")
            if miles is not None:  # the scheduler works in km
                object.__setattr__(self, f"{what}_km", round(miles * KM_PER_MILE, 3))
        if self.taper_weeks is not None and self.taper_days is not None:
            raise ValueError("give taper_days or taper_weeks, not both")
        if all(getattr(self, name) is None for name in type(self).model_fields):
            raise ValueError("target needs at least one of its fields")
        return self


Verdict = Literal["progress", "hold", "regress"]
CAUTION: dict[str, int] = {"progress": 0, "hold": 1, "regress": 2}  # higher is more cautious


class Respond(_Verb):
    """The pain-monitoring verdict on a check-in: how the next week's load should change.

    When rules disagree, the most conservative verdict wins (regress, then hold, then progress).
    """

    load: Verdict


class Note(_Verb):
    """A plain-language note on the plan or on every session of one kind."""

    text: Text
    kind: Literal["plan", "activation", "strength", "run", "drills", "race"] = "plan"


class SetParameter(_Verb):
    """Set a scheduling parameter (bounded)."""

    parameter: Annotated[Parameter, Strict(False)]
    value: float

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        low, high, _, _ = PARAMETERS[self.parameter]
        if not low <= self.value <= high:
            raise ValueError(f"{self.parameter.value} must be between {low:g} and {high:g}")
        return self


WindowPhase = Literal["activation", "strength", "running_form"]
WINDOW_EXAMPLE = (
    "window: {weeks_before: taper, weeks: 6}, window: {from_phase: strength} or "
    "window: {until_phase: running_form}"
)
# The verbs a window limits: what the rule puts into sessions, day by day.
WINDOWED_VERBS = ("prescribe", "avoid", "note", "cap")


class Window(_Verb):
    """Part of the plan a rule's prescriptions, avoidances and session notes are limited to:
    the last `weeks` weeks before each A race (`weeks_before: goal`) or before its taper
    (`weeks_before: taper`), and/or from the start of one phase (`from_phase`) until another
    begins (`until_phase`). Given together, the window is where they overlap."""

    weeks_before: Literal["goal", "taper"] | None = Field(
        default=None, description="with `weeks`: counted back from each A race, or its taper"
    )
    weeks: Annotated[int, Field(ge=1, le=MAX_STAGE_WEEK)] | None = Field(
        default=None, description="with `weeks_before`: how many weeks"
    )
    from_phase: WindowPhase | None = Field(
        default=None, description="from the first day of this phase on"
    )
    until_phase: Literal["strength", "running_form"] | None = Field(
        default=None, description="up to the day before this phase begins"
    )

    @model_validator(mode="after")
    def _shape(self) -> Self:
        if (self.weeks_before is None) != (self.weeks is None):
            raise ValueError(
                "weeks_before and weeks go together, e.g. window: {weeks_before: taper, weeks: 6}"
            )
        if self.weeks_before is None and self.from_phase is None and self.until_phase is None:
            raise ValueError(
                f"a window needs weeks_before with weeks, from_phase or "
                f"until_phase, e.g. {WINDOW_EXAMPLE}"
            )
        order = ("activation", "strength", "running_form")
        if (
            self.from_phase is not None
            and self.until_phase is not None
            and order.index(self.until_phase) <= order.index(self.from_phase)
        ):
            raise ValueError(
                f"until_phase {self.until_phase} does not come after from_phase "
                f"{self.from_phase}; the phases run activation, strength, running_form"
            )
        return self


class ThenItem(BaseModel):
    """One consequence: a mapping with exactly one verb."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    prescribe: Prescribe | None = None
    avoid: Avoid | None = None
    substitute: Substitute | None = None
    cap: Cap | None = None
    gate: Gate | None = None
    refer: Refer | None = None
    derive: Derive | None = None
    note: Note | None = None
    target: Target | None = None
    respond: Respond | None = None
    set_: SetParameter | None = Field(default=None, alias="set")

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "each 'then' item has exactly one verb: prescribe, avoid, substitute, cap, "
                "gate, refer, derive, note, target, respond or set"
            )
        return self

    @property
    def consequence(self) -> Consequence:
        """The one verb this item holds."""
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is not None:
                return value  # type: ignore[no-any-return]
        raise AssertionError("validated to hold one verb")  # pragma: no cover


Consequence = (
    Prescribe
    | Avoid
    | Substitute
    | Cap
    | Gate
    | Refer
    | Derive
    | Note
    | Target
    | Respond
    | SetParameter
)

VERB_NAMES: dict[type[_Verb], str] = {
    Prescribe: "prescribe",
    Avoid: "avoid",
    Substitute: "substitute",
    Cap: "cap",
    Gate: "gate",
    Refer: "refer",
    Derive: "derive",
    Note: "note",
    Target: "target",
    Respond: "respond",
    SetParameter: "set",
}


def verb_name(consequence: Consequence) -> str:
    """The YAML verb of a consequence."""
    return VERB_NAMES[type(consequence)]

"""The exercise catalog: every exercise and drill a plan can contain, as data.

Substitution follows each exercise's `regression` link when a restriction, a condition or a
rule rules it out; `progression` links say where it leads when it becomes easy.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.intake.vocabulary import Identifier, TrainingPhase

Kind = Literal["activation", "strength", "drill", "mobility"]  # mobility: never loaded
Cue = Annotated[str, Field(min_length=3, max_length=300)]


class Dose(BaseModel):
    """The default dose: sets of reps (or of seconds), with an optional tempo."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    sets: Annotated[int, Field(ge=1, le=10)]
    reps: Annotated[int, Field(ge=1, le=100)] | None = None
    seconds: Annotated[int, Field(ge=5, le=600)] | None = None
    tempo: Annotated[str, Field(max_length=40)] | None = None
    distance_m: Annotated[int, Field(ge=5, le=400)] | None = None

    @model_validator(mode="after")
    def _one_measure(self) -> Self:
        measures = [m for m in (self.reps, self.seconds, self.distance_m) if m is not None]
        if len(measures) != 1:
            raise ValueError("a dose has exactly one of reps, seconds or distance_m")
        return self


class Exercise(BaseModel):
    """One exercise or drill."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    id: Identifier
    name: Annotated[str, Field(min_length=3, max_length=80)]
    kind: Kind
    phases: Annotated[list[TrainingPhase], Field(min_length=1)]
    targets: Annotated[list[Identifier], Field(min_length=1)]
    unilateral: bool
    loaded: bool = Field(
        default=False, description="true for work under external load (weights, heavy bands)"
    )
    equipment: list[Identifier] = []
    dose: Dose
    progression: Identifier | None = None
    regression: Identifier | None = None
    cues: Annotated[list[Cue], Field(min_length=1, max_length=8)]
    contraindications: list[Identifier] = []
    minutes: Annotated[float, Field(gt=0, le=30)] = 1.5


MAX_EXERCISES = 1000


class CatalogFile(BaseModel):
    """`rules/catalog.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    exercises: Annotated[list[Exercise], Field(min_length=1, max_length=MAX_EXERCISES)]


class Catalog:
    """Exercises by id, with substitution along regression links."""

    def __init__(self, exercises: list[Exercise]) -> None:
        self.exercises: dict[str, Exercise] = {e.id: e for e in exercises}
        self.tags: frozenset[str] = frozenset(tag for e in exercises for tag in e.contraindications)

    def __contains__(self, exercise_id: object) -> bool:
        return exercise_id in self.exercises

    def __getitem__(self, exercise_id: str) -> Exercise:
        return self.exercises[exercise_id]

    def allowed_substitute(
        self, exercise_id: str, blocked: frozenset[str], blocked_tags: frozenset[str]
    ) -> str | None:
        """The exercise itself if allowed, else the first allowed one down its regressions."""
        seen: set[str] = set()
        current: str | None = exercise_id
        while current is not None and current not in seen:
            seen.add(current)
            exercise = self.exercises.get(current)
            if exercise is None:
                return None
            if current not in blocked and not blocked_tags.intersection(exercise.contraindications):
                return current
            current = exercise.regression
        return None

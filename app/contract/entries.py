"""A session's exercise entries and the reasons attached to plan parts, as served."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from app.contract.served import SERVED_WITHOUT_NULLS

SideOut = Literal["left", "right", "both"]
Block = Literal["morning", "evening", "warm_up", "main"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", **SERVED_WITHOUT_NULLS)


class Why(_Out):
    """Why a session (or a setting) is in the plan: the rule and its reason (the served plan
    lists each reason once, in `reasons`)."""

    rule: str
    because: str


class ExerciseOut(_Out):
    """One exercise in a session: the dose. Its name and cues are in the plan's `exercises`
    map under `id`."""

    id: str
    sets: int
    reps: int | None = None
    seconds: int | None = None
    distance_m: int | None = None
    side: SideOut | None = None
    load: str | None = None
    tempo: str | None = None
    block: Block | None = None

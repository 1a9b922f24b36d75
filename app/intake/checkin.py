"""The check-in contract: how a runner's week went."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, Strict

from app.intake.models import GateCriterionName, IsoDate, Pain, _Strict, _unique
from app.intake.vocabulary import Illness, RedFlag

MAX_TESTS_PASSED = 50  # the shipped gate criteria and an organisation's own

SessionRef = Annotated[str, Field(min_length=1, max_length=36)]


class CheckInIn(_Strict):
    """Pain during running and the next morning (0-10), sessions done or skipped, tests passed."""

    date: IsoDate = Field(description="The day the check-in is about (not in the future).")
    pain_during: Pain = Field(description="Worst pain while running, 0-10.")
    pain_next_morning: Pain | None = Field(
        default=None, description="Pain or stiffness the next morning, 0-10."
    )
    completed: Annotated[list[SessionRef], Field(max_length=60), AfterValidator(_unique)] = Field(
        default_factory=list, description="Ids of the sessions done since the last check-in."
    )
    skipped: Annotated[list[SessionRef], Field(max_length=60), AfterValidator(_unique)] = Field(
        default_factory=list, description="Ids of the sessions skipped."
    )
    tests_passed: Annotated[
        list[GateCriterionName],
        Field(max_length=MAX_TESTS_PASSED),
        AfterValidator(_unique),
    ] = Field(default_factory=list, description="Gate tests the runner now passes.")
    red_flags: Annotated[
        list[Annotated[RedFlag, Strict(False)]],
        Field(max_length=len(RedFlag)),
        AfterValidator(_unique),
    ] = Field(
        default_factory=list,
        description="Warning signs since the last check-in (the intake's red-flag vocabulary): "
        "any one stops the plan from that day and refers the runner to a clinician.",
    )
    limp: bool = Field(
        default=False,
        description="A limp that has lasted more than 24 hours: running pauses for three days "
        "as for pain of 7/10, and the plan refers the runner to a clinician if a check-in 72 "
        "hours or more later is not back to 3/10 or less without a limp.",
    )
    illness: Annotated[
        list[Annotated[Illness, Strict(False)]],
        Field(max_length=len(Illness)),
        AfterValidator(_unique),
    ] = Field(
        default_factory=list,
        description="Fever or chest symptoms from an illness (a cold, flu): no training for the "
        "two days after the check-in, and the load holds the next week. A fever that comes "
        "with the injury's pain belongs in `red_flags`.",
    )
    notes: Annotated[str, Field(max_length=1000)] = ""

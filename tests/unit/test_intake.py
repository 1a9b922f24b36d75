"""The intake contract: strict fields, named errors, cross-field checks."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from app.errors import InvalidInput
from app.intake.checks import finalize, next_monday
from app.intake.models import Intake
from app.intake.vocabulary import BASE_VOCABULARY, Term, vocabulary_in_use
from tests.conftest import load_example


def base() -> dict[str, Any]:
    return copy.deepcopy(load_example("weak_left_glute_hamstring"))


def locs(exc: ValidationError) -> list[tuple[Any, ...]]:
    return [tuple(e["loc"]) for e in exc.errors()]


@pytest.mark.parametrize(
    ("mutate", "loc"),
    [
        (lambda d: d["symptoms"][0].update(condition="broken_leg"), ("symptoms", 0, "condition")),
        (lambda d: d["symptoms"][0].update(pain_running=11), ("symptoms", 0, "pain_running")),
        (lambda d: d["symptoms"][0].update(pain_rest=-1), ("symptoms", 0, "pain_rest")),
        (lambda d: d["athlete"].update(timezone="Mars/Olympus"), ("athlete", "timezone")),
        (lambda d: d.update(favourite_colour="red"), ("favourite_colour",)),
        (lambda d: d["running"].update(weekly_distance="12"), ("running", "weekly_distance")),
        (lambda d: d["availability"].update(run_days=["tue", "tue"]), ("availability", "run_days")),
        (lambda d: d["goals"][0].update(date="18/09/2026"), ("goals", 0, "date")),
        (lambda d: d["goals"][0].update(date=20260918), ("goals", 0, "date")),
        (lambda d: d["availability"].update(session_time="6:30"), ("availability", "session_time")),
        (lambda d: d.update(red_flags=["hangnail"]), ("red_flags", 0)),
        (lambda d: d["findings"][0].update(grade=6), ("findings", 0, "grade")),
    ],
)
def test_invalid_fields_are_named(mutate: Any, loc: tuple[Any, ...]) -> None:
    data = base()
    mutate(data)
    with pytest.raises(ValidationError) as caught:
        Intake.model_validate(data)
    assert loc in locs(caught.value)


def _problem_locs(data: dict[str, Any], today: date = date(2026, 1, 1)) -> list[list[Any]]:
    with pytest.raises(InvalidInput) as caught:
        finalize(Intake.model_validate(data), today, loc_prefix=("body",))
    return [problem["loc"] for problem in caught.value.detail]


def test_goal_before_start_is_named() -> None:
    data = base()
    data["goals"][0]["date"] = "2026-05-01"
    assert ["body", "goals", 0, "date"] in _problem_locs(data)


def test_goal_beyond_52_weeks_is_named() -> None:
    data = base()
    data["goals"][1]["date"] = "2027-06-01"
    assert ["body", "goals", 1, "date"] in _problem_locs(data)


def test_long_run_day_must_be_a_run_day() -> None:
    data = base()
    data["availability"]["long_run_day"] = "mon"
    assert ["body", "availability", "long_run_day"] in _problem_locs(data)


def test_runs_per_week_cannot_exceed_run_days() -> None:
    data = base()
    data["running"]["runs_per_week"] = 5
    assert ["body", "running", "runs_per_week"] in _problem_locs(data)


def test_default_start_is_next_monday() -> None:
    data = base()
    del data["start_date"]
    for goal in data["goals"]:
        goal["date"] = "2026-12-20"
    intake = finalize(Intake.model_validate(data), date(2026, 11, 19))  # a Thursday
    assert intake.start_date == date(2026, 11, 23)
    assert next_monday(date(2026, 11, 23)) == date(2026, 11, 30)


def test_stored_form_validates_again() -> None:
    """Regression: times were stored as HH:MM:SS and the stored intake no longer validated."""
    intake = Intake.model_validate(base())
    stored = intake.model_dump(mode="json", exclude_none=True)
    assert stored["availability"]["session_time"] == "06:30"
    assert Intake.model_validate(stored) == intake


def test_names_outside_the_vocabulary_are_named_with_a_suggestion() -> None:
    data = base()
    data["symptoms"][0]["condition"] = "broken_leg"
    data["findings"][0]["name"] = "weak_glute_mde"
    data["restrictions"] = ["no_squats"]
    data["symptoms"][0]["pain_running"] = 11  # reported together with the names
    with pytest.raises(ValidationError) as caught:
        Intake.model_validate(data)
    problems = {tuple(e["loc"]): e for e in caught.value.errors()}
    assert set(problems) >= {
        ("symptoms", 0, "condition"),
        ("symptoms", 0, "pain_running"),
        ("findings", 0, "name"),
        ("restrictions", 0),
    }
    assert "did you mean 'weak_glute_med'" in problems[("findings", 0, "name")]["msg"]
    assert problems[("restrictions", 0)]["type"] == "unknown_term"


def test_an_organisations_own_finding_is_accepted_with_its_vocabulary() -> None:
    data = base()
    data["findings"][0]["name"] = "tight_hip_flexors"
    with pytest.raises(ValidationError, match="tight_hip_flexors"):
        Intake.model_validate(data)
    own = BASE_VOCABULARY.extended(
        "findings", (Term("tight_hip_flexors", "Tight hip flexors", shipped=False),)
    )
    with vocabulary_in_use(own):
        intake = Intake.model_validate(data)
    assert intake.findings[0].name == "tight_hip_flexors"
    with pytest.raises(ValidationError):  # the organisation's vocabulary was in use only there
        Intake.model_validate(data)

"""Runner-facing text speaks the runner's units: a rule's reason that says "16-18 km" reads
"10-11 mi" in a plan for a runner who trains in miles."""

from __future__ import annotations

import re

import pytest

from app.engine.model import RuleSet
from app.intake.vocabulary import Units
from app.plan.build import build_plan
from app.scheduler.units import text_in_units
from tests.conftest import example_intake

KM_DISTANCE = re.compile(r"\d\s?km\b(?!\s+race)")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("long runs of about 16-18 km", "long runs of about 10-11 mi"),
        ("about 18 km a week, a long run near 7 km", "about 11 mi a week, a long run near 4.3 mi"),
        ("a taper of 12–14 km", "a taper of 7.5–8.7 mi"),
        ("A 5 km race needs a base", "A 5 km race needs a base"),  # the race's name stays
        ("18-20 miles (29-32 km)", "18-20 miles (29-32 km)"),  # written in both units already
        ("weekly_km above 30", "weekly_km above 30"),
    ],
)
def test_distances_in_text_read_in_miles(text: str, expected: str) -> None:
    assert text_in_units(text, Units.mi) == expected
    assert text_in_units(text, Units.km) == text


def test_a_plan_in_miles_has_no_kilometres_in_its_reasons_or_notes(ruleset: RuleSet) -> None:
    intake = example_intake("novice_marathon")  # a runner in miles
    assert intake.athlete.units == "mi"
    plan = build_plan(intake, ruleset)
    texts = [*plan.reasons.values(), *(n for s in plan.sessions for n in s.notes), *plan.notes]
    in_km = [t for t in texts if KM_DISTANCE.search(t) and "mile" not in t]
    assert in_km == []
    assert any(re.search(r"\d mi\b", t) for t in plan.reasons.values())

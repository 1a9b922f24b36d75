"""Each item of docs/architecture.md §6 that the other calendar tests do not already pin."""

from __future__ import annotations

from datetime import time

import pytest
from icalendar import Calendar

from app.engine.model import RuleSet
from app.export.ical import CalendarOptions, revision_stamp, to_ical
from app.plan.build import build_plan
from app.plan.models import Plan
from tests.conftest import example_intake


@pytest.fixture(scope="module")
def untimed(ruleset: RuleSet) -> Plan:
    intake = example_intake("knees_no_squat_lunge")
    return build_plan(intake, ruleset)


def render(plan: Plan, **options: object) -> bytes:
    return to_ical(plan, CalendarOptions(stamp=revision_stamp(plan.start), host="test", **options))  # type: ignore[arg-type]


def test_calendar_properties_once_each_with_valid_durations(untimed: Plan) -> None:
    lines = render(untimed, calendar_uid="athlete-1@test").split(b"\r\n")
    header = lines[: lines.index(b"BEGIN:VEVENT")]
    assert sum(line.startswith(b"NAME:") for line in lines) == 1
    assert sum(line.startswith(b"X-WR-CALNAME:") for line in lines) == 1
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT4H" in header
    assert b"X-PUBLISHED-TTL:PT4H" in header
    assert b"COLOR:seagreen" in header
    assert b"UID:athlete-1@test" in header
    assert not any(line.startswith(b"METHOD") for line in lines)


def test_lines_are_crlf_folded_at_75_octets_and_utf8(ruleset: RuleSet) -> None:
    intake = example_intake("knees_no_squat_lunge")
    named = intake.model_copy(
        update={"athlete": intake.athlete.model_copy(update={"name": "Zoë Ñúñez-Østergård 🏃"})}
    )
    body = render(build_plan(named, ruleset))
    body.decode("utf-8")
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert max(len(line) for line in body.split(b"\r\n")) <= 75
    assert "Zoë Ñúñez-Østergård 🏃" in str(Calendar.from_ical(body)["X-WR-CALNAME"])


def test_all_day_events_are_transparent_and_timed_ones_opaque(
    untimed: Plan, ruleset: RuleSet
) -> None:
    events = Calendar.from_ical(render(untimed)).walk("VEVENT")
    assert events
    assert all(str(e["TRANSP"]) == "TRANSPARENT" for e in events)
    intake = example_intake("knees_no_squat_lunge")
    timed = intake.model_copy(
        update={"availability": intake.availability.model_copy(update={"session_time": time(7, 0)})}
    )
    timed_events = Calendar.from_ical(render(build_plan(timed, ruleset))).walk("VEVENT")
    kinds = {(type(e.decoded("DTSTART")).__name__, str(e["TRANSP"])) for e in timed_events}
    assert kinds == {("datetime", "OPAQUE"), ("date", "TRANSPARENT")}  # rest days stay all-day


def test_text_fields_say_what_how_much_and_why(untimed: Plan) -> None:
    events = {
        str(e["UID"]).split("@")[0]: e
        for e in Calendar.from_ical(render(untimed, base_url="https://x.test")).walk("VEVENT")
    }
    run = next(s for s in untimed.sessions if s.kind == "run")
    event = events[run.id]
    assert str(event["SUMMARY"]) == run.title
    assert " mi" in run.title
    description = str(event["DESCRIPTION"])
    assert f"Distance: {run.distance:g} mi" in description
    assert "Why:" in description
    assert untimed.reasons[run.why[0]] in description
    assert b"\r\nCATEGORIES:Run\r\n" in event.to_ical()
    assert str(event["URL"]).startswith(f"https://x.test/v1/plans/{untimed.id}#session-")
    strength = next(s for s in untimed.sessions if s.kind == "strength")
    text = str(events[strength.id]["DESCRIPTION"])
    assert any(f"{e.sets} × {e.reps}" in text for e in strength.exercises if e.reps)


def test_alarms_only_when_asked(untimed: Plan) -> None:
    assert b"BEGIN:VALARM" not in render(untimed)
    with_alarms = render(untimed, alarm_minutes=45)
    assert b"TRIGGER:-PT45M" in with_alarms

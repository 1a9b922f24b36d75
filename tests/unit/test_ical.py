"""iCalendar export v1: deterministic bytes, stable UIDs, all-day dates, time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from icalendar import Calendar

from app.engine.model import RuleSet
from app.export.ical import CalendarOptions, revision_stamp, to_ical
from app.plan.build import build_plan
from app.plan.models import Plan
from tests.conftest import example_intake


@pytest.fixture(scope="module")
def plan(ruleset: RuleSet) -> Plan:
    return build_plan(example_intake("weak_left_glute_hamstring"), ruleset)


def render(plan: Plan) -> bytes:
    return to_ical(plan, CalendarOptions(stamp=revision_stamp(plan.start), host="test"))


def test_same_plan_same_bytes(plan: Plan) -> None:
    assert render(plan) == render(plan)


def test_one_event_per_session_with_uid_from_session_id(plan: Plan) -> None:
    calendar = Calendar.from_ical(render(plan))
    events = calendar.walk("VEVENT")
    assert len(events) == len(plan.sessions)
    assert {str(e["UID"]) for e in events} == {f"{s.id}@test" for s in plan.sessions}


def test_all_day_sessions_are_dates(ruleset: RuleSet) -> None:
    intake = example_intake("weak_left_glute_hamstring")
    untimed = intake.model_copy(
        update={"availability": intake.availability.model_copy(update={"session_time": None})}
    )
    plan = build_plan(untimed, ruleset)
    calendar = Calendar.from_ical(render(plan))
    rest = next(e for e in calendar.walk("VEVENT") if str(e["SUMMARY"]) == "Rest day")
    start, end = rest.decoded("DTSTART"), rest.decoded("DTEND")
    assert type(start) is date
    assert type(end) is date
    assert (end - start).days == 1
    assert b"DTSTART;VALUE=DATE:" in render(plan)


def test_timed_race_has_matching_vtimezone(ruleset: RuleSet) -> None:
    text = render(build_plan(example_intake("relay_then_marathon"), ruleset))
    calendar = Calendar.from_ical(text)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    race = next(e for e in calendar.walk("VEVENT") if str(e["SUMMARY"]).startswith("Race ·"))
    start = race.decoded("DTSTART")
    assert isinstance(start, datetime)
    # 07:00 in New York in September (EDT, UTC-4) is 11:00Z
    assert start.astimezone(UTC) == datetime(2026, 9, 11, 11, 0, tzinfo=UTC)
    assert b"METHOD" not in text
    assert b"RDATE" not in text


def test_timed_event_across_a_clock_change_keeps_its_real_length(ruleset: RuleSet) -> None:
    """Regression: DTEND was the start's wall time plus the duration, so an event spanning the
    clocks jumping forward lasted an hour less than planned; and a start time that does not
    exist (02:30 on the spring-forward day) was read differently by different clients."""
    from zoneinfo import ZoneInfo

    intake = example_intake("weak_left_glute_hamstring")
    sydney = intake.model_copy(
        update={
            "athlete": intake.athlete.model_copy(update={"timezone": "Australia/Sydney"}),
            "availability": intake.availability.model_copy(update={"session_time": time(2, 30)}),
        }
    )
    plan = build_plan(sydney, ruleset)
    calendar = Calendar.from_ical(render(plan))
    zone = ZoneInfo("Australia/Sydney")
    by_uid = {str(e["UID"]).split("@")[0]: e for e in calendar.walk("VEVENT")}
    gap_day = [s for s in plan.sessions if s.date == date(2026, 10, 4) and s.start_time]
    assert gap_day
    for session in gap_day:
        event = by_uid[session.id]
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert start.astimezone(UTC) == datetime(2026, 10, 3, 16, 30, tzinfo=UTC)
        assert start.astimezone(zone).hour == 3  # 02:30 does not exist that day: 03:30
        assert (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() == (
            60 * max(15, session.duration_minutes or 60)
        )

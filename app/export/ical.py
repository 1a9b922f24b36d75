"""Plan → iCalendar (RFC 5545 / 7986), deterministic: the same plan gives the same bytes.

See docs/architecture.md §6: UIDs from session identity, DTSTAMP from the revision time, all-day
sessions as VALUE=DATE with an exclusive DTEND, timed events with a matching VTIMEZONE, and no
METHOD.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vDuration, vText

from app.export.vtimezone import vtimezone
from app.intake.vocabulary import KM_PER_MILE
from app.plan.models import ExerciseOut, Plan, SessionOut

PRODID = "-//StridePlan//Training plan//EN"
REFRESH = timedelta(hours=4)
CATEGORY = {
    "activation": "Activation",
    "strength": "Strength",
    "run": "Run",
    "drills": "Drills",
    "race": "Race",
    "rest": "Rest",
}
COLOR = "seagreen"
RACE_PACE_MIN_PER_KM = 7.0
MAX_EVENT_HOURS = 36


@dataclass(frozen=True, slots=True)
class SessionStamp:
    """What the calendar needs to know about a session's history."""

    sequence: int
    last_modified: datetime


@dataclass(frozen=True, slots=True)
class CalendarOptions:
    stamp: datetime  # the revision time: DTSTAMP of every event
    host: str = "strideplan"
    base_url: str = ""
    name: str | None = None
    history: Mapping[str, SessionStamp] = field(default_factory=dict)
    alarm_minutes: int | None = None
    calendar_uid: str | None = None  # a feed keeps one UID whatever plan it shows


def _dose(entry: ExerciseOut, plan: Plan) -> str:
    if entry.reps is not None:
        amount = f"{entry.sets} × {entry.reps}"
    elif entry.seconds is not None:
        amount = f"{entry.sets} × {entry.seconds} s"
    elif entry.distance_m is not None:
        amount = f"{entry.sets} × {entry.distance_m} m"
    else:
        amount = f"{entry.sets} sets"
    side = (
        f" ({entry.side})"
        if entry.side and entry.side != "both"
        else (" (each side)" if entry.side == "both" else "")
    )
    info = plan.exercises.get(entry.id)
    name = info.name if info is not None else entry.id
    return f"- {name}{side}: {amount}" + (f", {entry.load}" if entry.load else "")


def description(session: SessionOut, plan: Plan) -> str:
    """Plain structured lines: distance, intervals, drills, exercises, notes and why (the
    names and reasons from the plan's `exercises` and `reasons` maps)."""
    units = plan.units
    lines = [session.title]
    if session.distance is not None:
        lines.append(f"Distance: {session.distance:g} {units}")
    for interval in session.intervals:
        walk = f" / {interval.walk_minutes:g} min walk" if interval.walk_minutes else ""
        lines.append(f"Intervals: {interval.repeats} × ({interval.run_minutes:g} min run{walk})")
    if session.drills:
        lines.append("Drills before the run:")
        lines.extend(_dose(e, plan) for e in session.drills)
    blocks: dict[str, list[ExerciseOut]] = {}
    for entry in session.exercises:
        blocks.setdefault(entry.block or "main", []).append(entry)
    titles = {"morning": "Morning", "evening": "Evening", "warm_up": "Warm-up", "main": "Exercises"}
    for block, entries in blocks.items():
        lines.append(f"{titles[block]}:")
        lines.extend(_dose(e, plan) for e in entries)
    if session.notes:
        lines.append("Notes:")
        lines.extend(f"- {note}" for note in session.notes)
    if session.why:
        lines.append("Why:")
        lines.extend(f"- {plan.reasons.get(rule, rule)} [{rule}]" for rule in session.why)
    return "\n".join(lines)


def _timed(session: SessionOut, zone: ZoneInfo, units: str) -> tuple[datetime, datetime] | None:
    """Start and end of a timed session as instants (UTC), the duration counted in real time."""
    if session.start_time is None:
        return None
    # A wall time that does not exist (clocks jump forward) is read with the offset before the
    # jump, as RFC 5545 §3.3.5 says; a repeated one (clocks go back) as its first occurrence.
    start = datetime.combine(session.date, session.start_time, tzinfo=zone).astimezone(UTC)
    minutes = session.duration_minutes or 60
    if session.kind == "race" and session.distance:
        km = session.distance * (KM_PER_MILE if units == "mi" else 1.0)
        minutes = round(km * RACE_PACE_MIN_PER_KM)
    minutes = max(15, min(minutes, MAX_EVENT_HOURS * 60))
    return start, start + timedelta(minutes=minutes)


def _wall_time(instant: datetime, zone: ZoneInfo) -> datetime:
    """The instant as local time with TZID, unless that wall time happens twice (clocks going
    back), where clients disagree on which one is meant: then it is written in UTC."""
    local = instant.astimezone(zone)
    naive = local.replace(tzinfo=None)
    first = naive.replace(tzinfo=zone, fold=0).utcoffset()
    second = naive.replace(tzinfo=zone, fold=1).utcoffset()
    return instant if first != second else local


def _event(session: SessionOut, plan: Plan, zone: ZoneInfo, options: CalendarOptions) -> Event:
    history = options.history.get(session.id)
    # DTSTAMP is when this event's information last changed (RFC 5545 §3.8.7.2, no METHOD), so
    # an untouched session renders to the same bytes in every revision of the feed.
    modified = history.last_modified if history else options.stamp
    event = Event.new(
        uid=f"{session.id}@{options.host}",
        stamp=modified,
        summary=session.title,
        description=description(session, plan),
        categories=[CATEGORY[session.kind]],
        sequence=history.sequence if history else 0,
        last_modified=modified,
    )
    timed = _timed(session, zone, plan.units)
    if timed is None:
        event.add("dtstart", session.date)
        event.add("dtend", session.date + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
    else:
        event.add("dtstart", _wall_time(timed[0], zone))
        event.add("dtend", _wall_time(timed[1], zone))
        event.add("transp", "OPAQUE")
    if options.base_url:
        event.add("url", f"{options.base_url}/v1/plans/{plan.id}#session-{session.id}")
    if options.alarm_minutes is not None and session.kind != "rest":
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", vText(session.title))
        alarm.add("trigger", -timedelta(minutes=options.alarm_minutes))
        event.add_component(alarm)
    return event


def to_ical(plan: Plan, options: CalendarOptions) -> bytes:
    """The plan as an iCalendar feed (CRLF lines folded at 75 octets, UTF-8)."""
    name = options.name or f"StridePlan · {plan.athlete.name}"
    calendar = Calendar.new(
        prodid=PRODID,
        name=name,
        uid=options.calendar_uid or f"{plan.id}@{options.host}",
        color=COLOR,
        refresh_interval=REFRESH,
    )
    calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"  # RFC 7986 §5.7 requires it
    calendar.add("x-published-ttl", vDuration(REFRESH))
    zone = ZoneInfo(plan.athlete.timezone)
    events = [_event(s, plan, zone, options) for s in plan.sessions]
    if any(isinstance(e.get("dtstart").dt, datetime) for e in events):
        first = min(s.date for s in plan.sessions)
        last = max(s.date for s in plan.sessions)
        calendar.add_component(vtimezone(plan.athlete.timezone, first, last))
    for event in events:
        calendar.add_component(event)
    body: bytes = calendar.to_ical()
    return body


def revision_stamp(day: date) -> datetime:
    """A deterministic DTSTAMP for plans that are not stored (midnight UTC of `day`)."""
    return datetime.combine(day, time(0, 0), tzinfo=UTC)

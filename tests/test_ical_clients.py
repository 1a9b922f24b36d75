"""The calendar feed as six independent clients read it (docs/architecture.md §6.3).

Golden feeds are rendered from plans at test time; every client must see exactly the plan's
sessions: the same UIDs, the same all-day dates and the same UTC instants (plus summaries and
alarm triggers where the client reports them). Broken fixtures, made from good feeds by text
surgery, must each be rejected by at least one client, which proves the harness can fail.

The Sydney feed has sessions at 02:30 on both clock-change days (a wall time that never happens
and one that happens twice): regression cover for feeds that clients used to read an hour apart.

ical.js (Node) and the libical checker (C) are external tools: when absent their cases are
skipped with the install command, or fail when STRIDEPLAN_REQUIRE_ICAL_CLIENTS=1 (CI).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, NoReturn
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events  # type: ignore[import-untyped]
import vobject  # type: ignore[import-untyped]
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar, Component

from app.engine.model import RuleSet
from app.export.ical import CalendarOptions, revision_stamp, to_ical
from app.intake.checks import finalize
from app.intake.models import Intake
from app.plan.build import build_plan
from app.plan.models import Plan
from tests.conftest import TODAY, load_example

HOST = "feeds.strideplan.test"
CLIENT_DIR = Path(__file__).parent / "ical_clients"
REQUIRE = os.environ.get("STRIDEPLAN_REQUIRE_ICAL_CLIENTS") == "1"
Start = date | datetime | str  # str: a value no consumer could place (floating, unparsed)


class Seen(NamedTuple):
    """One event as a client read it; None where the client does not report the field."""

    uid: str | None
    start: Start
    summary: str | None = None
    alarms: tuple[timedelta, ...] | None = None


class Feed(NamedTuple):
    plan: Plan
    body: bytes
    expected: Counter[Seen]


Reader = Callable[[Path], list[Seen]]


class Rejected(Exception):
    """A client reported a problem (errors recorded, non-zero exit) without raising itself."""


# --- golden feeds -------------------------------------------------------------------------------
def _intake(example: str, **changes: Any) -> Intake:
    return finalize(Intake.model_validate(load_example(example) | changes), TODAY)


def _expected(plan: Plan, alarm_minutes: int | None) -> Counter[Seen]:
    zone, seen = ZoneInfo(plan.athlete.timezone), Counter[Seen]()
    for s in plan.sessions:
        start: Start = s.date
        if s.start_time is not None:
            start = datetime.combine(s.date, s.start_time, zone).astimezone(UTC)
        alarms: tuple[timedelta, ...] = ()
        if alarm_minutes is not None and s.kind != "rest":
            alarms = (-timedelta(minutes=alarm_minutes),)
        seen[Seen(f"{s.id}@{HOST}", start, s.title, alarms)] += 1
    return seen


def _golden(name: str, ruleset: RuleSet) -> Feed:
    alarm_minutes = None
    berlin = {"name": "Bryan", "timezone": "Europe/Berlin", "units": "km"}
    if name == "new_york_timed":
        intake = _intake("weak_left_glute_hamstring")
    elif name == "berlin_race_0915":  # only the race is timed: 09:15 CEST must be 07:15Z
        race = {"name": "Berlin 10K", "date": "2026-07-12", "type": "10k", "start_time": "09:15"}
        untimed = load_example("itb_10k_soon")["availability"] | {"session_time": None}
        changes = {"athlete": berlin, "start_date": "2026-05-04", "goals": [race]}
        intake = _intake("itb_10k_soon", availability=untimed, **changes)
    elif name == "all_day_across_dst":  # 2 March to June: 29 March (CET→CEST) inside
        intake = _intake("knees_no_squat_lunge", athlete=berlin, start_date="2026-03-02")
    elif name == "non_ascii":
        athlete = {"name": "Zoë Müller", "timezone": "America/Denver", "units": "mi"}
        race = load_example("ultra_sciatic")["goals"][0]
        race |= {"name": "Cañón Trail 50K", "start_time": "06:00"}
        intake = _intake("ultra_sciatic", athlete=athlete, goals=[race])
    elif name == "alarms_sydney":
        timed = load_example("returning_after_months_off")["availability"]
        timed |= {"session_time": "07:00"}
        intake = _intake("returning_after_months_off", availability=timed)
        alarm_minutes = 30
    elif name == "sydney_0230_dst_edges":  # 02:30 occurs twice on 5 Apr, never on 4 Oct 2026
        example = load_example("returning_after_months_off")
        timed = example["availability"] | {"session_time": "02:30"}
        goal = example["goals"][0] | {"date": "2026-10-18"}
        intake = _intake("returning_after_months_off", availability=timed, goals=[goal])
    else:
        raise AssertionError(name)
    plan = build_plan(intake, ruleset)
    options = CalendarOptions(
        stamp=revision_stamp(plan.start),
        host=HOST,
        base_url="https://plans.example.test",
        alarm_minutes=alarm_minutes,
    )
    return Feed(plan, to_ical(plan, options), _expected(plan, alarm_minutes))


GOLDEN = ["new_york_timed", "berlin_race_0915", "all_day_across_dst", "non_ascii", "alarms_sydney"]
GOLDEN += ["sydney_0230_dst_edges"]


@pytest.fixture(scope="module")
def feeds(ruleset: RuleSet) -> dict[str, Feed]:
    made = {name: _golden(name, ruleset) for name in GOLDEN}
    # The premises of the golden feeds, checked once.
    race = next(s for s in made["berlin_race_0915"].plan.sessions if s.kind == "race")
    race_0715 = (f"{race.id}@{HOST}", datetime(2026, 7, 12, 7, 15, tzinfo=UTC))
    assert race_0715 in {(e.uid, e.start) for e in made["berlin_race_0915"].expected}
    untimed = made["all_day_across_dst"].plan.sessions
    assert all(s.start_time is None for s in untimed)
    assert untimed[0].date < date(2026, 3, 29) < untimed[-1].date
    assert "Zoë Müller".encode() in made["non_ascii"].body
    assert b"BEGIN:VALARM" in made["alarms_sydney"].body
    edges = {s.date for s in made["sydney_0230_dst_edges"].plan.sessions}
    assert {date(2026, 4, 5), date(2026, 10, 4)} <= edges
    return made


# --- clients ------------------------------------------------------------------------------------
def _start(value: object) -> Start:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else f"floating {value.isoformat()}"
    return value if isinstance(value, date) else f"unparsed {value!r}"


def _alarms(triggers: list[Any]) -> tuple[timedelta, ...]:
    return tuple(t if isinstance(t, timedelta) else timedelta.max for t in triggers)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _from_icalendar(e: Component) -> Seen:
    alarms = _alarms([a.decoded("TRIGGER") for a in e.walk("VALARM")])
    return Seen(_text(e.get("UID")), _start(e.decoded("DTSTART")), _text(e.get("SUMMARY")), alarms)


def _icalendar_calendar(path: Path) -> Calendar:
    calendar = Calendar.from_ical(path.read_bytes())
    if problems := [(c.name, e) for c in calendar.walk() for e in c.errors]:
        raise Rejected(f"icalendar recorded errors: {problems}")
    if missing := calendar.get_missing_tzids():
        raise Rejected(f"icalendar: TZIDs without a VTIMEZONE: {sorted(missing)}")
    return calendar


def read_icalendar(path: Path) -> list[Seen]:
    return [_from_icalendar(e) for e in _icalendar_calendar(path).walk("VEVENT")]


def read_recurring(path: Path) -> list[Seen]:
    calendar = _icalendar_calendar(path)
    starts = [e.decoded("DTSTART") for e in calendar.walk("VEVENT")]
    days = [s.date() if isinstance(s, datetime) else s for s in starts]  # local dates
    window = recurring_ical_events.of(calendar).between(min(days), max(days) + timedelta(days=1))
    return [_from_icalendar(e) for e in window]


def read_ical(path: Path) -> list[Seen]:
    calendar = IcsCalendarStream.calendar_from_ics(path.read_text(encoding="utf-8"))
    return [
        Seen(e.uid, _start(e.dtstart), e.summary, _alarms([a.trigger for a in e.alarm]))
        for e in calendar.events
    ]


_VOBJECT_TEXT = ("uid", "summary")


def read_vobject(path: Path) -> list[Seen]:
    calendar: Any = vobject.readOne(path.read_text(encoding="utf-8"), validate=True)
    seen = []
    for e in calendar.contents.get("vevent", []):
        uid, summary = (e.contents[k][0].value if k in e.contents else None for k in _VOBJECT_TEXT)
        alarms = _alarms([a.trigger.value for a in e.contents.get("valarm", [])])
        seen.append(Seen(uid, _start(e.dtstart.value), summary, alarms))
    return seen


def _unavailable(why: str, install: str) -> NoReturn:
    message = f"{why}; install it with `{install}`"
    if REQUIRE:
        pytest.fail(f"{message} (STRIDEPLAN_REQUIRE_ICAL_CLIENTS=1: the ical clients are required)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        _unavailable("ical.js needs Node.js, and `node` is not on PATH", "apt-get install nodejs")
    if not (CLIENT_DIR / "node_modules" / "ical.js" / "package.json").is_file():
        _unavailable("ical.js is not installed", "npm ci --prefix tests/ical_clients")
    return found


@pytest.fixture(scope="session")
def libical_check(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for tool in ("gcc", "pkg-config"):
        if shutil.which(tool) is None:
            _unavailable(f"the libical checker needs `{tool}`", f"apt-get install {tool}")
    flags = _run(["pkg-config", "--cflags", "--libs", "libical"])
    if flags.returncode != 0:
        _unavailable("libical is not installed (pkg-config libical)", "apt-get install libical-dev")
    binary = tmp_path_factory.mktemp("libical") / "libical_check"
    source = CLIENT_DIR / "libical_check.c"
    built = _run(["gcc", "-Wall", "-o", str(binary), str(source), *flags.stdout.split()])
    assert built.returncode == 0, f"compiling {source} failed:\n{built.stderr}"
    return binary


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def _icaljs_start(value: str | None) -> Start:
    if value is not None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value)
    if value is not None and value.endswith("Z"):
        return datetime.fromisoformat(value)
    return f"floating {value}"


def _icaljs_seen(e: dict[str, Any]) -> Seen:
    alarms = [None if s is None else timedelta(seconds=s) for s in e["alarms"]]
    return Seen(e["uid"], _icaljs_start(e["start"]), e["summary"], _alarms(alarms))


def read_icaljs(node: str, path: Path) -> list[Seen]:
    done = _run([node, str(CLIENT_DIR / "icaljs_check.mjs"), str(path)])
    if done.returncode != 0:
        raise Rejected(f"ical.js failed: {done.stderr.strip()}")
    result = json.loads(done.stdout)
    if result["errors"]:
        raise Rejected(f"ical.js reported errors: {result['errors']}")
    return [_icaljs_seen(e) for e in result["events"]]


def _libical_start(value: str) -> Start:
    try:
        if re.fullmatch(r"\d{8}", value):
            return datetime.strptime(value, "%Y%m%d").date()
        if re.fullmatch(r"\d{8}T\d{6}Z", value):
            return datetime.strptime(value, "%Y%m%dT%H%M%S%z")
    except ValueError:
        pass  # e.g. libical's month 13: not a date any consumer can place
    return f"unparsed {value}"


def read_libical(binary: Path, path: Path) -> list[Seen]:
    done = _run([str(binary), str(path)])
    lines = [line.split("\t") for line in done.stdout.splitlines()]
    if done.returncode != 0:
        raise Rejected(f"libical: {lines[-1:]}: {done.stderr.strip()[:300]}")
    return [Seen(uid or None, _libical_start(value)) for uid, value in lines[:-1]]


CLIENTS = ["icalendar", "ical", "vobject", "recurring-ical-events", "ical.js", "libical"]
PYTHON_CLIENTS: dict[str, Reader] = {
    "icalendar": read_icalendar,
    "ical": read_ical,
    "vobject": read_vobject,
    "recurring-ical-events": read_recurring,
}


def reader(client: str, request: pytest.FixtureRequest) -> Reader:
    """The client's reader; ical.js and libical ask for their tools (skip or fail if absent)."""
    if client == "ical.js":
        node: str = request.getfixturevalue("node")
        return lambda path: read_icaljs(node, path)
    if client == "libical":
        binary: Path = request.getfixturevalue("libical_check")
        return lambda path: read_libical(binary, path)
    return PYTHON_CLIENTS[client]


def _project(expected: Counter[Seen], client: str) -> Counter[Seen]:
    """What the client can report: the libical checker prints only UID and start."""
    if client != "libical":
        return expected
    return Counter(Seen(e.uid, e.start) for e in expected.elements())


def _diff(expected: Counter[Seen], seen: Counter[Seen]) -> str:
    missing, extra = list((expected - seen).elements()), list((seen - expected).elements())
    return (
        f"{len(missing)} expected but not read, e.g. {missing[:3]}; "
        f"{len(extra)} read but not in the plan, e.g. {extra[:3]}"
    )


# --- golden feeds × clients ---------------------------------------------------------------------


def _case(feed: str, client: str) -> Any:
    return pytest.param(feed, client, id=f"{feed}-{client}")


@pytest.mark.parametrize(("feed", "client"), [_case(f, c) for f in GOLDEN for c in CLIENTS])
def test_client_reads_the_plan(
    feed: str, client: str, feeds: dict[str, Feed], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    read = reader(client, request)
    path = tmp_path / f"{feed}.ics"
    path.write_bytes(feeds[feed].body)
    seen = Counter(read(path))
    expected = _project(feeds[feed].expected, client)
    assert seen == expected, f"{client} on {feed}: {_diff(expected, seen)}"


# --- broken fixtures ----------------------------------------------------------------------------

VTIMEZONE = re.compile(rb"BEGIN:VTIMEZONE\r\n.*?END:VTIMEZONE\r\n", re.S)
RAW_NEWLINE = b"DESCRIPTION:Warm up first\r\nthen run the intervals\\n"  # not a fold: no space
BROKEN: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "truncated": ("new_york_timed", lambda b: b[: len(b) // 2]),
    "bad_date": (
        "all_day_across_dst",
        lambda b: re.sub(rb"DTSTART;VALUE=DATE:\d{8}", b"DTSTART;VALUE=DATE:20261345", b, count=1),
    ),
    "missing_vtimezone": ("berlin_race_0915", lambda b: VTIMEZONE.sub(b"", b)),
    "missing_uid": ("new_york_timed", lambda b: re.sub(rb"(?m)^UID:.*\r\n", b"", b)),
    "raw_newline_in_description": (
        "all_day_across_dst",
        lambda b: b.replace(b"DESCRIPTION:", RAW_NEWLINE, 1),
    ),
}


@pytest.mark.parametrize("broken", list(BROKEN))
def test_broken_feed_is_rejected(
    broken: str, feeds: dict[str, Feed], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    source, surgery = BROKEN[broken]
    body = surgery(feeds[source].body)
    assert body != feeds[source].body
    assert broken != "missing_vtimezone" or (b";TZID=" in body and b"VTIMEZONE" not in body)
    assert broken != "missing_uid" or b"\nUID:" not in body
    path = tmp_path / f"{broken}.ics"
    path.write_bytes(body)
    verdicts: dict[str, str] = {}
    unavailable: list[str] = []
    for client in CLIENTS:
        try:
            read = reader(client, request)
        except pytest.skip.Exception as skipped:  # a missing tool, when not required
            unavailable.append(f"{client} ({skipped.msg})")
            continue
        try:
            seen = Counter(read(path))
        except Exception as error:  # raising, or reporting errors, is a rejection
            verdicts[client] = f"rejects: {type(error).__name__}: {str(error)[:300]}"
            continue
        expected = _project(feeds[source].expected, client)
        ok = seen == expected
        verdicts[client] = "accepts" if ok else f"rejects: wrong values: {_diff(expected, seen)}"
    rejecting = sorted(c for c, v in verdicts.items() if v.startswith("rejects"))
    report = "\n".join(f"  {c}: {v}" for c, v in verdicts.items())
    # Kept in the report (e.g. --junitxml) for every run, not only on failure.
    request.node.user_properties += [("rejected_by", ", ".join(rejecting)), ("verdicts", report)]
    if not rejecting and unavailable:
        pytest.skip(f"no available client rejects {broken}; not run: {'; '.join(unavailable)}")
    assert rejecting, f"no client rejects {broken} (from {source}); verdicts:\n{report}"

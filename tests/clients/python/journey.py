"""A runner's journey through the Python client that openapi-python-client generates from
openapi/openapi.json, type-checked with `mypy --strict` (no casts, no Any) and run against a
live server by tests/test_generated_clients.py.

Usage: python journey.py BASE_URL API_KEY  (the generated package `strideplan_client` on the
path). Prints one line per step; exits non-zero on the first surprise."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import NoReturn

from strideplan_client import AuthenticatedClient, Client
from strideplan_client.api.athletes import (
    create_athlete,
    create_check_in,
    create_intake,
    create_plan,
)
from strideplan_client.api.calendar import create_feed_token, get_feed
from strideplan_client.api.plans import get_plan
from strideplan_client.models import (
    AthleteCreate,
    AthleteIn,
    AthleteOut,
    AvailabilityIn,
    CheckInIn,
    CheckInResponse,
    ErrorBody,
    FeedTokenCreate,
    FeedTokenCreated,
    FieldError,
    GoalIn,
    GoalType,
    Intake,
    IntakeOut,
    Phase,
    Plan,
    Priority,
    RunningIn,
    SessionKind,
    Units,
    VerdictLoad,
    Weekday,
)


def fail(message: str) -> NoReturn:
    raise SystemExit(f"journey failed: {message}")


def main(base_url: str, api_key: str) -> None:
    client = AuthenticatedClient(base_url=base_url, token=api_key, raise_on_unexpected_status=True)
    today = datetime.now(UTC).date()

    athlete = create_athlete.sync(
        client=client, body=AthleteCreate(name="Priya", timezone="UTC", units=Units.KM)
    )
    if not isinstance(athlete, AthleteOut):
        fail(f"create_athlete: {athlete}")
    print(f"athlete {athlete.id} ({athlete.units.value}, version {athlete.version})")

    intake = Intake(
        athlete=AthleteIn(name="Priya", timezone="UTC", units=Units.KM),
        start_date=today - timedelta(days=today.weekday() + 7),  # last week's Monday
        running=RunningIn(weekly_distance=15, longest_run=6, runs_per_week=3),
        availability=AvailabilityIn(
            run_days=[Weekday.TUE, Weekday.THU, Weekday.SAT], long_run_day=Weekday.SAT
        ),
        goals=[
            GoalIn(
                name="Park 5K",
                date=today + timedelta(days=84),
                type_=GoalType.VALUE_0,
                priority=Priority.A,
            )
        ],
    )
    stored = create_intake.sync(athlete.id, client=client, body=intake)
    if not isinstance(stored, IntakeOut):
        fail(f"create_intake: {stored}")
    print(f"intake {stored.id}: {len(stored.intake.goals or [])} goal(s)")

    created = create_plan.sync(athlete.id, client=client)  # the body is optional
    if not isinstance(created, Plan):
        fail(f"create_plan: {created}")
    plan = get_plan.sync(created.id, client=client)
    if not isinstance(plan, Plan) or plan.id != created.id:
        fail(f"get_plan: {plan}")
    print(
        f"plan {plan.id} revision {plan.revision}: {plan.status.value}, {plan.start} to {plan.end}"
    )

    first_week = [s for s in plan.sessions if s.date < plan.start + timedelta(days=7)]
    if not first_week:
        fail("the first week has no sessions")
    for session in first_week:
        names = [
            f"{plan.exercises[entry.id].name} {entry.sets}x{entry.reps or entry.seconds or ''}"
            for entry in [*session.exercises, *session.drills]
        ]
        print(f"  {session.date} {session.kind.value:<10} {session.title}: {', '.join(names)}")
        if session.phase not in (Phase.ACTIVATION, Phase.STRENGTH, Phase.RUNNING_FORM):
            fail(f"session {session.id} is in phase {session.phase} in the plan's first week")

    done = [s.id for s in first_week if s.kind != SessionKind.REST]
    answer = create_check_in.sync(
        athlete.id,
        client=client,
        body=CheckInIn(date=plan.start + timedelta(days=6), pain_during=2, completed=done),
    )
    if not isinstance(answer, CheckInResponse):
        fail(f"create_check_in: {answer}")
    if answer.verdict.load == VerdictLoad.REGRESS:
        fail("2/10 pain during running is no reason to regress")
    print(
        f"check-in {answer.check_in.id}: {answer.verdict.load.value}; plan revision "
        f"{answer.plan.revision}, {len(answer.changes.changed)} session(s) changed"
    )

    token = create_feed_token.sync(
        athlete.id, client=client, body=FeedTokenCreate(name="Phone", alarm_minutes=30)
    )
    if not isinstance(token, FeedTokenCreated):
        fail(f"create_feed_token: {token}")
    secret = token.url.rsplit("/", 1)[-1].removesuffix(".ics")
    public = Client(base_url=base_url)
    feed = get_feed.sync_detailed(secret, client=public)
    etag = feed.headers.get("etag")
    if feed.status_code != HTTPStatus.OK or etag is None or b"BEGIN:VCALENDAR" not in feed.content:
        fail(f"feed: {feed.status_code}")
    again = get_feed.sync_detailed(secret, client=public, if_none_match=etag)
    if again.status_code != HTTPStatus.NOT_MODIFIED or again.content:
        fail(f"feed with If-None-Match: {again.status_code}")
    print(f"feed {len(feed.content)} bytes, ETag {etag}; again: {again.status_code.value}")

    checking = AuthenticatedClient(base_url=base_url, token=api_key)
    refused = create_athlete.sync(
        client=checking, body=AthleteCreate(name="", timezone="Nowhere/Atlantis")
    )
    if not isinstance(refused, ErrorBody) or isinstance(refused.detail, str):
        fail(f"an invalid athlete was not a 422 with field errors: {refused}")
    fields = {
        ".".join(str(part) for part in item.loc)
        for item in refused.detail
        if isinstance(item, FieldError)
    }
    if fields != {"body.name", "body.timezone"}:
        fail(f"the 422 named {sorted(fields)}")
    print(f"422 {refused.error}: {', '.join(sorted(fields))}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

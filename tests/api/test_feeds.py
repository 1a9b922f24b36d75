"""The subscribable calendar: secret URLs, caching headers, and re-plans a calendar can follow."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from app.config import Settings
from app.logs import RedactSecrets
from app.storage.db import make_engine
from tests.conftest import load_example, new_org


def athlete_with_plan(client: TestClient, auth: dict[str, str], intake: dict[str, Any]) -> str:
    athlete = client.post(
        "/v1/athletes", json={"name": "A", "timezone": "UTC"}, headers=auth
    ).json()["id"]
    assert (
        client.post(f"/v1/athletes/{athlete}/intakes", json=intake, headers=auth).status_code == 201
    )
    assert client.post(f"/v1/athletes/{athlete}/plans", headers=auth).status_code == 201
    return str(athlete)


def new_token(
    client: TestClient, auth: dict[str, str], athlete: str, **body: Any
) -> dict[str, Any]:
    response = client.post(f"/v1/athletes/{athlete}/feed-tokens", json=body or None, headers=auth)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def feed_path(token: dict[str, Any]) -> str:
    url: str = token["url"]
    return "/feeds/" + url.rsplit("/feeds/", 1)[1]


def test_feed_tokens_are_listed_a_page_at_a_time(client: TestClient, auth: dict[str, str]) -> None:
    """An athlete's tokens come in pages like every list, without another athlete's."""
    athlete = athlete_with_plan(client, auth, load_example("couch_to_5k"))
    other = athlete_with_plan(client, auth, load_example("couch_to_5k"))
    made = [new_token(client, auth, athlete, name=f"t{i}")["id"] for i in range(3)]
    new_token(client, auth, other, name="not theirs")
    path = f"/v1/athletes/{athlete}/feed-tokens"
    first = client.get(path, params={"limit": 2}, headers=auth).json()
    assert len(first["items"]) == 2
    assert first["next_cursor"] is not None
    rest = client.get(path, params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth)
    listed = [t["id"] for t in [*first["items"], *rest.json()["items"]]]
    assert sorted(listed) == sorted(made)  # each once, and none of the other athlete's
    assert rest.json()["next_cursor"] is None


def test_token_is_shown_once_and_stored_hashed(
    client: TestClient, auth: dict[str, str], settings: Settings
) -> None:
    athlete = athlete_with_plan(client, auth, load_example("weak_left_glute_hamstring"))
    token = new_token(client, auth, athlete, name="phone")
    secret = token["url"].rsplit("/feeds/", 1)[1].removesuffix(".ics")
    assert token["url"] == f"https://plans.example.test/feeds/{secret}.ics"
    assert token["webcal_url"] == f"webcal://plans.example.test/feeds/{secret}.ics"
    assert secret.startswith("spf_")
    random_part = secret[len("spf_") + 11 :]  # after the 10-character lookup and "_"
    assert len(random_part) * 6 >= 128  # base64url characters carry 6 bits each
    listed = client.get(f"/v1/athletes/{athlete}/feed-tokens", headers=auth)
    assert secret not in listed.text
    assert listed.json()["items"][0]["name"] == "phone"
    assert listed.json()["next_cursor"] is None
    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM feed_tokens")).all()
    engine.dispose()
    assert rows
    assert secret not in repr(rows)


def test_feed_headers_conditional_requests_and_head(
    client: TestClient, auth: dict[str, str]
) -> None:
    athlete = athlete_with_plan(client, auth, load_example("weak_left_glute_hamstring"))
    path = feed_path(new_token(client, auth, athlete))
    first = client.get(path, headers={"Accept-Encoding": "gzip", "Accept": "application/json"})
    assert first.status_code == 200
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "content-encoding" not in first.headers
    assert first.headers["cache-control"].startswith("private")
    assert first.headers["referrer-policy"] == "no-referrer"
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert first.content.startswith(b"BEGIN:VCALENDAR\r\n")
    assert client.get(path).content == first.content  # whatever the Accept header says
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    not_modified = client.get(path, headers={"If-Modified-Since": modified})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    long_ago = format_datetime(datetime(2020, 1, 1, tzinfo=UTC), usegmt=True)
    assert client.get(path, headers={"If-Modified-Since": long_ago}).status_code == 200
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    head = client.head(path)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == etag
    assert int(head.headers["content-length"]) == len(first.content)


def test_unknown_and_revoked_tokens_are_404(client: TestClient, auth: dict[str, str]) -> None:
    athlete = athlete_with_plan(client, auth, load_example("weak_left_glute_hamstring"))
    keep, drop = new_token(client, auth, athlete), new_token(client, auth, athlete)
    assert client.get(feed_path(drop)).status_code == 200
    deleted = client.delete(f"/v1/athletes/{athlete}/feed-tokens/{drop['id']}", headers=auth)
    assert deleted.status_code == 204
    assert client.get(feed_path(drop)).status_code == 404
    assert client.get(feed_path(keep)).status_code == 200
    assert (
        client.delete(f"/v1/athletes/{athlete}/feed-tokens/{drop['id']}", headers=auth).status_code
        == 404
    )
    for bad in (
        "/feeds/nothing.ics",
        "/feeds/spf_0123456789_wrong.ics",
        feed_path(keep).replace("_", "-", 1),
    ):
        assert client.get(bad).status_code == 404
    listed = {
        t["id"]: t
        for t in client.get(f"/v1/athletes/{athlete}/feed-tokens", headers=auth).json()["items"]
    }
    assert listed[drop["id"]]["revoked"]
    assert not listed[keep["id"]]["revoked"]
    assert listed[keep["id"]]["last_used_at"] is not None


def test_other_tenants_cannot_touch_tokens(
    client: TestClient, auth: dict[str, str], settings: Settings
) -> None:
    athlete = athlete_with_plan(client, auth, load_example("weak_left_glute_hamstring"))
    token = new_token(client, auth, athlete)
    other = {"Authorization": f"Bearer {new_org(settings, 'Rival')[1]}"}
    assert client.post(f"/v1/athletes/{athlete}/feed-tokens", headers=other).status_code == 404
    assert client.get(f"/v1/athletes/{athlete}/feed-tokens", headers=other).status_code == 404
    assert (
        client.delete(
            f"/v1/athletes/{athlete}/feed-tokens/{token['id']}", headers=other
        ).status_code
        == 404
    )


def test_a_year_long_plan_stays_under_one_megabyte(
    client: TestClient, auth: dict[str, str]
) -> None:
    intake = load_example("weak_left_glute_hamstring")
    intake["goals"] = [
        {"name": "Next year's marathon", "date": "2027-05-01", "type": "marathon", "priority": "A"}
    ]
    athlete = athlete_with_plan(client, auth, intake)
    body = client.get(feed_path(new_token(client, auth, athlete, alarm_minutes=30))).content
    assert 300_000 < len(body) < 1_000_000
    assert b"BEGIN:VALARM" in body
    assert b"TRIGGER:-PT30M" in body


def _events(body: bytes) -> dict[str, bytes]:
    """Each VEVENT's exact bytes by UID."""
    blocks = re.findall(rb"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", body, flags=re.S)
    return {re.search(rb"\r\nUID:([^\r]+)", b).group(1).decode(): b for b in blocks}  # type: ignore[union-attr]


def test_replan_moves_and_deletes_runs_and_leaves_the_rest_byte_identical(
    client: TestClient, auth: dict[str, str]
) -> None:
    """A low-volume runner: a check-in with pain 6/10 steps the load back, so the coming weeks
    hold fewer, shorter runs. Runs that move keep their identity ('the n-th run of the week')
    and get a higher SEQUENCE, dropped runs leave the feed, and every other event keeps its
    exact bytes."""
    intake = {
        "athlete": {"name": "Ana", "timezone": "Europe/Berlin", "units": "km"},
        "start_date": "2026-03-02",
        "running": {"weekly_distance": 7, "longest_run": 2.5, "runs_per_week": 4},
        "availability": {"run_days": ["mon", "tue", "thu", "sat"], "long_run_day": "sat"},
    }
    athlete = athlete_with_plan(client, auth, intake)
    path = feed_path(new_token(client, auth, athlete))
    before = _events(client.get(path).content)
    result = client.post(
        f"/v1/athletes/{athlete}/check-ins",
        json={"date": "2026-04-01", "pain_during": 6, "pain_next_morning": 1},
        headers=auth,
    ).json()
    assert result["verdict"]["load"] == "regress"
    moved = [c for c in result["changes"]["changed"] if c["before"]["date"] != c["after"]["date"]]
    assert moved
    assert len(result["changes"]["removed"]) >= 1
    after = _events(client.get(path).content)
    uid = {c["after"]["id"]: f"{c['after']['id']}@strideplan.app" for c in moved}
    for session_id in uid:
        old, new = before[uid[session_id]], after[uid[session_id]]
        sequence = (int(re.search(rb"SEQUENCE:(\d+)", b).group(1)) for b in (old, new))  # type: ignore[union-attr]
        assert next(sequence) < next(sequence)
    removed = {r["id"] + "@strideplan.app" for r in result["changes"]["removed"]}
    assert removed <= set(before)
    assert not removed & set(after)
    changed = {c["after"]["id"] + "@strideplan.app" for c in result["changes"]["changed"]}
    untouched = set(before) - changed - removed
    assert len(untouched) > 50
    assert all(before[u] == after[u] for u in untouched)


def test_the_access_log_never_shows_a_token() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/feeds/spf_0123456789_SECRETSECRET.ics?x=1", "1.1", 200),
        None,
    )
    RedactSecrets().filter(record)
    line = record.getMessage()
    assert "SECRET" not in line
    assert "/feeds/[redacted]" in line
    key = logging.LogRecord("app", logging.INFO, __file__, 1, "key %s", ("sp_live_abc_DEF",), None)
    RedactSecrets().filter(key)
    assert "DEF" not in key.getMessage()


def test_feed_follows_replans(client: TestClient, auth: dict[str, str]) -> None:
    athlete = athlete_with_plan(client, auth, load_example("weak_left_glute_hamstring"))
    path = feed_path(new_token(client, auth, athlete))
    first = client.get(path)
    client.post(
        f"/v1/athletes/{athlete}/check-ins",
        json={"date": "2026-06-10", "pain_during": 6, "pain_next_morning": 3},
        headers=auth,
    )
    second = client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200
    assert second.headers["etag"] != first.headers["etag"]
    assert datetime.now(UTC) - datetime.strptime(
        second.headers["last-modified"], "%a, %d %b %Y %H:%M:%S GMT"
    ).replace(tzinfo=UTC) < timedelta(minutes=5)


def test_a_new_plan_keeps_the_feed_uid_and_counts_sequences_on(
    client: TestClient, auth: dict[str, str]
) -> None:
    """Regression: a second plan for the same athlete restarted every SEQUENCE at 0 for the same
    UIDs, which calendars ignore as older than what they have."""
    athlete = athlete_with_plan(client, auth, load_example("weak_left_glute_hamstring"))
    token = new_token(client, auth, athlete)
    first = client.get(feed_path(token)).content
    client.post(
        f"/v1/athletes/{athlete}/check-ins",
        json={"date": "2026-06-10", "pain_during": 6, "pain_next_morning": 3},
        headers=auth,
    )
    replanned = client.get(feed_path(token))
    bumped = _events(replanned.content)
    changed = {u for u, b in bumped.items() if b"SEQUENCE:1" in b}
    assert changed
    assert client.post(f"/v1/athletes/{athlete}/plans", headers=auth).status_code == 201
    answer = client.get(feed_path(token))  # at once: no stale answer from the feed's cache
    assert answer.headers["etag"] != replanned.headers["etag"]
    second = answer.content
    calendar_uid = re.search(rb"\r\nUID:([^\r]+)\r\nX-PUBLISHED", first)
    assert calendar_uid is not None
    assert calendar_uid.group(0) in second
    assert secret_of(token).encode() not in second
    after = _events(second)
    live = {u for u, b in after.items() if b"STATUS:CANCELLED" not in b}
    assert b"STATUS:CANCELLED" in second or len(live) == len(after)
    assert len(live & set(bumped)) > 0.9 * len(bumped)  # the same sessions keep their UIDs
    assert changed & set(after)
    for uid in changed & set(after):
        assert b"SEQUENCE:0" not in after[uid]


def secret_of(token: dict[str, Any]) -> str:
    url: str = token["url"]
    return url.rsplit("/feeds/", 1)[1].removesuffix(".ics")

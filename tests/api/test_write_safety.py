"""Idempotency keys, optimistic concurrency, pagination caps, rate limits, request ids,
metrics."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, update

from app.config import Settings
from app.intake.models import Intake
from app.main import create_app
from app.services.plans import store_intake
from app.storage.scope import Tenant
from app.storage.tables import Athlete, IntakeRecord
from tests.conftest import load_example


def test_same_key_same_body_replays_the_first_response(
    client: TestClient, auth: dict[str, str]
) -> None:
    headers = {**auth, "Idempotency-Key": "create-ann-1"}
    first = client.post("/v1/athletes", json={"name": "Ann"}, headers=headers)
    again = client.post("/v1/athletes", json={"name": "Ann"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    listed = client.get("/v1/athletes", headers=auth).json()["items"]
    assert [a["id"] for a in listed].count(first.json()["id"]) == 1
    other = client.post("/v1/athletes", json={"name": "Bob"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["error"] == "idempotency_key_reused"
    fresh = client.post(
        "/v1/athletes", json={"name": "Ann"}, headers={**auth, "Idempotency-Key": "create-ann-2"}
    )
    assert fresh.json()["id"] != first.json()["id"]


def test_updates_need_the_current_etag(client: TestClient, auth: dict[str, str]) -> None:
    athlete = client.post("/v1/athletes", json={"name": "Dee"}, headers=auth).json()
    url = f"/v1/athletes/{athlete['id']}"
    etag = client.get(url, headers=auth).headers["etag"]
    assert etag == '"v1"'
    assert client.patch(url, json={"name": "Dee A"}, headers=auth).status_code == 428
    stale = client.patch(url, json={"name": "Dee A"}, headers={**auth, "If-Match": '"v0"'})
    assert stale.status_code == 412
    ok = client.patch(url, json={"name": "Dee A"}, headers={**auth, "If-Match": etag})
    assert ok.status_code == 200
    assert ok.headers["etag"] == '"v2"'
    assert ok.json()["name"] == "Dee A"
    again = client.patch(url, json={"name": "Dee B"}, headers={**auth, "If-Match": etag})
    assert again.status_code == 412


def test_a_concurrent_update_between_check_and_write_is_412(
    client: TestClient, auth: dict[str, str]
) -> None:
    """If-Match is enforced by the write itself: another request that updates the athlete after
    this one checked its ETag makes this one fail (412) instead of overwriting it."""
    services = client.app.state.services  # type: ignore[attr-defined]
    athlete = client.post("/v1/athletes", json={"name": "Fay"}, headers=auth).json()
    url = f"/v1/athletes/{athlete['id']}"

    done: list[bool] = []

    def meanwhile(session: Any, _context: Any, _instances: Any) -> None:
        if not done and any(isinstance(obj, Athlete) for obj in session.dirty):
            done.append(True)
            with services.engine.begin() as other:
                other.execute(
                    update(Athlete)
                    .where(Athlete.id == athlete["id"])
                    .values(name="Fay B", version=Athlete.version + 1)
                )

    event.listen(services.sessions, "before_flush", meanwhile)
    try:
        lost = client.patch(url, json={"name": "Fay A"}, headers={**auth, "If-Match": '"v1"'})
    finally:
        event.remove(services.sessions, "before_flush", meanwhile)
    assert done
    assert lost.status_code == 412, lost.text
    assert lost.json()["error"] == "precondition_failed"
    now = client.get(url, headers=auth)
    assert (now.json()["name"], now.headers["etag"]) == ("Fay B", '"v2"')


def test_a_concurrent_duplicate_write_is_409_not_500(
    client: TestClient, auth: dict[str, str]
) -> None:
    """Two intakes posted at once both read "next version = 1"; the database's unique
    constraint stops the second, which is answered as a conflict to retry."""
    services = client.app.state.services  # type: ignore[attr-defined]
    intake = load_example("weak_left_glute_hamstring")
    # the same profile as the intake's, so that only the intake versions race
    athlete_id = client.post("/v1/athletes", json=intake["athlete"], headers=auth).json()["id"]
    done: list[bool] = []

    def meanwhile(session: Any, _context: Any, _instances: Any) -> None:
        if not done and any(isinstance(obj, IntakeRecord) for obj in session.new):
            done.append(True)
            with services.sessions() as other, other.begin():
                athlete = other.get(Athlete, athlete_id)
                tenant = Tenant(other, athlete.organization_id)
                store_intake(tenant, athlete, Intake.model_validate(intake))

    event.listen(services.sessions, "before_flush", meanwhile)
    try:
        raced = client.post(f"/v1/athletes/{athlete_id}/intakes", json=intake, headers=auth)
    finally:
        event.remove(services.sessions, "before_flush", meanwhile)
    assert done
    assert raced.status_code == 409, raced.text
    assert raced.json()["error"] == "conflict"
    again = client.post(f"/v1/athletes/{athlete_id}/intakes", json=intake, headers=auth)
    assert again.status_code == 201
    assert again.json()["version"] == 2


def test_a_patch_cannot_null_a_required_field(client: TestClient, auth: dict[str, str]) -> None:
    athlete = client.post("/v1/athletes", json={"name": "Eve"}, headers=auth).json()
    url = f"/v1/athletes/{athlete['id']}"
    for field in ("name", "timezone", "units"):
        etag = client.get(url, headers=auth).headers["etag"]
        refused = client.patch(url, json={field: None}, headers={**auth, "If-Match": etag})
        assert refused.status_code == 422, refused.text
        assert ["body", field] in [item["loc"][:2] for item in refused.json()["detail"]]
    unchanged = client.get(url, headers=auth)
    assert unchanged.headers["etag"] == '"v1"'
    assert unchanged.json()["name"] == "Eve"
    cleared = client.patch(
        url, json={"external_ref": None}, headers={**auth, "If-Match": '"v1"'}
    )  # optional fields may still be cleared
    assert cleared.status_code == 200


def test_pages_are_capped_and_walk_everything(client: TestClient, auth: dict[str, str]) -> None:
    made = {
        client.post("/v1/athletes", json={"name": f"P{i}"}, headers=auth).json()["id"]
        for i in range(5)
    }
    assert client.get("/v1/athletes?limit=101", headers=auth).status_code == 422
    seen: list[str] = []
    cursor = None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/v1/athletes{query}", headers=auth).json()
        assert len(page["items"]) <= 2
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert made <= set(seen)
    assert len(seen) == len(set(seen))
    assert client.get("/v1/athletes?cursor=!!", headers=auth).status_code == 422


@pytest.fixture
def strict_client(settings: Settings) -> Iterator[TestClient]:
    limited = settings.model_copy(
        update={"rate_limit_per_minute": 12, "feed_rate_limit_per_minute": 6}
    )
    with TestClient(create_app(limited)) as test_client:
        yield test_client


def test_rate_limits_answer_429_with_retry_after(
    strict_client: TestClient, auth: dict[str, str]
) -> None:
    statuses = [strict_client.get("/v1/athletes", headers=auth).status_code for _ in range(15)]
    assert statuses[0] == 200
    assert 429 in statuses
    limited = strict_client.get("/v1/athletes", headers=auth)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"] == "rate_limited"
    feeds = [strict_client.get("/feeds/spf_0123456789_x.ics").status_code for _ in range(10)]
    assert 429 in feeds
    assert strict_client.get("/healthz").status_code == 200  # not limited


def test_rewriting_the_authorization_header_earns_no_fresh_bucket(
    strict_client: TestClient, auth: dict[str, str]
) -> None:
    key = auth["Authorization"].split(" ", 1)[1]
    variants = [f"Bearer {key}", f"bearer {key}", f"BEARER   {key}", f"  Bearer {key}  "]
    statuses = [
        strict_client.get("/v1/athletes", headers={"Authorization": variants[i % 4]}).status_code
        for i in range(16)
    ]
    assert statuses[0] == 200
    assert statuses.count(429) >= 3  # one bucket for the key, however it is written
    doubled = strict_client.get(
        "/v1/athletes",
        headers=[("Authorization", f"Bearer {key}"), ("Authorization", "Bearer junk")],
    )
    assert doubled.status_code == 400
    assert "one Authorization header" in doubled.json()["detail"]


def test_made_up_keys_meet_the_per_address_limit_before_any_lookup(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each made-up key has a bucket of its own, but one address gets only so many requests
    a minute: past them, 429 without looking the key up."""
    from app.api import deps

    lookups: list[int] = []
    real = deps._authenticate

    def counted(*args: Any) -> Any:
        lookups.append(1)
        return real(*args)

    monkeypatch.setattr(deps, "_authenticate", counted)
    limited = settings.model_copy(
        update={"address_rate_limit_per_minute": 40, "rate_limit_per_minute": 1200}
    )
    with TestClient(create_app(limited)) as client:
        statuses = [
            client.get("/v1/athletes", headers={"Authorization": f"Bearer made-up-{i}"}).status_code
            for i in range(60)
        ]
        assert statuses[0] == 401
        assert statuses.count(429) >= 30
        assert len(lookups) == statuses.count(401) <= 25  # the burst, then nothing
        assert client.get("/healthz").status_code == 200  # not limited


def test_request_ids_and_metrics(client: TestClient, auth: dict[str, str]) -> None:
    given = client.get("/v1/athletes", headers={**auth, "X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = client.get("/v1/athletes", headers={**auth, "X-Request-ID": "bad id!"})
    assert made.headers["x-request-id"] != "bad id!"
    assert len(made.headers["x-request-id"]) == 32
    metrics = client.get("/metrics").text
    assert (
        'strideplan_http_requests_total{method="GET",route="/v1/athletes",status="200"}' in metrics
    )
    assert "strideplan_http_request_seconds_bucket" in metrics


def test_a_write_is_committed_before_its_response_starts(
    client: TestClient, auth: dict[str, str]
) -> None:
    """A 201 must never reach the client (or the idempotency record) for a transaction that
    has not committed yet: the next request may arrive on another connection at once."""
    services = client.app.state.services  # type: ignore[attr-defined]
    order: list[str] = []
    app = client.app

    async def watching(scope: Any, receive: Any, send: Any) -> None:
        async def send_and_note(message: Any) -> None:
            if message["type"] == "http.response.start":
                order.append("response")
            await send(message)

        await app(scope, receive, send_and_note)

    def flushed(session: Any, _context: Any) -> None:
        if any(isinstance(obj, Athlete) for obj in session.new):
            session.info["creates_athlete"] = True

    def slow_commit(session: Any) -> None:
        time.sleep(0.3)  # a slow commit must hold the response back, not race it

    def committed(session: Any) -> None:
        if session.info.pop("creates_athlete", False):
            order.append("commit")

    event.listen(services.sessions, "after_flush", flushed)
    event.listen(services.sessions, "before_commit", slow_commit)
    event.listen(services.sessions, "after_commit", committed)
    try:  # the started app, seen from outside (no second start-up)
        created = TestClient(watching).post("/v1/athletes", json={"name": "Ordered"}, headers=auth)
    finally:
        event.remove(services.sessions, "after_flush", flushed)
        event.remove(services.sessions, "before_commit", slow_commit)
        event.remove(services.sessions, "after_commit", committed)
    assert created.status_code == 201
    assert "commit" in order
    assert order.index("commit") < order.index("response")

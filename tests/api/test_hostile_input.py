"""A protected safety core and text hygiene at the edge (SQLite and PostgreSQL): unsafe rule
sets never publish, control characters and absurd dates are a 422 naming the problem, and
whatever still fails is a JSON 500 with the request id."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from tests.conftest import load_example

YAML = {"content-type": "application/yaml"}


def new_draft(client: TestClient, auth: dict[str, str]) -> tuple[str, str, dict[str, str]]:
    draft = client.post("/v1/rulesets/drafts", json={"based_on": "base"}, headers=auth)
    assert draft.status_code == 201, draft.text
    return draft.json()["id"], draft.headers["etag"], draft.json()["files"]


def put_file(
    client: TestClient, auth: dict[str, str], draft: str, etag: str, name: str, text: str
) -> Any:
    return client.put(
        f"/v1/rulesets/drafts/{draft}/files/{name}",
        content=text.encode(),
        headers={**auth, **YAML, "If-Match": etag},
    )


def test_a_draft_that_strips_a_contraindication_never_publishes(
    client: TestClient, auth: dict[str, str]
) -> None:
    draft, etag, files = new_draft(client, auth)
    stripped = files["catalog.yaml"].replace(
        "    contraindications: [loaded_hip_flexion, external_load]\n", "", 1
    )
    assert stripped != files["catalog.yaml"]
    assert put_file(client, auth, draft, etag, "catalog.yaml", stripped).status_code == 200
    checked = client.post(f"/v1/rulesets/drafts/{draft}/validate", headers=auth).json()
    assert not checked["ok"]
    assert any("contraindication" in p["message"] for p in checked["problems"])
    refused = client.post(f"/v1/rulesets/drafts/{draft}/publish", headers=auth)
    assert refused.status_code == 409
    assert "romanian_deadlift" in refused.text


def test_a_draft_without_red_flag_rules_never_publishes(
    client: TestClient, auth: dict[str, str]
) -> None:
    draft, etag, _ = new_draft(client, auth)
    removed = client.delete(
        f"/v1/rulesets/drafts/{draft}/files/red_flags.yaml", headers={**auth, "If-Match": etag}
    )
    assert removed.status_code == 204, removed.text
    refused = client.post(f"/v1/rulesets/drafts/{draft}/publish", headers=auth)
    assert refused.status_code == 409
    assert "protected safety core" in refused.text
    active = client.get("/v1/rulesets", headers=auth).json()["active"]
    assert active["custom"] is False  # the organisation stays on the shipped rules


def test_a_check_in_of_nine_regresses_whatever_the_rules_say(
    client: TestClient, auth: dict[str, str]
) -> None:
    """A coach's rule that answers every check-in with `progress` cannot loosen the pain
    model: pain above 5/10 still steps the load back."""
    draft, etag, _ = new_draft(client, auth)
    reckless = (
        "topic: Reckless\nrules:\n  - id: reckless.progress\n    title: Always progress\n"
        "    why: Always push on.\n    domain: safety\n    priority: 100\n"
        "    when: {fact: check_in}\n    then:\n      - respond: {load: progress}\n"
    )
    # the pain-monitoring file replaced by a rule that always progresses
    assert put_file(client, auth, draft, etag, "pain_monitoring.yaml", reckless).status_code == 200
    tested = client.post(f"/v1/rulesets/drafts/{draft}/test", headers=auth).json()
    assert tested["ok"] is False
    assert any("pain" in p for p in tested["safety"]["pain_model"])
    refused = client.post(f"/v1/rulesets/drafts/{draft}/publish", headers=auth)
    assert refused.status_code == 409
    # and even with such rules active the runtime floor holds (checked without publishing)
    from app.plan.protect import pain_floor

    assert pain_floor(9, False)[0] == "regress"
    assert pain_floor(2, True)[0] == "regress"
    assert pain_floor(5, False)[0] == "hold"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/athletes", {"name": "Sa\u0000rah", "timezone": "UTC"}, "name"),
        ("/v1/athletes", {"name": "Sarah", "timezone": "UTC\u0007"}, "timezone"),
        ("/v1/coaches", {"name": "Le\u0000e"}, "name"),
    ],
)
def test_control_characters_in_json_are_422_naming_the_field(
    client: TestClient, auth: dict[str, str], path: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(path, json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"
    assert field in response.text
    assert "control characters" in response.text
    assert response.headers["x-request-id"]


def test_control_characters_in_paths_queries_and_yaml_are_422(
    client: TestClient, auth: dict[str, str]
) -> None:
    for url in ("/v1/athletes/%00", "/v1/athletes?cursor=%00", "/v1/plans/abc%07"):
        response = client.get(url, headers=auth)
        assert response.status_code == 422, (url, response.text)
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["x-request-id"]
    draft, etag, files = new_draft(client, auth)
    poisoned = files["load.yaml"].replace("title: Running pain above 5/10", 'title: "Run\\0"', 1)
    assert poisoned != files["load.yaml"]
    stored = put_file(client, auth, draft, etag, "load.yaml", poisoned)
    assert stored.status_code == 200  # the escape itself is plain text
    checked = client.post(f"/v1/rulesets/drafts/{draft}/validate", headers=auth).json()
    assert not checked["ok"]
    assert any(
        p["file"] == "load.yaml" and p["line"] and "control characters" in p["message"]
        for p in checked["problems"]
    )
    raw = put_file(client, auth, draft, stored.headers["etag"], "x.yaml", "topic: a\x00b\n")
    assert raw.status_code == 422
    assert "line 1" in raw.text


@pytest.mark.parametrize("start", ["0001-01-01", "9999-12-27", "1850-06-01"])
def test_absurd_dates_are_422(client: TestClient, auth: dict[str, str], start: str) -> None:
    intake = {**load_example("weak_left_glute_hamstring"), "start_date": start}
    response = client.post("/v1/plans/preview", json=intake, headers=auth)
    assert response.status_code == 422, response.text
    assert "start_date" in response.text
    assert "1900-01-01" in response.text


def test_an_unexpected_fault_is_a_json_500_with_the_request_id(settings: Settings) -> None:
    from app.main import create_app

    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("injected fault")

    with TestClient(app, raise_server_exceptions=False) as local:
        response = local.get("/boom", headers={"X-Request-ID": "fault-test-1234"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-request-id"] == "fault-test-1234"
    body = response.json()
    assert body["error"] == "internal_error"
    assert "fault-test-1234" in body["detail"]
    assert "injected" not in response.text


def test_a_forged_cursor_is_422_not_a_database_error(
    client: TestClient, auth: dict[str, str]
) -> None:
    import base64

    for athlete in ("A", "B", "C"):
        client.post("/v1/athletes", json={"name": athlete, "timezone": "UTC"}, headers=auth)
    page = client.get("/v1/athletes?limit=1", headers=auth).json()
    assert page["next_cursor"]
    following = client.get(f"/v1/athletes?limit=1&cursor={page['next_cursor']}", headers=auth)
    assert following.status_code == 200
    for raw in (b"2026-01-01T00:00:00|abc", b"2026-01-01T00:00:00+00:00|a'b;--"):
        forged = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        response = client.get(f"/v1/athletes?cursor={forged}", headers=auth)
        assert response.status_code == 422, response.text
        assert "cursor" in response.text


def test_previews_of_two_athletes_never_share_ids(client: TestClient, auth: dict[str, str]) -> None:
    intake = load_example("weak_left_glute_hamstring")
    other = {**intake, "athlete": {**intake["athlete"], "name": "Someone Else"}}
    first = client.post("/v1/plans/preview", json=intake, headers=auth).json()
    again = client.post("/v1/plans/preview", json=intake, headers=auth).json()
    second = client.post("/v1/plans/preview", json=other, headers=auth).json()
    assert first["id"] == again["id"]  # deterministic for the same athlete
    assert first["id"] != second["id"]
    assert not {s["id"] for s in first["sessions"]} & {s["id"] for s in second["sessions"]}


def test_job_errors_name_the_rule_but_never_the_sql() -> None:
    from sqlalchemy.exc import OperationalError

    from app.errors import SafetyViolation
    from app.services.rulesets import job_error

    leaked = OperationalError("UPDATE plans SET document=%(document)s", {}, RuntimeError("db"))
    text = job_error(leaked, "job-1", "plan-1")
    assert "UPDATE" not in text
    assert "document" not in text
    assert "job-1" in text
    assert "OperationalError" in text  # the kind of failure, never its statement
    refused = SafetyViolation(
        "the plan breaks a hard limit", detail=["growth (week of 2026-03-09)"]
    )
    assert "growth (week of 2026-03-09)" in job_error(refused, "job-1", "plan-1")


def test_a_body_in_the_wrong_format_is_415(client: TestClient, auth: dict[str, str]) -> None:
    text = client.post(
        "/v1/athletes",
        content=b'{"name": "A", "timezone": "UTC"}',
        headers={**auth, "content-type": "text/plain"},
    )
    assert text.status_code == 415, text.text
    assert text.json()["error"] == "unsupported_media_type"
    assert "application/json" in text.json()["detail"]
    draft, etag, _ = new_draft(client, auth)
    as_json = client.put(
        f"/v1/rulesets/drafts/{draft}/files/x.yaml",
        content=b"topic: x\n",
        headers={**auth, "content-type": "application/json", "If-Match": etag},
    )
    assert as_json.status_code == 415
    assert "application/yaml" in as_json.json()["detail"]


def test_an_intake_that_changes_the_profile_changes_the_athletes_etag(
    client: TestClient, auth: dict[str, str]
) -> None:
    created = client.post("/v1/athletes", json={"name": "Sam", "timezone": "UTC"}, headers=auth)
    athlete = created.json()["id"]
    etag = client.get(f"/v1/athletes/{athlete}", headers=auth).headers["etag"]
    intake = load_example("weak_left_glute_hamstring")
    assert intake["athlete"]["name"] != "Sam"
    client.post(f"/v1/athletes/{athlete}/intakes", json=intake, headers=auth)
    now = client.get(f"/v1/athletes/{athlete}", headers=auth)
    assert now.json()["name"] == intake["athlete"]["name"]
    assert now.headers["etag"] != etag
    stale = client.patch(
        f"/v1/athletes/{athlete}", json={"name": "Old"}, headers={**auth, "If-Match": etag}
    )
    assert stale.status_code == 412
    same = client.post(f"/v1/athletes/{athlete}/intakes", json=intake, headers=auth)
    assert same.status_code == 201
    assert (
        client.get(f"/v1/athletes/{athlete}", headers=auth).headers["etag"] == now.headers["etag"]
    )


def test_a_test_run_is_bounded_by_its_case_count(
    client: TestClient, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.services.rulesets as rulesets

    monkeypatch.setattr(rulesets, "MAX_TEST_CASES", 5)
    draft, _, _ = new_draft(client, auth)
    response = client.post(f"/v1/rulesets/drafts/{draft}/test", headers=auth)
    assert response.status_code == 413
    assert "at most 5" in response.json()["detail"]


def test_a_draft_cannot_grow_past_the_rule_set_size_limit(
    client: TestClient, auth: dict[str, str]
) -> None:
    """Each file fits the request limit, but the draft as a whole stays within the rule set's
    size limit: the file that would cross it is a 413 and the draft keeps what it had."""
    draft, etag, _ = new_draft(client, auth)
    filler = "topic: Notes\ndescription: >\n" + "".join(
        f"  {'words ' * 30}\n" for _ in range(1200)
    )  # about 220 KB, under the request limit
    stored = 0
    for k in range(20):
        answer = put_file(client, auth, draft, etag, f"notes{k}.yaml", filler)
        if answer.status_code != 200:
            break
        etag, stored = answer.json()["etag"], k + 1  # the draft's (the header: the file's)
    assert answer.status_code == 413, answer.text
    assert "2,097,152" in answer.json()["detail"]
    files = client.get(f"/v1/rulesets/drafts/{draft}", headers=auth).json()["files"]
    assert sorted(n for n in files if n.startswith("notes")) == sorted(
        f"notes{k}.yaml" for k in range(stored)
    )
    assert stored >= 5


def test_a_test_run_stops_when_the_client_goes_away(
    client: TestClient, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`…/test` checks between pieces of work whether its client is still there; once the
    connection is closed it stops (499) instead of burning CPU for nobody."""
    import time

    import anyio

    from app.services import rulesets as service

    draft, _, _ = new_draft(client, auth)
    real, ran = service.run_case, []  # type: ignore[attr-defined]

    def slow_case(*args: Any) -> Any:
        ran.append(1)
        time.sleep(0.05)
        return real(*args)

    monkeypatch.setattr(service, "run_case", slow_case)
    cases = len(client.app.state.services.library.base.cases)  # type: ignore[attr-defined]
    assert cases >= 30  # a run that would take more than 1.5 s
    sent: list[dict[str, Any]] = []
    requested = [False]

    async def receive() -> dict[str, Any]:
        if not requested[0]:
            requested[0] = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}  # the client is gone as soon as it has asked

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    path = f"/v1/rulesets/drafts/{draft}/test"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"authorization", auth["Authorization"].encode()), (b"host", b"test")],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
        "state": {},
        "app": client.app,
    }
    started = time.monotonic()
    anyio.run(client.app, scope, receive, send)  # type: ignore[arg-type]
    assert time.monotonic() - started < 1.5
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    assert status == 499
    assert 0 < len(ran) < cases // 2


def test_job_failures_parse_rule_and_week_only_from_well_formed_lines() -> None:
    from app.errors import SafetyViolation
    from app.services.regeneration import failure

    refused = SafetyViolation(
        "refused",
        detail=[
            "growth (week of 2026-03-09): grew 14 %",
            "taper: too sharp",
            "growth (week of 2026-13-45): not a date",
            {"loc": ["x"]},
        ],
    )
    problems = failure(refused, "job-1", "plan-1")["problems"]
    assert problems[0] == {"rule": "growth", "week": "2026-03-09", "message": "grew 14 %"}
    assert problems[1] == {"rule": "taper", "week": None, "message": "too sharp"}
    assert problems[2]["rule"] is None  # kept whole, never a 500 when the job is read
    assert problems[3]["rule"] is None

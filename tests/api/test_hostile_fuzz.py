"""Hostile values on every route, driven from the OpenAPI document, on both databases: NUL
and other control characters, dates far outside any season, forged cursors and oversized ids
in every path and query parameter, and in every field of a valid body one at a time. No
response may be a 500 (a 4xx names the problem; a few inputs are simply harmless)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from app.config import PROJECT_ROOT, Settings
from app.main import create_app
from tests.conftest import load_example, new_org

SPEC = json.loads((PROJECT_ROOT / "openapi" / "openapi.json").read_text())
OPERATIONS = sorted(
    (path, method.upper(), op)
    for path, item in SPEC["paths"].items()
    for method, op in item.items()
)
HOSTILE_TEXT = ["a\x00b", "\x01", "line\x1fbreak", "\x7f", "x" * 5000]
HOSTILE_PARAMS = [
    "a\x00b",
    "\x01\x02",
    "0001-01-01",
    "9999-12-31",
    "-1",
    "1e308",
    "eyJhdCI6ICIyMDI2LTAxLTAxVDAwOjAwOjAwIiwgImlkIjogIngifQ",  # a forged cursor
    "x" * 500,
]
HOSTILE_VALUES: list[Any] = [
    *HOSTILE_TEXT,
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    -1,
    10**12,
    1e308,
    None,
    [],
    {},
]


@pytest.fixture(scope="module")
def fuzz_client(settings: Settings) -> Iterator[TestClient]:
    relaxed = settings.model_copy(
        update={"rate_limit_per_minute": 0, "feed_rate_limit_per_minute": 0}
    )
    with TestClient(create_app(relaxed), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def world(fuzz_client: TestClient, settings: Settings) -> dict[str, Any]:
    """An organisation with an athlete, its intake and plan, a draft and a calendar token:
    real ids, so hostile bodies reach past the look-ups."""
    auth = {"Authorization": f"Bearer {new_org(settings, 'Hostile fuzz')[1]}"}
    client = fuzz_client
    athlete = client.post("/v1/athletes", json={"name": "Fuzz"}, headers=auth).json()["id"]
    intake = load_example("weak_left_glute_hamstring")
    assert client.post(f"/v1/athletes/{athlete}/intakes", json=intake, headers=auth).is_success
    plan = client.post(f"/v1/athletes/{athlete}/plans", headers=auth).json()
    draft = client.post("/v1/rulesets/drafts", json={"based_on": "base"}, headers=auth)
    token = client.post(f"/v1/athletes/{athlete}/feed-tokens", json={}, headers=auth).json()
    return {
        "auth": auth,
        "ids": {
            "athlete_id": athlete,
            "plan_id": plan["id"],
            "draft_id": draft.json()["id"],
            "filename": "load.yaml",
            "token_id": token["id"],
            "token": token["url"].rsplit("/", 1)[1].removesuffix(".ics"),
            "key_id": "none",
            "job_id": "none",
            "number": "1",
        },
        "bodies": {
            "/v1/api-keys": {"name": "fuzz key", "role": "coach"},
            "/v1/athletes": {"name": "Ann", "timezone": "Europe/Paris", "units": "km"},
            "/v1/athletes/{athlete_id}": {"name": "Ann B"},
            "/v1/athletes/{athlete_id}/check-ins": {
                "date": plan["sessions"][20]["date"],
                "pain_during": 3,
                "pain_next_morning": 2,
                "red_flags": [],
                "illness": [],
                "notes": "fine",
            },
            "/v1/athletes/{athlete_id}/feed-tokens": {"name": "phone", "alarm_minutes": 30},
            "/v1/athletes/{athlete_id}/intakes": intake,
            "/v1/athletes/{athlete_id}/plans": {"start_date": plan["start"]},
            "/v1/coaches": {"name": "Coach"},
            "/v1/plans/preview": intake,
            "/v1/rulesets/drafts": {"based_on": "base"},
            "/v1/rulesets/drafts/{draft_id}/preview": {"athlete_ids": [athlete]},
            "/v1/rulesets/rollback": {"version": 1},
        },
    }


def fill(path: str, ids: dict[str, str], override: dict[str, str] | None = None) -> str:
    for name, value in {**ids, **(override or {})}.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


def mutations(body: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every leaf of a body replaced, one at a time, by each hostile value."""
    if isinstance(body, dict):
        for key, value in body.items():
            yield from mutations(value, (*at, key))
    elif isinstance(body, list) and body:
        yield from mutations(body[0], (*at, 0))
    else:
        for value in HOSTILE_VALUES:
            yield at, value


def replaced(body: Any, at: tuple[Any, ...], value: Any) -> Any:
    if not at:
        return value
    head, rest = at[0], at[1:]
    if isinstance(body, dict):
        return {**body, head: replaced(body[head], rest, value)}
    return [replaced(body[0], rest, value), *body[1:]]


def send(client: TestClient, method: str, url: str, auth: dict[str, str], **kw: Any) -> Any:
    headers = {**auth, "If-Match": "*", **kw.pop("headers", {})}
    return client.request(method, url, headers=headers, **kw)


@pytest.mark.parametrize(
    ("path", "method", "op"), OPERATIONS, ids=[f"{m} {p}" for p, m, _ in OPERATIONS]
)
def test_no_hostile_value_is_a_500(
    fuzz_client: TestClient, world: dict[str, Any], path: str, method: str, op: dict[str, Any]
) -> None:
    auth, ids = world["auth"], world["ids"]
    body = world["bodies"].get(path)
    yaml = "application/yaml" in op.get("requestBody", {}).get("content", {})
    seen: list[tuple[str, int]] = []

    def check(response: Any, what: str) -> None:
        seen.append((what, response.status_code))
        assert response.status_code != 500, (what, response.text[:300])
        assert response.status_code < 500 or response.status_code == 503, what

    base = {"json": body} if body is not None else {}
    if yaml:
        base = {"content": b"topic: Fuzz\n", "headers": {"content-type": "application/yaml"}}
    params = [p for p in op.get("parameters", []) if p["in"] in ("path", "query")]
    for param in params:
        for value in HOSTILE_PARAMS:
            if param["in"] == "path":
                url = fill(path, ids, {param["name"]: value})
                check(send(fuzz_client, method, url, auth, **base), f"{param['name']}={value!r}")
            else:
                url = fill(path, ids) + f"?{param['name']}={quote(value, safe='')}"
                check(send(fuzz_client, method, url, auth, **base), f"?{param['name']}={value!r}")
    url = fill(path, ids)
    if body is not None:
        for at, value in mutations(body):
            check(send(fuzz_client, method, url, auth, json=replaced(body, at, value)), str(at))
    if yaml:
        for text in HOSTILE_TEXT:
            content = f"topic: Fuzz\ndescription: '{text}'\n".encode("utf-8", "surrogatepass")
            check(
                send(fuzz_client, method, url, auth, content=content,
                     headers={"content-type": "application/yaml"}),
                f"yaml {text[:10]!r}",
            )  # fmt: skip
    assert seen or not (params or body is not None or yaml)

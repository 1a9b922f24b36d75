"""The served plan document: texts stated once, gzip when the client accepts it."""

from __future__ import annotations

import gzip
import json

from fastapi.testclient import TestClient

from tests.conftest import load_example


def preview(
    client: TestClient, auth: dict[str, str], encoding: str
) -> tuple[dict[str, str], bytes]:
    # stream=True keeps the body as sent on the wire (httpx would otherwise decode gzip)
    with client.stream(
        "POST",
        "/v1/plans/preview",
        json=load_example("weak_left_glute_hamstring"),
        headers={**auth, "Accept-Encoding": encoding},
    ) as response:
        assert response.status_code == 200
        return dict(response.headers), b"".join(response.iter_raw())


def test_reasons_and_exercises_are_listed_once_and_referred_to(
    client: TestClient, auth: dict[str, str]
) -> None:
    _, body = preview(client, auth, "identity")
    plan = json.loads(body)
    session_rules = {rule for s in plan["sessions"] for rule in s["why"]}
    assert session_rules
    assert session_rules <= set(plan["reasons"])
    assert all(isinstance(text, str) and text for text in plan["reasons"].values())
    for text in plan["reasons"].values():  # each reason's text appears once in the document
        assert body.count(json.dumps(text).encode()) == 1
    entries = [e for s in plan["sessions"] for e in [*s["exercises"], *s.get("drills", [])]]
    assert entries
    assert all("name" not in e for e in entries)
    assert {e["id"] for e in entries} == set(plan["exercises"])
    info = plan["exercises"]["clamshell"]
    assert info["name"] == "Clamshell"
    assert info["cue"] in info["cues"]


def test_json_is_gzipped_when_accepted(client: TestClient, auth: dict[str, str]) -> None:
    plain_headers, plain = preview(client, auth, "identity")
    assert "content-encoding" not in plain_headers
    headers, body = preview(client, auth, "gzip")
    assert headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers["vary"].lower()
    assert gzip.decompress(body) == plain
    assert len(body) * 5 < len(plain)


def test_calendar_files_are_never_gzipped(client: TestClient, auth: dict[str, str]) -> None:
    athlete = client.post(
        "/v1/athletes", json={"name": "Ann", "timezone": "UTC", "units": "km"}, headers=auth
    ).json()["id"]
    intake = load_example("couch_to_5k")
    assert client.post(f"/v1/athletes/{athlete}/intakes", json=intake, headers=auth).is_success
    plan = client.post(f"/v1/athletes/{athlete}/plans", headers=auth).json()
    with client.stream(
        "GET", f"/v1/plans/{plan['id']}.ics", headers={**auth, "Accept-Encoding": "gzip"}
    ) as response:
        assert response.status_code == 200
        assert "content-encoding" not in response.headers
        assert b"".join(response.iter_raw()).startswith(b"BEGIN:VCALENDAR")

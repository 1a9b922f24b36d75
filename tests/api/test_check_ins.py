"""Check-ins feed the pain-monitoring rules and re-plan from the next day (SQLite and
PostgreSQL)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import load_example

CHECK_IN_DAY = "2026-06-10"  # a Wednesday in the strength phase of the seed runner's plan


def setup_plan(client: TestClient, auth: dict[str, str]) -> tuple[str, dict[str, Any]]:
    athlete = client.post(
        "/v1/athletes",
        json={"name": "Sarah", "timezone": "America/New_York", "units": "mi"},
        headers=auth,
    ).json()["id"]
    client.post(
        f"/v1/athletes/{athlete}/intakes",
        json=load_example("weak_left_glute_hamstring"),
        headers=auth,
    )
    plan = client.post(f"/v1/athletes/{athlete}/plans", headers=auth).json()
    return athlete, plan


def week(plan: dict[str, Any], start: str) -> dict[str, Any]:
    return next(w for w in plan["weeks"] if w["start"] == start)


def check_in(client: TestClient, auth: dict[str, str], athlete: str, **body: Any) -> Any:
    return client.post(
        f"/v1/athletes/{athlete}/check-ins", json={"date": CHECK_IN_DAY, **body}, headers=auth
    )


def test_pain_six_regresses_the_next_week(client: TestClient, auth: dict[str, str]) -> None:
    athlete, before = setup_plan(client, auth)
    response = check_in(client, auth, athlete, pain_during=6, pain_next_morning=3)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["verdict"]["load"] == "regress"
    assert any(w["rule"] == "pain.too_much" for w in result["verdict"]["why"])
    after = result["plan"]
    assert after["revision"] == before["revision"] + 1
    assert after["id"] == before["id"]
    next_week = week(before, "2026-06-15")
    level = max(
        w["planned_distance"]
        for w in before["weeks"]
        if w["start"] < "2026-06-15" and not w["deload"]
    )
    regressed = week(after, "2026-06-15")["planned_distance"]
    assert regressed < next_week["planned_distance"]
    assert regressed < level  # one step back from the last normal week, not forward
    assert f"check_in.{CHECK_IN_DAY}" in week(after, "2026-06-15")["why"]
    assert "6/10" in after["reasons"][f"check_in.{CHECK_IN_DAY}"]
    # the past is kept exactly, and unchanged sessions keep their ids
    past_before = [s for s in before["sessions"] if s["date"] <= CHECK_IN_DAY]
    assert [s for s in after["sessions"] if s["date"] <= CHECK_IN_DAY] == past_before
    changed_ids = {c["after"]["id"] for c in result["changes"]["changed"]}
    assert changed_ids
    assert result["changes"]["unchanged"] > 0
    ids_before = {s["id"] for s in before["sessions"]}
    assert changed_ids <= ids_before
    stored = client.get(f"/v1/plans/{after['id']}", headers=auth).json()
    assert stored == after


def test_pain_two_that_settles_progresses(client: TestClient, auth: dict[str, str]) -> None:
    athlete, before = setup_plan(client, auth)
    result = check_in(client, auth, athlete, pain_during=2, pain_next_morning=1).json()
    assert result["verdict"]["load"] == "progress"
    after = result["plan"]
    assert week(after, "2026-06-15") == week(before, "2026-06-15")
    upcoming = [w for w in after["weeks"] if w["start"] >= "2026-06-15"]
    grows = [
        b["planned_distance"] > a["planned_distance"]
        for a, b in itertools.pairwise(upcoming)
        if not b["deload"]
    ]
    assert any(grows)


def test_check_in_validation(client: TestClient, auth: dict[str, str]) -> None:
    athlete, plan = setup_plan(client, auth)
    future = (date.today() + timedelta(days=400)).isoformat()
    for body, loc in [
        ({"date": future, "pain_during": 2}, ["body", "date"]),
        ({"date": "2020-01-01", "pain_during": 2}, ["body", "date"]),
        ({"date": CHECK_IN_DAY, "pain_during": 11}, ["body", "pain_during"]),
        ({"date": CHECK_IN_DAY, "pain_during": 2, "skipped": ["nope"]}, ["body", "skipped", 0]),
    ]:
        response = client.post(f"/v1/athletes/{athlete}/check-ins", json=body, headers=auth)
        assert response.status_code == 422, body
        assert loc in [d["loc"] for d in response.json()["detail"]]
    unchanged = client.get(f"/v1/plans/{plan['id']}", headers=auth).json()
    assert unchanged["revision"] == plan["revision"]


def test_a_check_in_422_names_every_problem_with_the_plan(
    client: TestClient, auth: dict[str, str]
) -> None:
    """A day outside the plan and two unknown sessions: three field errors in one answer."""
    athlete, _ = setup_plan(client, auth)
    body = {"date": "2020-01-01", "pain_during": 2, "completed": ["gone"], "skipped": ["nope"]}
    response = client.post(f"/v1/athletes/{athlete}/check-ins", json=body, headers=auth)
    assert response.status_code == 422, response.text
    answer = response.json()
    assert [d["loc"] for d in answer["detail"]] == [
        ["body", "date"],
        ["body", "completed", 0],
        ["body", "skipped", 0],
    ]
    assert answer["message"].endswith("(and 2 more)")


def test_check_in_without_a_plan_is_422(client: TestClient, auth: dict[str, str]) -> None:
    athlete = client.post("/v1/athletes", json={"name": "New"}, headers=auth).json()["id"]
    response = client.post(
        f"/v1/athletes/{athlete}/check-ins",
        json={"date": "2026-06-10", "pain_during": 1},
        headers=auth,
    )
    assert response.status_code == 422


def _feed_uids(client: TestClient, auth: dict[str, str], athlete: str) -> dict[str, str]:
    """UID → DTSTART line of every event in the athlete's calendar feed."""
    token = client.post(f"/v1/athletes/{athlete}/feed-tokens", headers=auth).json()
    body = client.get("/feeds/" + token["url"].rsplit("/feeds/", 1)[1]).text
    events: dict[str, str] = {}
    for block in body.split("BEGIN:VEVENT")[1:]:
        lines = block.replace("\r\n ", "").split("\r\n")
        uid = next(line for line in lines if line.startswith("UID:"))
        start = next(line for line in lines if line.startswith("DTSTART"))
        events[uid] = start
    return events


def test_a_red_flag_at_a_check_in_stops_the_plan_from_that_day(
    client: TestClient, auth: dict[str, str]
) -> None:
    athlete, before = setup_plan(client, auth)
    feed_before = _feed_uids(client, auth, athlete)
    response = check_in(client, auth, athlete, pain_during=3, red_flags=["night_pain"])
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["verdict"]["load"] == "regress"
    assert any(w["rule"] == "red_flag.serious_pathology" for w in result["verdict"]["why"])
    after = result["plan"]
    assert after["status"] == "referral_required"
    assert after["end"] < CHECK_IN_DAY
    assert any(CHECK_IN_DAY in reason for reason in after["referral"]["reasons"])
    # the past is kept exactly; nothing from the reported day on
    past = [s for s in before["sessions"] if s["date"] < CHECK_IN_DAY]
    assert after["sessions"] == past
    assert all(w["start"] <= CHECK_IN_DAY for w in after["weeks"])
    assert len(result["changes"]["removed"]) == len(before["sessions"]) - len(past)
    # the calendar drops every future session and keeps the past ones
    feed_after = _feed_uids(client, auth, athlete)
    assert len(feed_after) == len(past) < len(feed_before)
    assert set(feed_after) <= set(feed_before)
    first_cancelled = CHECK_IN_DAY.replace("-", "")
    assert all(start.split(":")[-1][:8] < first_cancelled for start in feed_after.values())
    stored = client.get(f"/v1/plans/{after['id']}", headers=auth).json()
    assert stored == after


def test_a_limp_not_settled_within_72_hours_stops_the_plan(
    client: TestClient, auth: dict[str, str]
) -> None:
    athlete, before = setup_plan(client, auth)
    earlier = (date.fromisoformat(CHECK_IN_DAY) - timedelta(days=3)).isoformat()
    first = client.post(
        f"/v1/athletes/{athlete}/check-ins",
        json={"date": earlier, "pain_during": 3, "limp": True},
        headers=auth,
    )
    assert first.status_code == 201, first.text
    paused = first.json()["plan"]
    assert paused["status"] != "referral_required"
    assert "check_in_severe_pain" in {w["code"] for w in paused["warnings"]}
    feed_before = _feed_uids(client, auth, athlete)
    response = check_in(client, auth, athlete, pain_during=5)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["verdict"]["load"] == "regress"
    assert any(w["rule"] == "safety.unsettled_pain" for w in result["verdict"]["why"])
    after = result["plan"]
    assert after["status"] == "referral_required"
    assert after["end"] < CHECK_IN_DAY
    assert CHECK_IN_DAY in after["referral"]["reasons"][0]
    past = [s for s in before["sessions"] if s["date"] < earlier]
    assert after["sessions"][: len(past)] == past
    assert all(s["date"] < CHECK_IN_DAY for s in after["sessions"])
    feed_after = _feed_uids(client, auth, athlete)
    assert set(feed_after) < set(feed_before)
    assert all(
        start.split(":")[-1][:8] < CHECK_IN_DAY.replace("-", "") for start in feed_after.values()
    )


def test_an_illness_at_a_check_in_rests_and_holds(client: TestClient, auth: dict[str, str]) -> None:
    athlete, _ = setup_plan(client, auth)
    response = check_in(client, auth, athlete, pain_during=0, illness=["fever"])
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["verdict"]["load"] == "hold"  # pain 0 would progress without the fever
    assert any(w["rule"] == "safety.illness" for w in result["verdict"]["why"])
    sick = {(date.fromisoformat(CHECK_IN_DAY) + timedelta(days=k)).isoformat() for k in (1, 2)}
    on_sick_days = [s for s in result["plan"]["sessions"] if s["date"] in sick]
    assert {s["date"] for s in on_sick_days} == sick
    assert all(s["kind"] == "rest" for s in on_sick_days)
    wrong = check_in(client, auth, athlete, pain_during=0, illness=["sniffles"])
    assert wrong.status_code == 422
    assert "illness" in wrong.text


def test_a_check_in_red_flag_outside_the_vocabulary_is_422(
    client: TestClient, auth: dict[str, str]
) -> None:
    athlete, _ = setup_plan(client, auth)
    response = check_in(client, auth, athlete, pain_during=3, red_flags=["sore_toe"])
    assert response.status_code == 422
    assert "red_flags" in response.text


def test_a_back_dated_check_in_is_refused_naming_the_later_one(
    client: TestClient, auth: dict[str, str]
) -> None:
    athlete, _ = setup_plan(client, auth)
    first = check_in(client, auth, athlete, pain_during=2, pain_next_morning=1)
    assert first.status_code == 201, first.text
    earlier = (date.fromisoformat(CHECK_IN_DAY) - timedelta(days=3)).isoformat()
    refused = client.post(
        f"/v1/athletes/{athlete}/check-ins",
        json={"date": earlier, "pain_during": 6},
        headers=auth,
    )
    assert refused.status_code == 409
    assert CHECK_IN_DAY in refused.text
    same_day = check_in(client, auth, athlete, pain_during=3, pain_next_morning=1)
    assert same_day.status_code == 201

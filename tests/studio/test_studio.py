"""The studio over HTTP: sign-in and its cookie, CSRF on every post, sign-out, what the pages
show, hostile input, /docs and /redoc from local files."""

from __future__ import annotations

import html
import os
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.cli import shifted_example
from app.config import Settings, get_settings
from app.studio.web import COOKIE
from tests.conftest import load_example, new_org

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Studio:
    """A browser: its own cookie jar, signed in with one key."""

    def __init__(self, client: TestClient, key: str | None, base_url: str = "http://testserver"):
        self.http = TestClient(client.app, base_url=base_url, follow_redirects=False)
        self.csrf = ""
        if key is not None:
            self.sign_in(key)

    def sign_in(self, key: str) -> Any:
        page = self.http.get("/studio/sign-in")
        token = CSRF.search(page.text)
        assert token, page.text
        answer = self.http.post("/studio/sign-in", data={"csrf": token.group(1), "api_key": key})
        if answer.status_code == 303:
            self.csrf = CSRF.search(self.http.get("/studio/athletes").text).group(1)  # type: ignore[union-attr]
        return answer

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.http.post(path, data={"csrf": self.csrf, **(data or {})}, **kwargs)


@pytest.fixture
def world(client: TestClient, settings: Settings) -> dict[str, Any]:
    """An organisation with an admin, a coach with one athlete planned from this week, and an
    app key; its ids and keys."""
    _, admin_key = new_org(settings, "Harbour Runners")
    admin = {"Authorization": f"Bearer {admin_key}"}
    coach = client.post("/v1/coaches", json={"name": "Jo"}, headers=admin).json()
    coach_key = client.post(
        "/v1/api-keys", json={"role": "coach", "coach_id": coach["id"]}, headers=admin
    ).json()["api_key"]
    app_key = client.post("/v1/api-keys", json={"role": "app"}, headers=admin).json()
    coach_auth = {"Authorization": f"Bearer {coach_key}"}
    athlete = client.post("/v1/athletes", json={"name": "Sarah <b>"}, headers=coach_auth).json()
    example = load_example("weak_left_glute_hamstring")
    today = client.app.state.services.today(example["athlete"]["timezone"])  # type: ignore[attr-defined]
    intake = shifted_example(example, today)
    intake["athlete"] = {**intake["athlete"], "name": "Sarah <b>"}
    intake["start_date"] = (today - timedelta(days=today.weekday())).isoformat()
    intake.pop("historical", None)
    stored = client.post(f"/v1/athletes/{athlete['id']}/intakes", json=intake, headers=coach_auth)
    assert stored.status_code == 201, stored.text
    plan = client.post(f"/v1/athletes/{athlete['id']}/plans", headers=coach_auth)
    assert plan.status_code == 201, plan.text
    return {
        "admin_key": admin_key,
        "coach_key": coach_key,
        "app_key": app_key["api_key"],
        "app_key_id": app_key["id"],
        "admin": admin,
        "athlete_id": athlete["id"],
        "plan_id": plan.json()["id"],
        "today": today,
    }


def test_sign_in_sets_a_strict_http_only_session_cookie(
    client: TestClient, world: dict[str, Any]
) -> None:
    browser = Studio(client, None)
    answer = browser.sign_in(world["admin_key"])
    assert answer.status_code == 303
    assert answer.headers["location"] == "/studio/athletes"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(COOKIE + "="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "samesite", "path"} <= attributes
    assert "samesite=strict" in cookie.lower()
    assert "secure" not in attributes  # plain http (tests): a Secure cookie would never return
    assert world["admin_key"] not in cookie  # the cookie is a session, not the key
    page = browser.http.get("/studio/athletes")
    assert page.status_code == 200
    assert "Harbour Runners" in page.text
    assert '<span class="role">admin</span>' in page.text


def test_the_cookie_is_secure_behind_https(client: TestClient, world: dict[str, Any]) -> None:
    browser = Studio(client, None, base_url="https://testserver")
    answer = browser.sign_in(world["coach_key"])
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(COOKIE + "="))
    assert "secure" in cookie.lower()
    page = browser.http.get("/studio/athletes")
    assert '<span class="role">coach (Jo)</span>' in page.text


def test_sign_in_refuses_bad_keys_app_keys_and_forms_without_token(
    client: TestClient, world: dict[str, Any]
) -> None:
    browser = Studio(client, None)
    wrong = browser.sign_in("sp_live_0123456789_nope")
    assert wrong.status_code == 401
    assert "invalid or revoked api key" in wrong.text.lower()
    app = browser.sign_in(world["app_key"])
    assert app.status_code == 403
    assert "coach and admin keys" in app.text
    browser.http.get("/studio/sign-in")
    tokenless = browser.http.post("/studio/sign-in", data={"api_key": world["admin_key"]})
    assert tokenless.status_code == 403
    assert COOKIE not in tokenless.headers.get("set-cookie", "")
    assert browser.http.get("/studio/athletes").status_code == 303  # still signed out


def test_signed_out_pages_send_to_sign_in(client: TestClient, world: dict[str, Any]) -> None:
    browser = Studio(client, None)
    answer = browser.http.get(f"/studio/athletes/{world['athlete_id']}")
    assert (answer.status_code, answer.headers["location"]) == (303, "/studio/sign-in")
    htmx = browser.http.post(
        f"/studio/athletes/{world['athlete_id']}/calendar-link", headers={"HX-Request": "true"}
    )
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"] == "/studio/sign-in"


POSTS = [
    "/studio/sign-out",
    "/studio/athletes/{athlete_id}/calendar-link",
    "/studio/rules/drafts",
    "/studio/rules/drafts/{draft_id}/check",
    "/studio/rules/drafts/{draft_id}/files/baseline.yaml",
    "/studio/rules/drafts/{draft_id}/test",
    "/studio/rules/drafts/{draft_id}/preview",
    "/studio/rules/drafts/{draft_id}/publish",
    "/studio/rules/rollback",
]


@pytest.mark.parametrize("path", POSTS)
def test_a_post_without_the_csrf_token_is_refused(
    client: TestClient, world: dict[str, Any], path: str
) -> None:
    browser = Studio(client, world["admin_key"])
    draft_id = client.post(
        "/v1/rulesets/drafts", json={"based_on": "base"}, headers=world["admin"]
    ).json()["id"]
    url = path.format(athlete_id=world["athlete_id"], draft_id=draft_id)
    body = {"filename": "baseline.yaml", "text": "topic: x\n", "version": "base"}
    for token in (None, "", "made-up", Studio(client, world["admin_key"]).csrf):
        data = {**body, **({"csrf": token} if token is not None else {})}
        refused = browser.http.post(url, data=data)
        assert refused.status_code == 403, (token, refused.text[:300])
        assert "security token" in refused.text
    # the header htmx sends works as well as the field
    header = browser.http.post(url, data=body, headers={"X-CSRF-Token": "nope"})
    assert header.status_code == 403
    # still signed in: the refused sign-out did nothing
    assert browser.http.get("/studio/athletes").status_code == 200


def test_sign_out_ends_the_session(client: TestClient, world: dict[str, Any]) -> None:
    browser = Studio(client, world["admin_key"])
    cookie = browser.http.cookies.get(COOKIE)
    assert cookie
    out = browser.post("/studio/sign-out")
    assert (out.status_code, out.headers["location"]) == (303, "/studio/sign-in")
    assert browser.http.get("/studio/athletes").status_code == 303
    # the old cookie, replayed, is dead too
    replay = TestClient(client.app, follow_redirects=False)
    assert (
        replay.get("/studio/athletes", headers={"Cookie": f"{COOKIE}={cookie}"}).status_code == 303
    )


def test_revoking_the_key_ends_its_sessions(client: TestClient, world: dict[str, Any]) -> None:
    made = client.post("/v1/api-keys", json={"role": "admin"}, headers=world["admin"]).json()
    browser = Studio(client, made["api_key"])
    assert browser.http.get("/studio/athletes").status_code == 200
    client.delete(f"/v1/api-keys/{made['id']}", headers=world["admin"])
    assert browser.http.get("/studio/athletes").status_code == 303


def test_athlete_page_shows_the_plan_chart_feasibility_and_check_ins(
    client: TestClient, world: dict[str, Any]
) -> None:
    coach = {"Authorization": f"Bearer {world['coach_key']}"}
    checked = client.post(
        f"/v1/athletes/{world['athlete_id']}/check-ins",
        json={"date": world["today"].isoformat(), "pain_during": 6, "pain_next_morning": 5},
        headers=coach,
    )
    assert checked.status_code == 201, checked.text
    browser = Studio(client, world["coach_key"])
    listing = browser.http.get("/studio/athletes")
    assert "Sarah &lt;b&gt;" in listing.text
    assert "Sarah <b>" not in listing.text
    page = browser.http.get(f"/studio/athletes/{world['athlete_id']}")
    assert page.status_code == 200
    text = page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert 'id="this-week"' in text
    this_week = text[
        text.index('id="this-week"') : text.index("</tr>", text.index('id="this-week"'))
    ]
    assert "Glute bridge" in this_week or "glute bridge" in this_week.lower()
    assert re.search(r"\d+ × \d+", this_week)  # sets × reps
    assert 'aria-current="date"' in this_week
    assert "phase-activation" in text
    assert f'src="/studio/athletes/{world["athlete_id"]}/chart.svg"' in text
    assert "Goals and feasibility" in text
    assert re.search(r"verdict verdict-\w+", text)  # the check-in with its verdict
    assert "6/10" in text
    chart = browser.http.get(f"/studio/athletes/{world['athlete_id']}/chart.svg")
    assert chart.status_code == 200
    assert chart.headers["content-type"].startswith("image/svg+xml")
    assert chart.content.startswith(b"<?xml")


def test_calendar_link_gives_webcal_and_https(client: TestClient, world: dict[str, Any]) -> None:
    browser = Studio(client, world["coach_key"])
    made = browser.post(f"/studio/athletes/{world['athlete_id']}/calendar-link")
    assert made.status_code == 200
    https = re.search(r'value="(https://plans\.example\.test/feeds/[^"]+\.ics)"', made.text)
    webcal = re.search(r'value="(webcal://plans\.example\.test/feeds/[^"]+\.ics)"', made.text)
    assert https
    assert webcal
    assert webcal.group(1) == "webcal://" + https.group(1).removeprefix("https://")
    feed = client.get(https.group(1).removeprefix("https://plans.example.test"))
    assert feed.status_code == 200
    assert feed.text.startswith("BEGIN:VCALENDAR")


def test_editor_checks_unsaved_text_and_names_the_line(
    client: TestClient, world: dict[str, Any]
) -> None:
    browser = Studio(client, world["admin_key"])
    made = browser.post("/studio/rules/drafts", {"based_on": "base"})
    assert made.status_code == 303
    page = browser.http.get(made.headers["location"])
    assert page.status_code == 200
    assert "baseline.yaml" in page.text
    assert "<textarea" in page.text
    draft_id = made.headers["location"].rsplit("/", 1)[1]
    text = client.get(
        f"/v1/rulesets/drafts/{draft_id}/files/baseline.yaml", headers=world["admin"]
    ).text
    lines = text.splitlines()
    number = next(i for i, line in enumerate(lines, 1) if "exercise: clamshell" in line)
    broken = text.replace("exercise: clamshell,", "exercise: clamshel,", 1)
    check = f"/studio/rules/drafts/{draft_id}/check"
    answer = browser.post(check, {"filename": "baseline.yaml", "text": broken})
    assert answer.status_code == 200
    assert f'data-line="{number}"' in answer.text
    assert "did you mean" in answer.text
    assert "clamshell" in answer.text
    fine = browser.post(check, {"filename": "baseline.yaml", "text": text})
    assert 'data-testid="no-problems"' in fine.text
    # nothing was saved by checking
    assert (
        client.get(
            f"/v1/rulesets/drafts/{draft_id}/files/baseline.yaml", headers=world["admin"]
        ).text
        == text
    )


def test_save_needs_the_file_etag_of_what_was_edited(
    client: TestClient, world: dict[str, Any]
) -> None:
    browser = Studio(client, world["admin_key"])
    draft_id = (
        browser.post("/studio/rules/drafts", {"based_on": "base"})
        .headers["location"]
        .rsplit("/", 1)[1]
    )
    page = browser.http.get(f"/studio/rules/drafts/{draft_id}/files/ruleset.yaml").text
    found = re.search(r'name="file_etag" id="file-etag" value="([^"]+)"', page)
    assert found
    etag = html.unescape(found.group(1))
    text = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S)
    assert text
    url = f"/studio/rules/drafts/{draft_id}/files/ruleset.yaml"
    original = html.unescape(text.group(1))
    saved = browser.post(url, {"text": "# a note\n" + original, "file_etag": etag})
    assert saved.status_code == 200, saved.text
    assert "Saved." in saved.text
    stale = browser.post(url, {"text": "# again\n", "file_etag": etag})
    assert stale.status_code == 412
    stored = client.get(
        f"/v1/rulesets/drafts/{draft_id}/files/ruleset.yaml", headers=world["admin"]
    )
    assert stored.text == "# a note\n" + original


def test_cases_preview_publish_and_rollback(client: TestClient, world: dict[str, Any]) -> None:
    browser = Studio(client, world["admin_key"])
    draft_id = (
        browser.post("/studio/rules/drafts", {"based_on": "base"})
        .headers["location"]
        .rsplit("/", 1)[1]
    )
    text = client.get(
        f"/v1/rulesets/drafts/{draft_id}/files/findings.yaml", headers=world["admin"]
    ).text
    # the weak-glute finding's clamshells, 5 sets instead of the ladder's
    changed = text.replace(
        "{exercise: clamshell, phase: activation}",
        "{exercise: clamshell, phase: activation, sets: 5}",
        1,
    )
    assert changed != text
    page = browser.http.get(f"/studio/rules/drafts/{draft_id}/files/findings.yaml").text
    etag = html.unescape(re.search(r'id="file-etag" value="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    saved = browser.post(
        f"/studio/rules/drafts/{draft_id}/files/findings.yaml",
        {"text": changed, "file_etag": etag},
    )
    assert saved.status_code == 200
    cases = browser.post(f"/studio/rules/drafts/{draft_id}/test")
    assert cases.status_code == 200
    assert re.search(r"\d+ passed, \d+ failed", cases.text)
    none = browser.post(f"/studio/rules/drafts/{draft_id}/preview")
    assert none.status_code == 422
    preview = browser.post(
        f"/studio/rules/drafts/{draft_id}/preview", {"athlete_id": world["athlete_id"]}
    )
    assert preview.status_code == 200, preview.text
    assert "exercise-changed" in preview.text
    assert re.search(r'<span class="add">Clamshell 5 ×', preview.text)
    # the weekly chart now and with the draft
    charts = re.findall(r'<img src="(/studio/[^"]+chart\.svg)"', preview.text)
    assert len(charts) == 2
    assert f"/studio/rules/drafts/{draft_id}/athletes/{world['athlete_id']}/chart.svg" in charts
    for chart in charts:
        drawn = browser.http.get(chart)
        assert drawn.status_code == 200
        assert drawn.headers["content-type"].startswith("image/svg+xml")
    published = browser.post(f"/studio/rules/drafts/{draft_id}/publish")
    assert published.status_code == 200
    job = re.search(r'hx-get="(/studio/rules/jobs/[^"]+)"', published.text)
    status = published.text
    if job:  # poll as the page does, until the job is done
        for _ in range(200):
            status = browser.http.get(job.group(1).replace("&amp;", "&")).text
            if 'data-status="done"' in status or 'data-status="failed"' in status:
                break
    assert 'data-status="done"' in status
    rules = browser.http.get("/studio/rules").text
    assert "(published by the organisation)" in rules
    back = browser.post("/studio/rules/rollback", {"version": "base"})
    assert back.status_code == 200
    assert "Back to base" in back.text
    diff = browser.http.get("/studio/rules/diff", params={"from": "base", "to": "1"})
    assert diff.status_code == 200
    assert "sets: 5}" in diff.text


def test_a_coach_who_may_not_publish_is_told_so(client: TestClient, world: dict[str, Any]) -> None:
    browser = Studio(client, world["coach_key"])
    draft_id = (
        browser.post("/studio/rules/drafts", {"based_on": "base"})
        .headers["location"]
        .rsplit("/", 1)[1]
    )
    page = browser.http.get(f"/studio/rules/drafts/{draft_id}")
    assert "hx-post" in page.text
    assert "/publish" not in page.text
    refused = browser.post(
        f"/studio/rules/drafts/{draft_id}/publish", headers={"HX-Request": "true"}
    )
    assert refused.status_code == 403
    assert 'role="alert"' in refused.text
    assert "<html" not in refused.text


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/studio/rules/drafts", {"based_on": "ba\x00se"}),
        ("/studio/rules/rollback", {"version": "1\x01"}),
    ],
)
def test_control_characters_in_a_form_are_refused(
    client: TestClient, world: dict[str, Any], path: str, data: dict[str, str]
) -> None:
    browser = Studio(client, world["admin_key"])
    answer = browser.post(path, data)
    assert answer.status_code == 422
    assert "control characters" in answer.text


def test_hostile_requests_are_4xx_never_a_trace(client: TestClient, world: dict[str, Any]) -> None:
    browser = Studio(client, world["admin_key"])
    assert browser.http.get("/studio/athletes/x%00y").status_code == 422
    assert browser.http.get("/studio/rules/diff", params={"from": "\x01"}).status_code == 422
    assert browser.http.get("/studio/rules/diff", params={"from": "../../etc"}).status_code == 422
    assert browser.http.get("/studio/athletes/" + "a" * 5000).status_code == 404
    huge = browser.post("/studio/rules/drafts", {"based_on": "x" * 400_000})
    assert huge.status_code == 413
    json_body = browser.http.post(
        "/studio/rules/drafts", json={"csrf": browser.csrf}, headers={"X-CSRF-Token": browser.csrf}
    )
    assert json_body.status_code == 415
    missing = browser.http.get("/studio/nothing-here")
    assert missing.status_code == 404
    for answer in (missing, browser.http.get("/studio/rules/drafts/nope")):
        assert "Traceback" not in answer.text
        assert 'File "' not in answer.text
        assert answer.headers["content-type"].startswith("text/html")


def test_docs_and_redoc_load_local_files_only(client: TestClient) -> None:
    installed = (get_settings().assets_dir / "htmx.org").is_dir()
    if not installed and os.environ.get("STRIDEPLAN_REQUIRE_BROWSER") != "1":
        pytest.skip("the front-end packages are not installed (npm ci --prefix frontend)")
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources
        assert all(s.startswith("/") for s in sources), sources
        assert "cdn" not in page.text.lower()
        assert "fonts.googleapis" not in page.text
        for source in sources:
            if source.startswith("/studio/vendor/"):
                asset = client.get(source)
                assert asset.status_code == 200, source
                assert len(asset.content) > 500
    assert client.get("/studio/vendor/package.json").status_code == 404
    assert client.get("/studio/vendor/..%2F..%2Fpackage.json").status_code == 404
    assert client.get("/studio/static/studio.js").status_code == 200


def test_a_draft_without_files_is_a_404_not_a_crash(
    client: TestClient, world: dict[str, Any]
) -> None:
    made = client.post("/v1/rulesets/drafts", json={"based_on": "base"}, headers=world["admin"])
    draft_id, names = made.json()["id"], list(made.json()["files"])
    for name in names:
        gone = client.delete(
            f"/v1/rulesets/drafts/{draft_id}/files/{name}",
            headers={**world["admin"], "If-Match": "*"},
        )
        assert gone.status_code == 204, gone.text
    browser = Studio(client, world["admin_key"])
    page = browser.http.get(f"/studio/rules/drafts/{draft_id}")
    assert page.status_code == 404
    assert "no files left" in page.text

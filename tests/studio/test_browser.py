"""The studio in a real browser: Debian's Chromium (/usr/bin/chromium), driven by Playwright
(no browser is downloaded), against the app served by uvicorn on a free port.

One walk through what a coach does, with a screenshot of each step in tests/artifacts/studio/:
sign in → open an athlete → this week's sessions and the chart → open a draft → type an error
→ the problem shows at its line → fix it → run the cases → preview on two athletes → a changed
exercise → publish → the progress bar reaches done → roll back. On each studio page axe-core
(frontend/node_modules) reports no serious or critical accessibility violation, and no request
leaves the machine.

Without Chromium the tests are skipped with the install command, or fail when
STRIDEPLAN_REQUIRE_BROWSER=1 (CI installs it: .ci/run)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn

import pytest
from fastapi.testclient import TestClient

from app.cli import shifted_example
from app.config import PROJECT_ROOT, Settings
from app.main import create_app
from app.storage.migrations import upgrade
from tests.conftest import load_example, new_org

CHROMIUM = Path(os.environ.get("STRIDEPLAN_CHROMIUM", "/usr/bin/chromium"))
REQUIRE = os.environ.get("STRIDEPLAN_REQUIRE_BROWSER") == "1"
AXE = PROJECT_ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts" / "studio"
SERIOUS = ("serious", "critical")
WAIT_MS = 90_000


def _unavailable(why: str) -> NoReturn:
    message = (
        f"{why}: install it with `apt-get install -y chromium` (and `make install` for axe-core)"
    )
    if REQUIRE:
        pytest.fail(f"{message} (STRIDEPLAN_REQUIRE_BROWSER=1: the browser tests are required)")
    pytest.skip(message)


@dataclass
class Live:
    base_url: str
    admin_key: str
    athletes: dict[str, str]  # name → id


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The app on a free port over a fresh SQLite database, with an organisation and two
    athletes planned from this week (weak left glute), one with a check-in."""
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM}")
    if not AXE.exists():
        _unavailable(f"no axe-core at {AXE}")
    import uvicorn

    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'studio.db'}"
    upgrade(PROJECT_ROOT / "alembic", url)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(database_url=url, public_base_url=base_url, address_rate_limit_per_minute=0)
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        _, key = new_org(settings, "Harbour Runners")
        auth = {"Authorization": f"Bearer {key}"}
        api = TestClient(app)  # the same app and services, in this thread
        athletes = {}
        example = load_example("weak_left_glute_hamstring")
        today = app.state.services.today(example["athlete"]["timezone"])
        for name in ("Sarah", "Maya"):
            athlete = api.post("/v1/athletes", json={"name": name}, headers=auth).json()["id"]
            intake = shifted_example(example, today)
            intake["athlete"] = {**intake["athlete"], "name": name}
            intake["start_date"] = (today - timedelta(days=today.weekday())).isoformat()
            intake.pop("historical", None)
            stored = api.post(f"/v1/athletes/{athlete}/intakes", json=intake, headers=auth)
            assert stored.status_code == 201, stored.text
            planned = api.post(f"/v1/athletes/{athlete}/plans", headers=auth)
            assert planned.status_code == 201, planned.text
            athletes[name] = athlete
        checked = api.post(
            f"/v1/athletes/{athletes['Sarah']}/check-ins",
            json={"date": today.isoformat(), "pain_during": 2, "pain_next_morning": 1},
            headers=auth,
        )
        assert checked.status_code == 201, checked.text
        yield Live(base_url, key, athletes)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@dataclass
class Browser:
    new_page: Any  # (bypass_csp: bool) -> a page
    outside: list[str]  # requests that tried to leave the machine


@pytest.fixture(scope="module")
def browser(live: Live) -> Iterator[Browser]:
    """Chromium, whose pages may only reach the app: any other request is refused and noted."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    outside: list[str] = []
    contexts: list[Any] = []
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
            )
        except Exception as exc:  # a broken install is the same as none
            _unavailable(f"Chromium at {CHROMIUM} does not start ({exc})")

        def only_local(route: Any) -> None:
            if route.request.url.startswith(live.base_url):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        def new_page(bypass_csp: bool) -> Any:
            context = chromium.new_context(
                viewport={"width": 1400, "height": 1000},
                bypass_csp=bypass_csp,
                base_url=live.base_url,
            )
            context.route("**/*", only_local)
            context.set_default_timeout(WAIT_MS)
            contexts.append(context)
            return context.new_page()

        yield Browser(new_page, outside)
        for context in contexts:
            context.close()
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Any]:
    """A studio page. axe-core is injected as an inline script, which the pages' CSP would
    (rightly) refuse: this context bypasses it."""
    yield browser.new_page(True)
    assert browser.outside == [], f"requests left the machine: {browser.outside}"


def shot(page: Any, name: str, full: bool = False) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full)


def check_accessibility(page: Any, where: str) -> None:
    """axe-core's serious and critical violations on the page as it is now: none."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))
            }));
        }"""
    )
    bad = [v for v in found if v["impact"] in SERIOUS]
    assert bad == [], f"{where}: {bad}"


def caret_after(page: Any, needle: str) -> int:
    """Put the editor's caret just after the first `needle`; its line number."""
    line: int = page.evaluate(
        """needle => {
            const area = document.getElementById('source');
            const at = area.value.indexOf(needle) + needle.length;
            area.focus();
            area.setSelectionRange(at, at);
            return area.value.slice(0, at).split('\\n').length;
        }""",
        needle,
    )
    return line


def test_a_coach_walks_through_the_studio(live: Live, page: Any) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    # sign in
    page.goto("/studio")
    expect(page).to_have_url(f"{live.base_url}/studio/sign-in")
    check_accessibility(page, "sign-in")
    page.get_by_label("API key").fill(live.admin_key)
    shot(page, "01-sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live.base_url}/studio/athletes")
    expect(page.get_by_test_id("who")).to_contain_text("Harbour Runners")
    expect(page.get_by_test_id("who")).to_contain_text("admin")
    check_accessibility(page, "athletes")
    shot(page, "02-athletes")

    # an athlete: this week's sessions and the chart
    page.get_by_role("link", name="Sarah").click()
    expect(page.get_by_role("heading", name="Sarah", exact=True)).to_be_visible()
    this_week = page.get_by_test_id("this-week")
    expect(this_week).to_be_visible()
    expect(this_week.locator(".session").first).to_be_visible()
    expect(this_week.locator(".exercises li").first).to_contain_text("×")
    chart = page.locator("img.chart")
    expect(chart).to_be_visible()
    page.wait_for_function(
        "() => { const img = document.querySelector('img.chart');"
        " return img.complete && img.naturalWidth > 0; }"
    )
    expect(page.locator("table.check-ins .verdict")).to_have_count(1)
    check_accessibility(page, "athlete")
    shot(page, "03-athlete")
    this_week.scroll_into_view_if_needed()
    shot(page, "04-athlete-this-week")
    page.get_by_role("button", name="Create a calendar subscription link").click()
    webcal = page.locator("#webcal-url")
    expect(webcal).to_be_visible()
    assert webcal.input_value().startswith("webcal://127.0.0.1:")
    assert page.locator("#https-url").input_value().startswith(live.base_url + "/feeds/")
    check_accessibility(page, "athlete with the calendar link")
    shot(page, "05-calendar-link")

    # rule sets: a draft, its files, the editor
    page.get_by_role("link", name="Rule sets").click()
    check_accessibility(page, "rule sets")
    page.get_by_label("Start a draft from").select_option("base")
    page.get_by_role("button", name="New draft").click()
    expect(page.get_by_role("heading", name="Draft from base")).to_be_visible()
    page.get_by_role("navigation", name="Files of the draft").get_by_role(
        "link", name="findings.yaml"
    ).click()
    expect(page.get_by_role("heading", name="findings.yaml")).to_be_visible()
    expect(page.get_by_test_id("no-problems")).to_be_visible()
    check_accessibility(page, "editor")
    shot(page, "06-editor")

    # type an error: the problem shows at its line, with the "did you mean"
    line = caret_after(page, "exercise: clamshell")
    page.keyboard.press("Backspace")
    problem = page.locator(f'#problems li[data-line="{line}"]')
    expect(problem).to_contain_text("did you mean")
    expect(problem).to_contain_text("clamshell")
    expect(page.locator(f'.gutter .ln.bad[data-ln="{line}"]')).to_be_visible()
    check_accessibility(page, "editor with a problem")
    shot(page, "07-problem-at-its-line")

    # fix it, with 5 sets of clamshells for the weak-glute finding, and save
    page.keyboard.type("l")
    caret_after(page, "exercise: clamshell, phase: activation")
    page.keyboard.type(", sets: 5")
    expect(page.get_by_test_id("no-problems")).to_be_visible()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#save-status")).to_contain_text("Saved.")
    shot(page, "08-fixed-and-saved")

    # run the cases
    page.get_by_role("button", name="Run the cases").click()
    expect(page.get_by_test_id("cases-summary")).to_contain_text("passed")
    expect(page.locator("table.cases tr.pass").first).to_be_visible()
    check_accessibility(page, "cases")
    shot(page, "09-cases")

    # preview on two athletes: a changed exercise
    page.get_by_label("Sarah").check()
    page.get_by_label("Maya").check()
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("preview-totals")).to_contain_text("2 athletes re-planned")
    changed = page.locator(".exercise-changed").first
    expect(changed).to_contain_text("Clamshell")
    before, after = changed.locator(".del").inner_text(), changed.locator(".add").inner_text()
    assert before.startswith("Clamshell ")
    assert after.startswith("Clamshell ")
    assert before != after
    page.wait_for_function(  # the weekly chart now and with the draft, for each athlete
        "() => { const imgs = [...document.querySelectorAll('#preview .charts img')];"
        " return imgs.length === 4 && imgs.every(i => i.complete && i.naturalWidth > 0); }"
    )
    check_accessibility(page, "preview")
    page.locator("#preview").scroll_into_view_if_needed()
    shot(page, "10-preview")

    # publish: confirm, then the progress bar reaches done
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Publish").click()
    job = page.locator("#publish-job .job")
    expect(job).to_have_attribute("data-status", "done")
    progress = job.locator("progress")
    assert progress.get_attribute("value") == progress.get_attribute("max") == "2"
    check_accessibility(page, "published")
    shot(page, "11-published")

    # roll back to the shipped base rules
    page.get_by_role("link", name="Rule sets").click()
    expect(page.get_by_test_id("active-rules")).to_contain_text("published by the organisation")
    page.get_by_label("Roll back to").select_option("base")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Roll back").click()
    expect(page.locator("#rollback-job .job")).to_have_attribute("data-status", "done")
    shot(page, "12-rolled-back")
    page.reload()
    expect(page.get_by_test_id("active-rules")).to_contain_text("the shipped base rules")

    # the diff between the published version and the base
    page.get_by_label("From", exact=True).select_option("base")
    page.get_by_label("to", exact=True).select_option("1")
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("pre.diff .add").first).to_contain_text("sets: 5")
    check_accessibility(page, "diff")
    shot(page, "13-diff")

    # sign out
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live.base_url}/studio/sign-in")
    page.goto("/studio/athletes")
    expect(page).to_have_url(f"{live.base_url}/studio/sign-in")


def test_docs_and_redoc_render_offline(live: Live, browser: Browser) -> None:
    """With the pages' own CSP, as a visitor gets them."""
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    page = browser.new_page(False)
    page.goto("/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    shot(page, "14-docs")
    page.goto("/redoc")
    expect(page.get_by_text("/v1/athletes").first).to_be_attached()
    shot(page, "15-redoc")
    assert browser.outside == [], f"requests left the machine: {browser.outside}"

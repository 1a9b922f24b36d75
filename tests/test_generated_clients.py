"""Clients generated from openapi/openapi.json as an app developer would make them, type-checked
strictly and run against a live server (uvicorn on a free port, on SQLite).

- Python: openapi-python-client (a dev dependency) generates `strideplan_client`;
  tests/clients/python/journey.py passes `mypy --strict` with no expression of type Any.
- TypeScript: openapi-typescript types and openapi-fetch (tests/clients/ts, from its lock
  file); tests/clients/ts/journey.ts passes `tsc --strict` with no cast and no `any`.
- redocly (recommended rules) finds no error in the document, and README lists the warnings.

Each journey creates an athlete, posts an intake, creates and reads a plan, walks the first
week's sessions and exercises, posts a check-in, creates a feed token, fetches the feed twice
(the second time a 304 for its ETag) and reads the field errors of a 422.

Node.js and the npm packages are external tools: without them the TypeScript and redocly
cases are skipped with the install command, or fail when STRIDEPLAN_REQUIRE_GENERATED_CLIENTS=1
(CI)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from app.config import PROJECT_ROOT, Settings
from app.storage.migrations import upgrade
from tests.api.test_idempotency_crash import server
from tests.conftest import new_org

CLIENTS = Path(__file__).parent / "clients"
PYTHON_DIR = CLIENTS / "python"
TS_DIR = CLIENTS / "ts"
SPEC = PROJECT_ROOT / "openapi" / "openapi.json"
REQUIRE = os.environ.get("STRIDEPLAN_REQUIRE_GENERATED_CLIENTS") == "1"
STEPS = ("athlete ", "intake ", "plan ", "check-in ", "feed ", "422 invalid_input: ")


def _unavailable(why: str) -> NoReturn:
    message = f"{why}; install it with `npm ci --prefix tests/clients/ts`"
    if REQUIRE:
        pytest.fail(f"{message} (STRIDEPLAN_REQUIRE_GENERATED_CLIENTS=1: the clients are required)")
    pytest.skip(message)


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _journey_steps(output: str) -> None:
    """Every step of the journey printed its line, in order, and the first week had sessions."""
    starts = [line for line in output.splitlines() if not line.startswith("  ")]
    assert [next(s for s in STEPS if line.startswith(s)) for line in starts] == list(STEPS), output
    assert any(line.startswith("  ") for line in output.splitlines()), output
    assert output.rstrip().endswith("422 invalid_input: body.name, body.timezone"), output
    assert re.search(r"^feed .*; again: 304$", output, re.M), output


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server process on SQLite, and an API key of a new organisation."""
    url = f"sqlite:///{tmp_path_factory.mktemp('clients') / 'clients.db'}"
    upgrade(PROJECT_ROOT / "alembic", url)
    settings = Settings(database_url=url)
    _, key = new_org(settings, "Client club")
    with server(settings, "uvicorn") as (base, _):
        yield base, key


@pytest.fixture(scope="module")
def npm_tools() -> Path:
    """tests/clients/ts/node_modules/.bin, with node on PATH."""
    if shutil.which("node") is None:
        _unavailable("the TypeScript client needs Node.js, and `node` is not on PATH")
    tools = TS_DIR / "node_modules" / ".bin"
    for tool in ("openapi-typescript", "tsc", "redocly"):
        if not (tools / tool).exists():
            _unavailable(f"{tool} is not installed")
    return tools


def test_python_client_journey(live: tuple[str, str], tmp_path: Path) -> None:
    generator = Path(sys.executable).parent / "openapi-python-client"
    _run(
        [
            str(generator), "generate", "--path", str(SPEC), "--meta", "none",
            "--output-path", str(tmp_path / "strideplan_client"),
            "--config", str(PYTHON_DIR / "openapi-python-client.yaml"),
        ],
        cwd=tmp_path,
    )  # fmt: skip
    mypy = [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--no-incremental"]
    checked = _run(
        [*mypy, "--cache-dir", str(tmp_path / ".mypy"), "journey.py"],
        cwd=PYTHON_DIR,
        env={"MYPYPATH": str(tmp_path)},
    )
    assert "Success: no issues found" in checked
    output = _run(
        [sys.executable, "journey.py", *live], cwd=PYTHON_DIR, env={"PYTHONPATH": str(tmp_path)}
    )
    _journey_steps(output)


def test_typescript_client_journey(npm_tools: Path, live: tuple[str, str]) -> None:
    source = (TS_DIR / "journey.ts").read_text()
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("//"))
    assert not re.search(r"\bany\b|\bas\s+[A-Za-z{(]|<[A-Z]\w*>\s*\w|@ts-|!\.|!\)", code), (
        "journey.ts must not cast, assert non-null or use any"
    )
    _run(
        [
            str(npm_tools / "openapi-typescript"), str(SPEC),
            "--output", "generated/schema.ts", "--default-non-nullable", "false",
        ],
        cwd=TS_DIR,
    )  # fmt: skip
    _run([str(npm_tools / "tsc"), "--project", "tsconfig.json", "--strict"], cwd=TS_DIR)
    output = _run(["node", "build/journey.js", *live], cwd=TS_DIR)
    _journey_steps(output)


def test_redocly_finds_no_error_and_readme_lists_its_warnings(npm_tools: Path) -> None:
    done = subprocess.run(
        [str(npm_tools / "redocly"), "lint", str(SPEC), "--format", "summary"],
        cwd=TS_DIR,
        env={**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert not re.search(r"^error ", report, re.M), report
    warned = set(re.findall(r"^warning\s+([a-z0-9-]+):", report, re.M))
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert {rule for rule in warned if f"`{rule}`" not in readme} == set(), report

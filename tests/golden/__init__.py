"""The example plans as the service makes them today, JSON and iCalendar, byte for byte.

`make golden` (python -m tests.golden) writes them again after an intended change; the test
in tests/test_golden.py fails on any other difference, so refactors keep plans identical.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent.parent / "examples"
TODAY = "2026-01-01"  # before every example's start: the whole season is planned


def render(example: Path, ics: Path) -> bytes:
    """The plan JSON `strideplan plan` prints for an example (and its .ics written to `ics`)."""
    result = CliRunner().invoke(
        cli, ["plan", str(example), "--today", TODAY, "--ics", str(ics)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.stdout.encode()


def write_all() -> list[str]:
    written = []
    for example in sorted(EXAMPLES.glob("*.json")):
        ics = HERE / f"{example.stem}.ics"
        (HERE / example.name).write_bytes(render(example, ics))
        written.append(example.stem)
    return written

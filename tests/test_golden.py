"""Every example plan is byte-identical to its golden file, JSON and .ics (tests/golden): a
change to the plans must be intended, and then `make golden` records it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.golden import EXAMPLES, HERE, render

NAMES = sorted(p.stem for p in EXAMPLES.glob("*.json"))


def first_difference(expected: bytes, got: bytes) -> str:
    for number, (a, b) in enumerate(
        zip(expected.splitlines(), got.splitlines(), strict=False), start=1
    ):
        if a != b:
            return f"line {number}: expected {a[:120]!r}, got {b[:120]!r}"
    return f"lengths differ: {len(expected)} against {len(got)} bytes"


@pytest.mark.parametrize("name", NAMES)
def test_the_example_plan_matches_its_golden_file(name: str, tmp_path: Path) -> None:
    ics = tmp_path / f"{name}.ics"
    plan = render(EXAMPLES / f"{name}.json", ics)
    for got, golden in ((plan, HERE / f"{name}.json"), (ics.read_bytes(), HERE / f"{name}.ics")):
        expected = golden.read_bytes()
        assert got == expected, (
            f"{golden.name} changed ({first_difference(expected, got)}); if the change is "
            "intended, run `make golden` and commit the files"
        )


def test_every_example_has_golden_files() -> None:
    kept = {p.name for p in HERE.iterdir() if p.suffix in (".json", ".ics")}
    assert kept == {f"{n}{s}" for n in NAMES for s in (".json", ".ics")}

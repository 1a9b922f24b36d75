"""Plan preview speed, in process: p50/p99 of build_plan (+ JSON) for the seed example intakes.

Run: `.venv/bin/python benchmarks/preview.py` (or `make bench`). Target: a 20-week
plan previews in p50 ≤ 5 ms, p99 ≤ 20 ms (docs/architecture.md §7).
"""

from __future__ import annotations

import gc
import gzip
import json
import platform
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from app.engine.compile import load_ruleset
from app.intake.checks import finalize
from app.intake.models import Intake
from app.plan.build import build_plan

ROOT = Path(__file__).resolve().parent.parent
RUNS = 400


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def twenty_weeks(data: dict[str, Any]) -> dict[str, Any]:
    """The seed runner with one goal, a marathon 20 weeks after the start."""
    start = date.fromisoformat(data["start_date"])
    goal = {
        "name": "Marathon",
        "date": (start + timedelta(weeks=20, days=-1)).isoformat(),
        "type": "marathon",
        "priority": "A",
    }
    return {**data, "goals": [goal]}


def measure(name: str, intake: Intake) -> None:
    ruleset = load_ruleset(ROOT / "rules")
    for _ in range(20):
        build_plan(intake, ruleset)
    build_only: list[float] = []
    with_json: list[float] = []
    gc.collect()
    gc.freeze()  # as the service does after start-up (app/main.py)
    for _ in range(RUNS):
        start = time.perf_counter()
        plan = build_plan(intake, ruleset)
        middle = time.perf_counter()
        plan.model_dump_json(exclude_none=True)
        end = time.perf_counter()
        build_only.append((middle - start) * 1000)
        with_json.append((end - start) * 1000)
    weeks = len(plan.weeks)
    served = plan.model_dump_json(exclude_none=True).encode()  # as the API sends it
    print(
        f"{name}: {weeks} weeks, {len(plan.sessions)} sessions, JSON {len(served) / 1024:.0f} KB "
        f"({len(gzip.compress(served)) / 1024:.0f} KB gzipped)"
    )
    for label, values in (("build_plan", build_only), ("build_plan + JSON", with_json)):
        print(
            f"  {label:<18} p50 {statistics.median(values):6.2f} ms   "
            f"p99 {percentile(values, 0.99):6.2f} ms   ({RUNS} runs)"
        )


def main() -> None:
    print(
        f"python {platform.python_version()} on {platform.machine()}, {platform.processor() or '?'}"
    )
    data = json.loads((ROOT / "examples" / "weak_left_glute_hamstring.json").read_text())
    today = date(2026, 1, 1)
    measure(
        "seed runner, 20-week marathon", finalize(Intake.model_validate(twenty_weeks(data)), today)
    )
    measure("seed runner, relay + marathon", finalize(Intake.model_validate(data), today))


if __name__ == "__main__":
    main()

"""The rule engine at scale: synthetic coach rule bases of 100 to 10,000 rules over a realistic
intake. Prints compile time, evaluation p50/p99 and RSS growth over 50,000 evaluations, and
zen-engine's figures for the same rules (expressed as a decision table) as a reference.

Run: `.venv/bin/python benchmarks/engine.py [--evaluations 50000]`. Targets (docs/engine.md
§8): 2,000 rules compile in ≤ 2 s and evaluate in ≤ 0.5 ms p50; RSS flat within ±5 MB.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.engine.compile import compile_sources
from app.engine.decisions import decide
from app.engine.evaluate import evaluate
from app.engine.host import get_host
from app.engine.model import RuleSet
from app.facts.build import Fact, intake_facts
from app.facts.schema import PAIN_ZONES
from app.intake.checks import finalize
from app.intake.models import Intake
from app.intake.vocabulary import Condition, Finding, GoalType, Priority, Restriction

ROOT = Path(__file__).resolve().parent.parent
SIZES = (100, 1_000, 2_000, 10_000)
PER_FILE = 2_000
ACTIVATION = ("glute_bridge", "clamshell", "side_lying_leg_raise", "hip_hinge", "dead_bug")

Pattern = dict[str, Any]


def random_pattern(rng: random.Random) -> Pattern:
    """One condition over a realistic fact, as a coach would write it."""
    kind = rng.choice(["symptom", "symptom", "finding", "finding", "goal", "restriction"])
    if kind == "symptom":
        pattern: Pattern = {"fact": "symptom", "condition": rng.choice(list(Condition)).value}
        if rng.random() < 0.5:
            pattern["side"] = rng.choice(["left", "right"])
        if rng.random() < 0.4:
            pattern["pain_running_zone"] = rng.choice(PAIN_ZONES)
    elif kind == "finding":
        pattern = {"fact": "finding", "name": rng.choice(list(Finding)).value}
        if rng.random() < 0.5:
            pattern["side"] = rng.choice(["left", "right"])
        if rng.random() < 0.3:
            pattern["weak"] = True
    elif kind == "goal":
        pattern = {"fact": "goal", "type": rng.choice(list(GoalType)).value}
        if rng.random() < 0.5:
            pattern["priority"] = rng.choice(list(Priority)).value
    else:
        pattern = {"fact": "restriction", "name": rng.choice(list(Restriction)).value}
    return pattern


def synthetic_rules(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rules = []
    for index in range(count):
        patterns = [random_pattern(rng) for _ in range(rng.choice([1, 1, 2]))]
        when: dict[str, Any] = patterns[0] if len(patterns) == 1 else {"all": patterns}
        then = [{"prescribe": {"exercise": rng.choice(ACTIVATION), "phase": "activation"}}]
        if rng.random() < 0.3:
            then.append({"note": {"text": f"Synthetic note {index}.", "kind": "run"}})
        rules.append(
            {
                "id": f"s.{index}",
                "title": f"Synthetic {index}",
                "why": "A synthetic rule for the benchmark.",
                "when": when,
                "then": then,
            }
        )
    return rules


def sources_for(rules: list[dict[str, Any]]) -> dict[str, str]:
    sources = {"catalog.yaml": (ROOT / "rules" / "catalog.yaml").read_text()}
    for start in range(0, len(rules), PER_FILE):
        chunk = rules[start : start + PER_FILE]
        sources[f"synthetic_{start // PER_FILE}.yaml"] = json.dumps(
            {"topic": "Synthetic", "rules": chunk}
        )
    return sources


def realistic_facts() -> list[Fact]:
    data = json.loads((ROOT / "examples" / "weak_left_glute_hamstring.json").read_text())
    intake = finalize(Intake.model_validate(data), __import__("datetime").date(2026, 1, 1))
    assert intake.start_date is not None
    return intake_facts(intake, intake.start_date)


def timings(action: Callable[[], object], runs: int) -> tuple[float, float]:
    values = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        values.append((time.perf_counter() - start) * 1000)
    values.sort()
    return statistics.median(values), values[int(0.99 * (len(values) - 1))]


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * 4096 / 1024 / 1024


def ours(count: int, facts: list[Fact]) -> tuple[RuleSet, dict[str, float]]:
    sources = sources_for(synthetic_rules(count))
    start = time.perf_counter()
    ruleset = compile_sources(sources)
    get_host().prepare(ruleset)
    compiled = time.perf_counter() - start
    for _ in range(50):
        evaluate(ruleset, facts)
    p50, p99 = timings(lambda: evaluate(ruleset, facts), 2_000)
    full50, full99 = timings(lambda: decide(evaluate(ruleset, facts)), 1_000)
    fired = len(evaluate(ruleset, facts).fired)
    return ruleset, {
        "compile_s": compiled,
        "p50": p50,
        "p99": p99,
        "decide_p50": full50,
        "decide_p99": full99,
        "conditions": len(ruleset.conditions),
        "fired": fired,
    }


def _zen_cell(pattern: Pattern) -> str:
    tests = [f"#.{k} == {json.dumps(v)}" for k, v in pattern.items() if k != "fact"]
    inner = " and ".join(tests) or "true"
    return f"some($.{pattern['fact']}, {inner})"


def zen_figures(count: int, facts: list[Fact]) -> dict[str, float] | None:
    try:
        import zen
    except ImportError:
        return None
    rows = []
    for rule in synthetic_rules(count):
        when = rule["when"]
        patterns = when.get("all", [when])
        rows.append(
            {
                "_id": rule["id"],
                "c1": " and ".join(_zen_cell(p) for p in patterns),
                "o1": json.dumps(rule["id"]),
            }
        )
    jdm = {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "in", "position": {"x": 0, "y": 0}},
            {
                "id": "table",
                "type": "decisionTableNode",
                "name": "rules",
                "position": {"x": 1, "y": 0},
                "content": {
                    "hitPolicy": "collect",
                    "inputs": [{"id": "c1", "name": "facts", "field": "facts"}],
                    "outputs": [{"id": "o1", "name": "rule", "field": "rule"}],
                    "rules": rows,
                },
            },
            {"id": "out", "type": "outputNode", "name": "out", "position": {"x": 2, "y": 0}},
        ],
        "edges": [
            {"id": "a", "sourceId": "in", "targetId": "table", "type": "edge"},
            {"id": "b", "sourceId": "table", "targetId": "out", "type": "edge"},
        ],
    }
    grouped: dict[str, list[Fact]] = {}
    for fact in facts:
        grouped.setdefault(str(fact["t"]), []).append(fact)
    payload = {"facts": grouped}
    start = time.perf_counter()
    decision = zen.ZenEngine().create_decision(json.dumps(jdm))
    decision.evaluate(payload)
    compiled = time.perf_counter() - start
    p50, p99 = timings(lambda: decision.evaluate(payload), 300 if count >= 10_000 else 1_000)
    return {"compile_s": compiled, "p50": p50, "p99": p99}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--evaluations", type=int, default=50_000)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()} on {platform.machine()}; facts per evaluation: "
        f"{len(realistic_facts())}"
    )
    facts = realistic_facts()
    print(
        f"{'rules':>7} {'conds':>6} {'fired':>5} {'compile':>9} {'eval p50':>9} {'eval p99':>9}"
        f" {'+decide p50':>11} | {'zen compile':>11} {'zen p50':>8} {'zen p99':>8}"
    )
    kept: RuleSet | None = None
    for count in SIZES:
        ruleset, ours_figures = ours(count, facts)
        if count == 2_000:
            kept = ruleset
        zen_result = zen_figures(count, facts)
        zen_text = (
            f"{zen_result['compile_s']:10.3f}s {zen_result['p50']:7.3f}ms "
            f"{zen_result['p99']:7.3f}ms"
            if zen_result
            else "zen-engine not installed"
        )
        print(
            f"{count:>7} {ours_figures['conditions']:>6.0f} {ours_figures['fired']:>5.0f} "
            f"{ours_figures['compile_s']:8.3f}s {ours_figures['p50']:8.3f}ms "
            f"{ours_figures['p99']:8.3f}ms {ours_figures['decide_p50']:10.3f}ms | {zen_text}"
        )
    assert kept is not None
    for _ in range(1_000):
        evaluate(kept, facts)
    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    for _ in range(args.evaluations):
        evaluate(kept, facts)
    gc.collect()
    after = rss_mb()
    print(
        f"RSS over {args.evaluations:,} evaluations of the 2,000-rule base: {before:.1f} MB → "
        f"{after:.1f} MB ({after - before:+.2f} MB) in {time.perf_counter() - start:.1f} s"
    )


if __name__ == "__main__":
    main()

"""Engine memory is bounded: every rule set a coach tests is registered in the engine, and
the engine never gives that memory back on its own; past MAX_REGISTERED the least recently
used one is deleted. Measured here (resident memory of this process), not in a benchmark."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from app.engine.evaluate import evaluate
from app.engine.host import MAX_REGISTERED, get_host
from app.engine.model import RuleSet
from app.facts.build import intake_facts
from tests.conftest import example_intake

DISTINCT_RULE_SETS = 500
BOUND_MB = 20


def resident_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


def variant(ruleset: RuleSet, k: int) -> RuleSet:
    """The rule set under another content digest: to the engine, a distinct rule set."""
    digest = hashlib.sha256(f"{ruleset.digest}:{k}".encode()).hexdigest()
    return dataclasses.replace(ruleset, digest=digest)


def test_engine_memory_stays_bounded_across_500_tested_rule_sets(ruleset: RuleSet) -> None:
    intake = example_intake("weak_left_glute_hamstring")
    assert intake.start_date is not None
    facts = intake_facts(intake, intake.start_date)
    expected = evaluate(ruleset, facts).fired_ids()
    host = get_host()
    for k in range(MAX_REGISTERED):  # fill the engine first: growth after this is the leak
        evaluate(variant(ruleset, k), facts)
    before = resident_mb()
    for k in range(MAX_REGISTERED, MAX_REGISTERED + DISTINCT_RULE_SETS):
        assert evaluate(variant(ruleset, k), facts).fired_ids() == expected
    grown = resident_mb() - before
    assert grown < BOUND_MB, f"{grown:.1f} MB"
    assert host.registered <= MAX_REGISTERED + 1  # the bound, and none left behind


def test_an_evicted_rule_set_is_registered_again_when_used(ruleset: RuleSet) -> None:
    intake = example_intake("novice_marathon")
    assert intake.start_date is not None
    facts = intake_facts(intake, intake.start_date)
    first = variant(ruleset, -1)
    expected = evaluate(first, facts).fired_ids()
    for k in range(MAX_REGISTERED + 2):
        evaluate(variant(ruleset, 10_000 + k), facts)
    assert evaluate(first, facts).fired_ids() == expected

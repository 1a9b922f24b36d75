"""Every case embedded in every shipped rule file (one test each)."""

from __future__ import annotations

import pytest

from app.authoring.cases import run_case
from app.engine.compile import load_ruleset
from app.engine.model import LocatedCase, RuleSet
from tests.conftest import RULES

_SHIPPED = load_ruleset(RULES)


@pytest.mark.parametrize(
    "case", _SHIPPED.cases, ids=[f"{c.file}:{c.case.name}" for c in _SHIPPED.cases]
)
def test_rule_case(case: LocatedCase, ruleset: RuleSet) -> None:
    result = run_case(ruleset, case)
    assert result.passed, f"{result.where()}: " + "; ".join(result.failures)


def test_every_rule_file_has_cases() -> None:
    rule_files = {r.file for r in _SHIPPED.rules}
    with_cases = {c.file for c in _SHIPPED.cases}
    assert rule_files <= with_cases


def test_every_rule_says_why() -> None:
    assert all(len(rule.why) >= 10 for rule in _SHIPPED.rules)

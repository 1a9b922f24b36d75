"""Run the test cases embedded in rule files: a partial intake, what must and must not happen."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from app.engine.decisions import decide
from app.engine.evaluate import evaluate
from app.engine.model import LocatedCase, RuleSet
from app.engine.problems import RuleProblem
from app.errors import StridePlanError
from app.facts.build import CheckInFacts, intake_facts
from app.intake.checks import finalize
from app.intake.models import Intake
from app.plan.build import build_plan

CASE_START = date(2026, 1, 5)
CASE_BASE: dict[str, Any] = {
    "athlete": {"name": "Case runner", "timezone": "UTC", "units": "km"},
    "running": {"weekly_distance": 20, "longest_run": 8, "runs_per_week": 3},
    "availability": {"run_days": ["tue", "thu", "sun"], "long_run_day": "sun"},
}


@dataclass
class CaseResult:
    file: str
    line: int | None
    name: str
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """Overlay a partial intake on the default runner: mappings merge, everything else replaces."""
    result = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def case_intake(located: LocatedCase) -> Intake:
    """The full intake a case describes (raises ValidationError / InvalidInput if invalid)."""
    data = merge(CASE_BASE, located.case.intake)
    data.setdefault("start_date", (located.case.start_date or CASE_START).isoformat())
    return finalize(Intake.model_validate(data), CASE_START)


def intake_errors(exc: ValidationError | StridePlanError) -> list[str]:
    """One readable line per problem: `field.path: message`."""
    items: list[tuple[Any, Any]]
    if isinstance(exc, ValidationError):
        items = [(e["loc"], e["msg"]) for e in exc.errors(include_url=False)]
    else:
        detail = exc.detail if isinstance(exc.detail, list) else [{"loc": [], "msg": exc.message}]
        items = [(d.get("loc", []), d.get("msg", "")) for d in detail]
    return [f"{'.'.join(str(p) for p in loc) or '(intake)'}: {msg}" for loc, msg in items]


def case_problems(ruleset: RuleSet) -> list[RuleProblem]:
    """Cases whose intake is not a valid intake (found without running them)."""
    problems = []
    for located in ruleset.cases:
        try:
            case_intake(located)
        except (ValidationError, StridePlanError) as exc:
            for text in intake_errors(exc):
                problems.append(
                    RuleProblem(
                        located.file, located.line, f"case '{located.case.name}': intake {text}"
                    )
                )
    return problems


def run_case(ruleset: RuleSet, located: LocatedCase) -> CaseResult:
    """Evaluate one case and compare with what it expects."""
    result = CaseResult(located.file, located.line, located.case.name)
    try:
        intake = case_intake(located)
    except (ValidationError, StridePlanError) as exc:
        result.failures.extend(
            f"the case's intake is invalid: {text}" for text in intake_errors(exc)
        )
        return result
    assert intake.start_date is not None
    check_in = located.case.check_in
    check_ins = [CheckInFacts(**check_in.model_dump())] if check_in else []
    evaluation = evaluate(ruleset, intake_facts(intake, intake.start_date, check_ins), explain=True)
    fired = evaluation.fired_ids()
    expect = located.case.expect
    missing = {m.rule.id: m.missing for m in evaluation.near_misses}
    result.failures += [
        f"expected rule {r} to fire"
        + (f"; it was one condition short: {missing[r]}" if r in missing else "")
        for r in expect.fires
        if r not in fired
    ]
    result.failures += [f"expected rule {r} not to fire" for r in expect.not_fires if r in fired]
    decisions = decide(evaluation)
    prescribed = {e for phase in decisions.prescriptions.values() for e in phase}
    if expect.response is not None:
        verdict = decisions.response[0] if decisions.response else None
        if verdict != expect.response:
            result.failures.append(
                f"expected the check-in verdict {expect.response}, got {verdict}"
            )
    result.failures += [
        f"expected {e} to be prescribed" for e in expect.prescribes if e not in prescribed
    ]
    result.failures += [
        f"expected {e} not to be prescribed" for e in expect.not_prescribes if e in prescribed
    ]
    if expect.status is not None:
        try:
            status = build_plan(intake, ruleset).status
        except StridePlanError as exc:
            result.failures.append(f"plan generation failed: {exc.message}: {exc.detail}")
        else:
            if status != expect.status:
                result.failures.append(f"expected status {expect.status}, got {status}")
    return result

"""Run the test cases embedded in rule files: a partial intake, what must and must not happen."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from app.engine.decisions import Decisions, decide
from app.engine.evaluate import evaluate
from app.engine.model import LocatedCase, RuleSet
from app.engine.problems import RuleProblem
from app.engine.schema import Expect, PlanExpect
from app.errors import StridePlanError
from app.facts.build import CheckInFacts, intake_facts
from app.intake.checks import finalize
from app.intake.models import Intake
from app.intake.vocabulary import BASE_VOCABULARY, KM_PER_MILE, Vocabulary, vocabulary_in_use
from app.plan.build import build_plan
from app.plan.models import Plan

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


def case_intake(located: LocatedCase, vocabulary: Vocabulary = BASE_VOCABULARY) -> Intake:
    """The full intake a case describes, its names checked against the rule set's vocabulary
    (raises ValidationError / InvalidInput if invalid)."""
    data = merge(CASE_BASE, located.case.intake)
    data.setdefault("start_date", (located.case.start_date or CASE_START).isoformat())
    with vocabulary_in_use(vocabulary):
        intake = Intake.model_validate(data)
    return finalize(intake, CASE_START)


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
            case_intake(located, ruleset.vocabulary)
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
        intake = case_intake(located, ruleset.vocabulary)
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
    result.failures += decision_failures(expect, decisions)
    if (
        expect.status is not None
        or expect.doubles is not None
        or expect.in_plan
        or expect.not_in_plan
    ):
        try:
            plan = build_plan(intake, ruleset)
        except StridePlanError as exc:
            result.failures.append(f"plan generation failed: {exc.message}: {exc.detail}")
        else:
            if expect.status is not None and plan.status != expect.status:
                result.failures.append(f"expected status {expect.status}, got {plan.status}")
            doubles = [s.date for s in plan.sessions if s.run_type == "double"]
            if expect.doubles is True and not doubles:
                result.failures.append(
                    "expected back-to-back practice (doubles), the plan has none"
                )
            if expect.doubles is False and doubles:
                result.failures.append(
                    f"expected no back-to-back practice, the plan has some from {min(doubles)}"
                )
            result.failures += plan_failures(expect, plan)
    return result


def decision_failures(expect: Expect, decisions: Decisions) -> list[str]:
    """What the case expects of the rules' decisions (doses, caps, settings, notes, gates)."""
    failures: list[str] = []
    for dose in expect.doses:
        found = [
            p
            for phase, items in decisions.prescriptions.items()
            for p in items.values()
            if p.exercise == dose.exercise and dose.phase in (None, phase)
        ]
        wanted = dose.model_dump(exclude_none=True, exclude={"exercise", "phase"})
        if not any(all(getattr(p, k) == v for k, v in wanted.items()) for p in found):
            got = [
                {k: getattr(p, k) for k in ("phase", "side", "sets", "extra_sets")} for p in found
            ]
            failures.append(
                f"expected {dose.exercise} prescribed with {wanted or 'any dose'}"
                f"{' in ' + dose.phase if dose.phase else ''}; got {got or 'no prescription'}"
            )
    for cap in expect.caps:
        ranked = decisions.caps.get(cap.phase)
        value = ranked.value if ranked is not None else None
        km = cap.km if cap.mi is None else cap.mi * KM_PER_MILE
        if value is None:
            if km is not None or cap.at_most_km is not None or cap.at_least_km is not None:
                failures.append(f"expected a {cap.phase} cap; the rules set none")
            continue
        shown = f"{value:g} km ({value / KM_PER_MILE:.1f} mi)"
        if km is not None and abs(value - km) > 0.1:
            failures.append(f"expected the {cap.phase} cap to be {km:g} km, got {shown}")
        if cap.at_most_km is not None and value > cap.at_most_km + 1e-9:
            failures.append(
                f"expected the {cap.phase} cap at most {cap.at_most_km:g} km, got {shown}"
            )
        if cap.at_least_km is not None and value < cap.at_least_km - 1e-9:
            failures.append(
                f"expected the {cap.phase} cap at least {cap.at_least_km:g} km, got {shown}"
            )
    for name, wanted_value in expect.settings.items():
        actual = decisions.parameter(name)
        if abs(actual - wanted_value) > 1e-9:
            failures.append(f"expected the setting {name} to be {wanted_value:g}, got {actual:g}")
    texts = [text for _, text, _, _ in decisions.notes]
    failures += [
        f"expected a note saying '{t}'" for t in expect.notes if not any(t in x for x in texts)
    ]
    failures += [
        f"expected no note saying '{t}'" for t in expect.not_notes if any(t in x for x in texts)
    ]
    for gate in expect.gates:
        criteria = {str(c) for c in decisions.gates.get(gate.phase, {})}
        if gate.criterion not in criteria:
            failures.append(
                f"expected the gate {gate.criterion} before {gate.phase}; "
                f"its gates are: {', '.join(sorted(criteria)) or 'none'}"
            )
    return failures


def _sessions_with(plan: Plan, wanted: PlanExpect) -> list[str]:
    return [
        s.date.isoformat()
        for s in plan.sessions
        if (
            any(e.id == wanted.exercise for e in [*s.exercises, *s.drills])
            if wanted.note is None
            else any(wanted.note in note for note in s.notes)
        )
        and wanted.phase in (None, s.phase)
        and (wanted.from_date is None or s.date >= wanted.from_date)
        and (wanted.until is None or s.date <= wanted.until)
    ]


def _window(wanted: PlanExpect) -> str:
    parts = [f"in {wanted.phase}" if wanted.phase else ""]
    if wanted.from_date is not None:
        parts.append(f"from {wanted.from_date.isoformat()}")
    if wanted.until is not None:
        parts.append(f"until {wanted.until.isoformat()}")
    return " ".join(p for p in parts if p) or "anywhere in the plan"


def plan_failures(expect: Expect, plan: Plan) -> list[str]:
    """Exercises the plan's sessions must (or must not) hold, in a phase or a date window."""
    failures = [
        f"expected {w.what} in a session {_window(w)}; it is in none"
        for w in expect.in_plan
        if not _sessions_with(plan, w)
    ]
    for wanted in expect.not_in_plan:
        days = _sessions_with(plan, wanted)
        if days:
            failures.append(
                f"expected no {wanted.what} {_window(wanted)}; it is on {', '.join(days[:3])}"
                + (f" and {len(days) - 3} more days" if len(days) > 3 else "")
            )
    return failures

"""A compiled rule set: what the evaluator runs, immutable and shareable between threads."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from app.catalog.models import Catalog
from app.engine.canonical import Conjunction, conjunction_json
from app.engine.conditions import Test
from app.engine.problems import RuleProblem
from app.engine.schema import Case, Domain
from app.engine.verbs import Consequence, Window
from app.intake.vocabulary import BASE_VOCABULARY, Vocabulary


@dataclass(frozen=True, slots=True)
class CPattern:
    """A compiled pattern: it holds for a fact when any of its engine conditions matched it."""

    fact: str
    conditions: tuple[int, ...]
    tests: tuple[Test, ...]


@dataclass(frozen=True, slots=True)
class CGroup:
    op: str  # all | any | none
    children: tuple[CNode, ...]


CNode = CPattern | CGroup


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A coach rule, ready to evaluate, with where it came from."""

    id: str
    title: str
    why: str
    domain: Domain
    priority: int
    source: tuple[str, ...]
    consequences: tuple[Consequence, ...]
    when: CNode
    file: str
    line: int | None
    stratum: int
    window: Window | None = None  # the part of the plan its prescriptions and notes hold in

    @property
    def precedence(self) -> tuple[int, int, str]:
        """Sort key: safety before injury before goal, then higher priority, then id."""
        return (self.domain.rank, -self.priority, self.id)


@dataclass(frozen=True, slots=True)
class LocatedCase:
    """A test case with the file and line it came from."""

    case: Case
    file: str
    line: int | None


@dataclass(frozen=True)
class RuleSet:
    """A validated, compiled rule base and its exercise catalog."""

    name: str
    version: str
    digest: str
    catalog: Catalog
    rules: tuple[CompiledRule, ...]
    conditions: tuple[Conjunction, ...]
    strata: tuple[tuple[int, ...], ...]
    cases: tuple[LocatedCase, ...]
    files: tuple[str, ...]
    vocabulary: Vocabulary = BASE_VOCABULARY  # the shipped one with the organisation's terms
    warnings: tuple[RuleProblem, ...] = ()  # likely mistakes (app.engine.likely_mistakes)

    @cached_property
    def engine_name(self) -> str:
        """The name the engine knows this rule set by (unique per content)."""
        return f"sp_{self.digest[:24]}"

    @cached_property
    def rules_by_id(self) -> dict[str, CompiledRule]:
        return {rule.id: rule for rule in self.rules}

    @cached_property
    def precedence_rank(self) -> dict[str, int]:
        """Each rule's position in precedence order (safety, injury, goal; then priority)."""
        ordered = sorted(self.rules, key=lambda rule: rule.precedence)
        return {rule.id: position for position, rule in enumerate(ordered)}

    @cached_property
    def triggers(self) -> tuple[tuple[dict[int, tuple[int, ...]], tuple[int, ...]], ...]:
        """Per stratum: which rules each engine condition can trigger, and the rules that can
        hold with no condition matched (a `none` group). Evaluation looks only at these."""
        levels = []
        for indexes in self.strata:
            by_condition: dict[int, set[int]] = {}
            unconditional = []
            for index in indexes:
                rule = self.rules[index]
                for condition in _conditions_of(rule.when):
                    by_condition.setdefault(condition, set()).add(index)
                if _holds_without_matches(rule.when):
                    unconditional.append(index)
            levels.append(
                ({c: tuple(sorted(r)) for c, r in by_condition.items()}, tuple(unconditional))
            )
        return tuple(levels)

    def engine_definition(self) -> dict[str, Any]:
        """durable_rules JSON: one rule per distinct condition, plus a catch-all."""
        definition: dict[str, Any] = {
            f"c{index}": {"all": [{f"c{index}": conjunction_json(conj)}], "run": "match"}
            for index, conj in enumerate(self.conditions)
        }
        # Every fact has `t`: with this low-priority rule no batch is ever unhandled, so the
        # engine never defers actions to a background thread (docs/engine.md).
        definition["catch_all"] = {
            "all": [{"m": {"$ex": {"t": 1}}}],
            "pri": 1_000_000,
            "run": "ignore",
        }
        return definition


def _conditions_of(node: CNode) -> set[int]:
    if isinstance(node, CPattern):
        return set(node.conditions)
    return set().union(*(_conditions_of(child) for child in node.children))


def _holds_without_matches(node: CNode) -> bool:
    if isinstance(node, CPattern):
        return False
    results = [_holds_without_matches(child) for child in node.children]
    if node.op == "all":
        return all(results)
    if node.op == "any":
        return any(results)
    return True  # `none` of nothing matched holds

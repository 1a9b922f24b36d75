"""Evaluate a compiled rule set over facts: which coach rules fire, on which facts, and why.

The engine matches each fact against the distinct conditions; this module combines those matches
into the coach rules' `all`/`any`/`none` groups, stratum by stratum, asserting derived facts
between strata so that later rules can match them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from app.engine.canonical import pattern_conjunctions, term_holds
from app.engine.conditions import Pattern, Test
from app.engine.host import RuleHost, get_host
from app.engine.model import CGroup, CNode, CompiledRule, CPattern, RuleSet
from app.engine.verbs import Derive
from app.facts.build import Fact

Hits = dict[int, set[int]]  # condition index → indexes of facts that met it


@dataclass(frozen=True, slots=True)
class Fired:
    """A rule that fired and the facts that made it fire."""

    rule: CompiledRule
    matched: tuple[int, ...]

    def side(self, facts: Sequence[Fact]) -> str | None:
        """The side of the first matched fact that has one."""
        for index in self.matched:
            side = facts[index].get("side")
            if isinstance(side, str):
                return side
        return None


@dataclass(frozen=True, slots=True)
class NearMiss:
    """A rule that did not fire but was one condition short."""

    rule: CompiledRule
    missing: str


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The outcome of one evaluation."""

    facts: tuple[Fact, ...]
    fired: tuple[Fired, ...]
    near_misses: tuple[NearMiss, ...] = ()

    def fired_ids(self) -> set[str]:
        return {f.rule.id for f in self.fired}


def _holds(node: CNode, hits: Hits) -> tuple[bool, set[int]]:
    if isinstance(node, CPattern):
        matched: set[int] = set()
        for condition in node.conditions:
            matched |= hits.get(condition, set())
        return bool(matched), matched
    results = [_holds(child, hits) for child in node.children]
    if node.op == "all":
        ok = all(r[0] for r in results)
        return ok, set().union(*(r[1] for r in results)) if ok else set()
    if node.op == "any":
        held = [r[1] for r in results if r[0]]
        return bool(held), set().union(*held) if held else set()
    return not any(r[0] for r in results), set()


def _derived_facts(fired: Sequence[Fired], facts: Sequence[Fact]) -> list[Fact]:
    new: dict[tuple[str, str | None], Fact] = {}
    for item in fired:
        for consequence in item.rule.consequences:
            if not isinstance(consequence, Derive):
                continue
            side = item.side(facts) if consequence.side == "matched" else consequence.side
            fact: Fact = {"t": "derived", "name": consequence.name}
            if side is not None:
                fact["side"] = side
            new.setdefault((consequence.name, side), fact)
    return list(new.values())


def evaluate(
    ruleset: RuleSet, facts: Sequence[Fact], *, explain: bool = False, host: RuleHost | None = None
) -> Evaluation:
    """Run the rule set over the facts (stratum by stratum) and return what fired."""
    host = host or get_host()
    all_facts: list[Fact] = list(facts)
    hits: Hits = defaultdict(set)
    fired: list[Fired] = []
    with host.session(ruleset) as session:
        for condition, fact_index in session.assert_facts(all_facts):
            hits[condition].add(fact_index)
        for level, (by_condition, unconditional) in enumerate(ruleset.triggers):
            candidates = set(unconditional)
            for condition in hits:
                candidates.update(by_condition.get(condition, ()))
            stratum_fired = []
            for index in sorted(candidates):
                rule = ruleset.rules[index]
                ok, matched = _holds(rule.when, hits)
                if ok:
                    stratum_fired.append(Fired(rule, tuple(sorted(matched))))
            fired.extend(stratum_fired)
            derived = _derived_facts(stratum_fired, all_facts)
            if derived and level + 1 < len(ruleset.strata):
                known = {(f.get("name"), f.get("side")) for f in all_facts if f["t"] == "derived"}
                derived = [f for f in derived if (f.get("name"), f.get("side")) not in known]
                for condition, fact_index in session.assert_facts(derived):
                    hits[condition].add(fact_index)
                all_facts.extend(derived)
            elif derived:
                all_facts.extend(derived)
    rank = ruleset.precedence_rank
    fired.sort(key=lambda f: rank[f.rule.id])
    misses = tuple(near_misses(ruleset, all_facts, hits, fired)) if explain else ()
    return Evaluation(tuple(all_facts), tuple(fired), misses)


def field_test_holds(test: Test, fact: Fact) -> bool:
    """Evaluate one field test in Python (same semantics as the engine)."""
    single = Pattern(str(fact["t"]), (test,))
    return any(
        all(term_holds(term, fact) for term in conj[1:]) for conj in pattern_conjunctions(single)
    )


def describe_test(test: Test) -> str:
    value = list(test.value) if isinstance(test.value, tuple) else test.value
    return f"{test.field} {test.op} {value}"


def _pattern_miss(pattern: CPattern, facts: Sequence[Fact]) -> str | None:
    """If some fact of the pattern's type fails exactly one of its tests, say which."""
    for fact in facts:
        if fact["t"] != pattern.fact:
            continue
        failing = [t for t in pattern.tests if not field_test_holds(t, fact)]
        if len(failing) == 1:
            actual = fact.get(failing[0].field, "absent")
            return f"{pattern.fact}: {describe_test(failing[0])} (the fact has {actual})"
    return None


def describe_node(node: CNode) -> str:
    if isinstance(node, CPattern):
        tests = ", ".join(describe_test(t) for t in node.tests)
        return f"{node.fact}({tests})"
    return f"{node.op}[" + "; ".join(describe_node(c) for c in node.children) + "]"


def near_misses(
    ruleset: RuleSet, facts: Sequence[Fact], hits: Hits, fired: Sequence[Fired]
) -> list[NearMiss]:
    """Rules one condition short of firing: the question coaches ask most."""
    fired_ids = {f.rule.id for f in fired}
    misses: list[NearMiss] = []
    for rule in ruleset.rules:
        if rule.id in fired_ids:
            continue
        node = rule.when
        if isinstance(node, CGroup) and node.op == "all" and len(node.children) == 1:
            node = node.children[0]
        missing: str | None = None
        if isinstance(node, CPattern):
            missing = _pattern_miss(node, facts)
        elif node.op == "all":
            failing = [c for c in node.children if not _holds(c, hits)[0]]
            if len(failing) == 1:
                missing = describe_node(failing[0])
        if missing is not None:
            misses.append(NearMiss(rule, missing))
    return misses

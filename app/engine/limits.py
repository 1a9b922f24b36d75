"""The engine's hard limits (docs/engine.md) and the margins we keep from them.

Past some of these limits durable_rules hangs forever or crashes the process, so a rule set is
measured against them before it is registered; nothing here talks to the engine.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from app.engine.canonical import Conjunction, Term

# engine limit → our limit (about half, or a safe distance below)
MAX_ENGINE_RULES = 3000  # 4,096 rules per ruleset → error 106
MAX_FANOUT = 256  # 512 distinct values on one field under one node → hangs
MAX_TRUE_AT_ONCE = 40  # 64 alpha nodes true at once for one fact → error 303
MAX_TERMS = 12  # ~15 levels of nesting → error 113
MAX_WHEN_DEPTH = 8  # nesting of all/any/none groups (evaluated outside the engine)
MAX_RULES_TOTAL = 25_000  # coach rules over all files (they collapse to engine rules)
# 255 properties per fact → segfault: facts have at most FACT_FIELDS_MAX fields by construction;
# 256 rules ending on one identical condition → error 108: each condition is one engine rule.


@dataclass
class _Node:
    children: dict[Term, _Node] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LimitBreach:
    """A limit the rule set would cross, with the conjunction that crosses it."""

    message: str
    conjunction: Conjunction


def _trie(conjunctions: list[Conjunction]) -> _Node:
    root = _Node()
    for conjunction in conjunctions:
        node = root
        for term in conjunction:
            node = node.children.setdefault(term, _Node())
    return root


def _max_true(node: _Node) -> int:
    """Upper bound of nodes below `node` that one fact can make true at once: equality tests on
    the same field exclude each other; every other test may hold alongside."""
    by_field: dict[str, int] = defaultdict(int)
    total = 0
    for term, child in node.children.items():
        below = 1 + _max_true(child)
        if term[1] == "eq":
            by_field[term[0]] = max(by_field[term[0]], below)
        else:
            total += below
    return total + sum(by_field.values())


def _fanout(node: _Node, path: Conjunction, breaches: list[LimitBreach]) -> None:
    per_field: dict[str, int] = defaultdict(int)
    for term in node.children:
        per_field[term[0]] += 1
    for name, count in per_field.items():
        if count > MAX_FANOUT:
            example = next(t for t in node.children if t[0] == name)
            breaches.append(
                LimitBreach(
                    f"{count} different tests on '{name}' after the same conditions; the limit "
                    f"is {MAX_FANOUT} (the engine hangs past 512)",
                    (*path, example),
                )
            )
    for term, child in node.children.items():
        _fanout(child, (*path, term), breaches)


def engine_limit_breaches(conjunctions: list[Conjunction]) -> list[LimitBreach]:
    """Every engine limit the compiled conditions would cross."""
    breaches: list[LimitBreach] = []
    if len(conjunctions) > MAX_ENGINE_RULES:
        breaches.append(
            LimitBreach(
                f"{len(conjunctions)} distinct conditions; the limit is {MAX_ENGINE_RULES} "
                "(the engine fails at 4,096)",
                conjunctions[MAX_ENGINE_RULES],
            )
        )
    for conjunction in conjunctions:
        if len(conjunction) > MAX_TERMS:
            breaches.append(
                LimitBreach(
                    f"a condition with {len(conjunction)} tests; the limit is {MAX_TERMS}",
                    conjunction,
                )
            )
    root = _trie(conjunctions)
    _fanout(root, (), breaches)
    for term, child in root.children.items():
        at_once = 1 + _max_true(child)
        if at_once > MAX_TRUE_AT_ONCE:
            breaches.append(
                LimitBreach(
                    f"one '{term[2]}' fact could meet {at_once} conditions at once; the limit is "
                    f"{MAX_TRUE_AT_ONCE} (the engine fails at 64)",
                    (term,),
                )
            )
    return breaches

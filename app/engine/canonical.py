"""Canonical forms: conditions become disjunctions of flat conjunctions of atomic terms.

Every pattern compiles to one or more *conjunctions* (`in` expands to one per value); each
conjunction is a tuple of atomic terms in a fixed order (fact type, then the fields in the order
of `app.facts.schema`, then operator and value) so that identical conditions written differently
share one engine rule and the engine's alpha nodes are shared.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from app.engine.conditions import Condition, Group, Pattern, Test
from app.facts.schema import Scalar, field_order

# An atomic term: (field, op, value) with op one of eq ne lt lte gt gte ex nex
Term = tuple[str, str, Scalar]
Conjunction = tuple[Term, ...]

_OP_ORDER = {"eq": 0, "ne": 1, "lt": 2, "lte": 3, "gt": 4, "gte": 5, "ex": 6, "nex": 7}
MAX_EXPANSION = 64


def _value_key(value: Scalar) -> tuple[int, str]:
    return (0 if isinstance(value, bool) else 1, json.dumps(value))


def _atoms(test: Test) -> list[list[Term]]:
    """Alternatives (OR) of conjunctions (AND) of atomic terms for one test."""
    if test.op == "in":
        assert isinstance(test.value, tuple)
        return [[(test.field, "eq", value)] for value in _dedupe(test.value)]
    if test.op == "not_in":
        assert isinstance(test.value, tuple)
        return [[(test.field, "ne", value) for value in _dedupe(test.value)]]
    if test.op == "exists":
        return [[(test.field, "ex" if test.value else "nex", 1)]]
    assert not isinstance(test.value, tuple)
    return [[(test.field, test.op, test.value)]]


def _dedupe(values: tuple[Scalar, ...]) -> list[Scalar]:
    seen: dict[tuple[int, str], Scalar] = {}
    for value in values:
        seen.setdefault(_value_key(value), value)
    return list(seen.values())


def pattern_conjunctions(pattern: Pattern) -> list[Conjunction]:
    """The canonical conjunctions whose disjunction is the pattern (without the type term)."""
    order = field_order(pattern.fact)
    alternatives = [_atoms(test) for test in pattern.tests]
    result: list[Conjunction] = []
    seen: set[Conjunction] = set()
    for combination in itertools.product(*alternatives):
        terms = {term for part in combination for term in part}
        canonical = tuple(
            sorted(terms, key=lambda t: (order[t[0]], _OP_ORDER[t[1]], _value_key(t[2])))
        )
        full: Conjunction = (("t", "eq", pattern.fact), *canonical)
        if full not in seen:
            seen.add(full)
            result.append(full)
        if len(result) > MAX_EXPANSION:
            break
    return result


def expansion_size(pattern: Pattern) -> int:
    """How many conjunctions a pattern expands to (before de-duplication)."""
    size = 1
    for test in pattern.tests:
        if test.op == "in":
            assert isinstance(test.value, tuple)
            size *= len(test.value)
    return size


def term_json(term: Term) -> dict[str, Any]:
    """One term in durable_rules' JSON dialect."""
    field, op, value = term
    if op == "eq":
        return {field: value}
    if op == "ex":
        return {"$ex": {field: 1}}
    if op == "nex":
        return {"$nex": {field: 1}}
    name = {"ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}[op]
    return {name: {field: value}}


def conjunction_json(conjunction: Conjunction) -> dict[str, Any]:
    """A conjunction as one durable_rules pattern."""
    return {"$and": [term_json(term) for term in conjunction]}


def term_holds(term: Term, fact: dict[str, Scalar]) -> bool:
    """Evaluate one term in Python, with the engine's semantics: a test on a missing field is
    false (only `nex` matches a missing field)."""
    field, op, expected = term
    if op == "ex":
        return field in fact
    if op == "nex":
        return field not in fact
    if field not in fact:
        return False
    actual = fact[field]
    if op == "eq":
        return actual == expected and isinstance(actual, bool) == isinstance(expected, bool)
    if op == "ne":
        return not (actual == expected and isinstance(actual, bool) == isinstance(expected, bool))
    if isinstance(actual, bool | str) or isinstance(expected, bool | str):
        return False
    if op == "lt":
        return actual < expected
    if op == "lte":
        return actual <= expected
    if op == "gt":
        return actual > expected
    return actual >= expected


def canonical_text(condition: Condition) -> str:
    """A text that is equal for conditions that are the same up to ordering."""
    if isinstance(condition, Pattern):
        return json.dumps(sorted(pattern_conjunctions(condition)))
    children = sorted(canonical_text(child) for child in condition.children)
    if condition.op in ("all", "any") and len(children) == 1:
        return children[0]
    return json.dumps([condition.op, children])


def group_of(condition: Condition) -> Group:
    """A condition as a group (a bare pattern is `all: [pattern]`)."""
    return condition if isinstance(condition, Group) else Group("all", (condition,))

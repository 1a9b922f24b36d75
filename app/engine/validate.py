"""Checks on a rule set before the engine sees it, each naming file, line and rule.

Structure is checked by the pydantic schema; this module checks meaning: values each field can
take, conditions no valid intake can meet, unknown exercises and tags, duplicate ids,
contradictory caps, derive cycles, and the engine's limits.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Mapping
from functools import cache
from types import MappingProxyType

from app.catalog.models import Catalog
from app.engine.canonical import (
    MAX_EXPANSION,
    Conjunction,
    canonical_text,
    expansion_size,
    pattern_conjunctions,
)
from app.engine.conditions import Condition, Pattern, condition_depth, patterns_of, suggest
from app.engine.consequence_checks import consequence_problems
from app.engine.limits import MAX_RULES_TOTAL, MAX_WHEN_DEPTH, engine_limit_breaches
from app.engine.located import LocatedRule
from app.engine.problems import RuleProblem
from app.engine.schema import Domain
from app.engine.verbs import Cap, Derive, Refer, SetParameter
from app.facts.schema import FACT_TYPES, Scalar
from app.intake.vocabulary import BASE_VOCABULARY, RedFlag, RedSSign, Vocabulary


def derived_names(rules: list[LocatedRule]) -> dict[str, list[LocatedRule]]:
    """Which rules derive each derived-fact name."""
    names: dict[str, list[LocatedRule]] = defaultdict(list)
    for located in rules:
        for name in located.derives or ():
            names[name].append(located)
        for item in located.rule.then:
            if isinstance(item.consequence, Derive):
                names[item.consequence.name].append(located)
    return names


def referenced_names(condition: Condition) -> set[str]:
    """Derived-fact names a condition tests for."""
    names: set[str] = set()
    for pattern in patterns_of(condition):
        if pattern.fact != "derived":
            continue
        for test in pattern.tests:
            if test.field == "name" and test.op in ("eq", "in"):
                values = test.value if isinstance(test.value, tuple) else (test.value,)
                names.update(str(v) for v in values)
    return names


def _satisfiable(conjunction: Conjunction) -> bool:
    """Whether one fact could meet every term of a conjunction."""
    by_field: dict[str, list[tuple[str, Scalar]]] = defaultdict(list)
    for field, op, value in conjunction:
        by_field[field].append((op, value))
    for terms in by_field.values():
        ops = {op for op, _ in terms}
        if "nex" in ops and len(terms) > 1:
            return False
        equal = {repr(v) for op, v in terms if op == "eq"}
        if len(equal) > 1:
            return False
        not_equal = {repr(v) for op, v in terms if op == "ne"}
        if equal & not_equal:
            return False
        low, high = -math.inf, math.inf
        low_open = high_open = False
        for op, value in terms:
            if not isinstance(value, int | float) or isinstance(value, bool):
                continue
            if op in ("gt", "gte") and (value > low or (value == low and op == "gt")):
                low, low_open = value, op == "gt"
            if op in ("lt", "lte") and (value < high or (value == high and op == "lt")):
                high, high_open = value, op == "lt"
        if low > high or (low == high and (low_open or high_open)):
            return False
    return True


Extra = Mapping[tuple[str, str], frozenset[str]]  # (fact, field) → an organisation's names
NO_EXTRA: Extra = MappingProxyType({})


def _pattern_problems(
    located: LocatedRule, pattern: Pattern, derived: dict[str, list[LocatedRule]], extra: Extra
) -> Iterator[RuleProblem]:
    fields = FACT_TYPES[pattern.fact]
    where = ("when", *pattern.path)
    for test in pattern.tests:
        spec = fields[test.field]
        values = test.value if isinstance(test.value, tuple) else (test.value,)
        if test.op in ("lt", "lte", "gt", "gte") and spec.kind not in ("int", "number"):
            yield located.problem(
                f"'{test.op}' compares numbers, but '{pattern.fact}.{test.field}' is "
                f"{spec.describe()}",
                *where,
                test.field,
            )
            continue
        if test.op == "exists":
            continue
        if pattern.fact == "derived" and test.field == "name":
            for value in values:
                if value not in derived:
                    hint = suggest(str(value), derived)
                    yield located.problem(
                        f"no rule derives '{value}'{hint}, so this condition can never be met",
                        *where,
                        test.field,
                    )
            continue
        for value in values:
            if test.op in ("lt", "lte", "gt", "gte"):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    yield located.problem(
                        f"'{test.op}' on '{test.field}' needs a number, got {value!r}",
                        *where,
                        test.field,
                    )
            elif not spec.accepts(value) and value not in extra.get((pattern.fact, test.field), ()):
                own = sorted(extra.get((pattern.fact, test.field), ()))
                hint = suggest(str(value), [*spec.values, *own]) if spec.kind == "enum" else ""
                yield located.problem(
                    f"'{pattern.fact}.{test.field}' is never {value!r}{hint}: it is "
                    f"{spec.describe()}",
                    *where,
                    test.field,
                )
    if expansion_size(pattern) > MAX_EXPANSION:
        yield located.problem(
            f"a pattern expands to more than {MAX_EXPANSION} alternatives; split the rule", *where
        )
    elif not any(_satisfiable(c) for c in pattern_conjunctions(pattern)):
        yield located.problem(
            f"unreachable: no '{pattern.fact}' fact can meet all of these tests at once", *where
        )


def _strata(
    rules: list[LocatedRule], derived: dict[str, list[LocatedRule]]
) -> tuple[dict[str, int], list[RuleProblem]]:
    """Stratum of each rule: one above every rule that derives a name it tests. A cycle is an
    error (a rule cannot depend, even through others, on what it derives)."""
    depends = {r.rule.id: referenced_names(r.rule.when) for r in rules}
    stratum: dict[str, int] = {}
    problems: list[RuleProblem] = []
    by_id = {r.rule.id: r for r in rules}

    def visit(rule_id: str, stack: list[str]) -> int:
        if rule_id in stratum:
            return stratum[rule_id]
        if rule_id in stack:
            cycle = [*stack[stack.index(rule_id) :], rule_id]
            located = by_id[rule_id]
            problems.append(
                located.problem(
                    "derive cycle: " + " → ".join(cycle) + " (rules that derive "
                    "facts cannot depend on them, even indirectly)",
                    "when",
                )
            )
            stratum[rule_id] = 0
            return 0
        level = 0
        for name in sorted(depends[rule_id]):
            for producer in derived.get(name, []):
                level = max(level, visit(producer.rule.id, [*stack, rule_id]) + 1)
        stratum[rule_id] = level
        return level

    for located in rules:
        visit(located.rule.id, [])
    return stratum, problems


def _contradictions(rules: list[LocatedRule]) -> Iterator[RuleProblem]:
    """Two settings for the same case and precedence that disagree (caps cannot: the lowest
    one wins, see `shadowed_caps` in `rules check`)."""
    seen: dict[tuple[str, str, int, str], tuple[float, LocatedRule]] = {}
    for located in rules:
        rule = located.rule
        case = canonical_text(rule.when)
        for item in rule.then:
            verb = item.consequence
            if isinstance(verb, SetParameter):
                key = (case, rule.domain.value, rule.priority, f"set:{verb.parameter.value}")
                value = verb.value
            else:
                continue
            if key in seen and seen[key][0] != value:
                other = seen[key][1]
                what = key[3].replace(":", " ")
                yield located.problem(
                    f"contradicts rule '{other.rule.id}' ({other.file}:{other.line}): both give "
                    f"{what} for the same case with the same domain and priority but different "
                    "values; change a priority or merge them",
                    "then",
                )
            seen.setdefault(key, (value, located))


def _referred(rules: list[LocatedRule], fact: str) -> set[str]:
    """The `name` values of `fact` facts that some safety rule refers on, alone."""
    names: set[str] = set()
    for located in rules:
        rule = located.rule
        if rule.domain != Domain.safety or not any(
            isinstance(item.consequence, Refer) for item in rule.then
        ):
            continue
        patterns = patterns_of(rule.when)
        if len(patterns) != 1 or patterns[0].fact != fact:
            continue
        for test in patterns[0].tests:
            if test.field == "name" and test.op in ("eq", "in"):
                values = test.value if isinstance(test.value, tuple) else (test.value,)
                names.update(str(v) for v in values)
    return names


def _protected_problems(rules: list[LocatedRule]) -> Iterator[RuleProblem]:
    """The protected safety core: every red flag and every RED-S sign of the vocabulary is
    referred by a `safety` rule that needs nothing else. A rule set may add referrals, never
    remove these."""
    for fact, vocabulary in (("red_flag", RedFlag), ("red_s", RedSSign)):
        missing = sorted(v.value for v in vocabulary if v.value not in _referred(rules, fact))
        if missing:
            yield RuleProblem(
                "red_flags.yaml",
                None,
                f"no safety rule refers a runner with {fact} {', '.join(missing)}: these "
                "referrals belong to the protected safety core and cannot be removed (a "
                "`safety` rule with `when: {fact: " + fact + ", name: [...]}` and `refer`)",
            )


@cache
def _shipped_contraindications() -> dict[str, frozenset[str]]:
    """The shipped catalog's contraindications: the floor every rule set's catalog keeps."""
    from app.catalog.models import CatalogFile
    from app.config import PROJECT_ROOT
    from app.engine.loader import load_yaml

    path = PROJECT_ROOT / "rules" / "catalog.yaml"
    parsed = CatalogFile.model_validate(load_yaml(path.read_bytes(), "catalog.yaml").data)
    return {e.id: frozenset(e.contraindications) for e in parsed.exercises}


def protected_catalog_problems(catalog: Catalog) -> Iterator[RuleProblem]:
    """A rule set may add contraindications to the shipped exercises, never remove them (the
    restriction table is the code's: `no_weights` rules out `external_load` whatever the
    catalog says), and anything under external load says so."""
    shipped = _shipped_contraindications()
    for exercise in catalog.exercises.values():
        removed = shipped.get(exercise.id, frozenset()) - set(exercise.contraindications)
        if removed:
            yield RuleProblem(
                "catalog.yaml",
                None,
                f"'{exercise.id}' drops the contraindication(s) {', '.join(sorted(removed))}: "
                "a rule set may add contraindications, never remove them (the protected "
                "safety core)",
            )
        if exercise.loaded and "external_load" not in exercise.contraindications:
            yield RuleProblem(
                "catalog.yaml",
                None,
                f"'{exercise.id}' is loaded but lacks the 'external_load' contraindication "
                "(so that `no_weights` rules it out)",
            )


def _replacement_problems(rules: list[LocatedRule]) -> Iterator[RuleProblem]:
    """A cap may replace only other rules' caps on the same phase, and never a safety rule's
    (the lowest cap wins otherwise, docs/plan-shape.md §8)."""
    by_id = {r.rule.id: r for r in rules}
    for located in rules:
        for position, item in enumerate(located.rule.then):
            verb = item.consequence
            if not isinstance(verb, Cap):
                continue
            for index, rule_id in enumerate(verb.replaces):
                where = ("then", position, "cap", "replaces", index)
                other = by_id.get(rule_id)
                if other is None:
                    hint = suggest(rule_id, by_id)
                    yield located.problem(f"replaces '{rule_id}', which is no rule{hint}", *where)
                elif other is located:
                    yield located.problem("a cap cannot replace its own rule", *where)
                elif other.rule.domain == Domain.safety:
                    yield located.problem(
                        f"'{rule_id}' is a safety rule: its cap cannot be replaced", *where
                    )
                elif not any(
                    isinstance(c.consequence, Cap)
                    and (verb.phase == "all" or c.consequence.phase in (verb.phase, "all"))
                    for c in other.rule.then
                ):
                    yield located.problem(
                        f"'{rule_id}' ({other.file}:{other.line}) has no cap on {verb.phase} "
                        "to replace",
                        *where,
                    )


def validate(
    rules: list[LocatedRule],
    catalog: Catalog,
    *,
    protected: bool = False,
    extra: Extra = NO_EXTRA,
    vocabulary: Vocabulary = BASE_VOCABULARY,
) -> tuple[dict[str, int], list[RuleProblem]]:
    """Every problem in the rules, and each rule's stratum (meaningful when there are none)."""
    problems: list[RuleProblem] = []
    if len(rules) > MAX_RULES_TOTAL:
        first = rules[MAX_RULES_TOTAL]
        problems.append(first.problem(f"more than {MAX_RULES_TOTAL} rules in one rule set"))
        return {}, problems
    first_seen: dict[str, LocatedRule] = {}
    for located in rules:
        earlier = first_seen.setdefault(located.rule.id, located)
        if earlier is not located:
            problems.append(
                located.problem(
                    f"duplicate rule id (first defined at {earlier.file}:{earlier.line})"
                )
            )
    derived = derived_names(rules)
    for located in rules:
        depth = condition_depth(located.rule.when)
        if depth > MAX_WHEN_DEPTH:
            problems.append(
                located.problem(
                    f"conditions nested {depth} levels deep; the limit is {MAX_WHEN_DEPTH}", "when"
                )
            )
            continue
        for pattern in patterns_of(located.rule.when):
            problems.extend(_pattern_problems(located, pattern, derived, extra))
        problems.extend(consequence_problems(located, catalog, vocabulary))
    strata, cycle_problems = _strata([r for r in rules if first_seen[r.rule.id] is r], derived)
    problems.extend(cycle_problems)
    problems.extend(_contradictions(rules))
    problems.extend(_replacement_problems(rules))
    if protected:
        problems.extend(_protected_problems(rules))
        problems.extend(protected_catalog_problems(catalog))
    if not problems:
        problems.extend(_limit_problems(rules))
    return strata, problems


def partial_problems(
    rules: list[LocatedRule],
    catalog: Catalog | None,
    extra: Extra = NO_EXTRA,
    vocabulary: Vocabulary = BASE_VOCABULARY,
) -> list[RuleProblem]:
    """The checks that hold rule by rule, for a rule set some of whose files failed the schema:
    names in conditions, and (when the catalog parsed) exercises and tags in consequences."""
    problems: list[RuleProblem] = []
    derived = derived_names(rules)
    for located in rules:
        if condition_depth(located.rule.when) > MAX_WHEN_DEPTH:
            continue
        for pattern in patterns_of(located.rule.when):
            problems.extend(_pattern_problems(located, pattern, derived, extra))
        if catalog is not None and located.derives is None:
            problems.extend(consequence_problems(located, catalog, vocabulary))
    return problems


def _limit_problems(rules: list[LocatedRule]) -> Iterator[RuleProblem]:
    owner: dict[Conjunction, LocatedRule] = {}
    for located in rules:
        for pattern in patterns_of(located.rule.when):
            for conjunction in pattern_conjunctions(pattern):
                owner.setdefault(conjunction, located)
    for breach in engine_limit_breaches(list(owner)):
        located = owner.get(breach.conjunction) or next(
            (r for c, r in owner.items() if c[: len(breach.conjunction)] == breach.conjunction),
            rules[0],
        )
        yield located.problem(breach.message, "when")

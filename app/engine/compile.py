"""Rule sources (YAML texts) → a validated, compiled `RuleSet`.

Nothing reaches the engine unless every file parses, matches the schema, and passes every check
in `app.engine.validate`; otherwise `RuleSetRejected` lists every problem with file and line.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from app.catalog.models import MAX_EXERCISES, Catalog, CatalogFile
from app.engine.canonical import Conjunction, pattern_conjunctions
from app.engine.conditions import Condition, Pattern, parse_condition
from app.engine.likely_mistakes import likely_mistakes
from app.engine.loader import MAX_FILE_BYTES, LoadedYaml, YamlRejected, load_yaml
from app.engine.located import LocatedRule
from app.engine.messages import plain_message, where
from app.engine.model import CGroup, CNode, CompiledRule, CPattern, LocatedCase, RuleSet
from app.engine.problems import RuleProblem, RuleSetRejected
from app.engine.schema import MAX_CASES_PER_FILE, MAX_RULES_PER_FILE, Rule, RuleFile
from app.engine.validate import partial_problems, validate
from app.engine.vocabulary import (
    VOCABULARY_FILE,
    VocabularyFile,
    declared_vocabulary,
    extra_values,
    undeclared_tags,
    unused_terms,
)
from app.intake.vocabulary import BASE_VOCABULARY

CATALOG_FILE = "catalog.yaml"
MANIFEST_FILE = "ruleset.yaml"
MAX_FILES = 200
MAX_TOTAL_BYTES = 2 * 1024 * 1024  # every file together: about 25 times the shipped rule base


def total_bytes(sources: Mapping[str, str | bytes]) -> int:
    return sum(len(v.encode() if isinstance(v, str) else v) for v in sources.values())


def size_problem(sources: Mapping[str, str | bytes]) -> RuleProblem | None:
    """A rule set over the size limits, found from its size alone (before any parsing)."""
    if len(sources) > MAX_FILES:
        return RuleProblem("(rule set)", None, f"more than {MAX_FILES} files")
    for name, text in sorted(sources.items()):
        one = len(text.encode() if isinstance(text, str) else text)
        if one > MAX_FILE_BYTES:
            return RuleProblem(
                name, None, f"file is {one:,} bytes; the limit is {MAX_FILE_BYTES:,}"
            )
    size = total_bytes(sources)
    if size > MAX_TOTAL_BYTES:
        return RuleProblem(
            "(rule set)",
            None,
            f"the rule set is {size:,} bytes over all its files; the limit is {MAX_TOTAL_BYTES:,}",
        )
    return None


class Manifest(BaseModel):
    """`rules/ruleset.yaml`: the rule set's name and version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="custom", pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    version: str = Field(default="0", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,39}$")
    description: str = ""


def _pydantic_problems(
    error: ValidationError, file: str, loaded: LoadedYaml, data: Any, root: type[BaseModel]
) -> list[RuleProblem]:
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        inside = tuple((item.get("ctx") or {}).get("at", ()))
        message = plain_message(item, root, loc)
        rule_id = None
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            try:
                rule_id = str(data["rules"][loc[1]]["id"])
            except (KeyError, IndexError, TypeError):
                rule_id = None
        # With the rule named, its position in the list is noise: say "when: …", not "rules.3.when"
        shown = loc[2:] if rule_id is not None else loc
        path = where((*shown, *inside))
        text = f"{path}: {message}" if path else message
        problems.append(RuleProblem(file, loaded.line_of((*loc, *inside)), text, rule_id))
    return problems


M = TypeVar("M", bound=BaseModel)
# Long top-level lists are refused while parsing, before they cost anything.
MAX_ITEMS = {"rules": MAX_RULES_PER_FILE, "cases": MAX_CASES_PER_FILE, "exercises": MAX_EXERCISES}


def _parse(
    model: type[M], text: str | bytes, file: str
) -> tuple[M | None, LoadedYaml | None, list[RuleProblem]]:
    try:
        loaded = load_yaml(text, file, MAX_ITEMS)
    except YamlRejected as exc:
        return None, None, [exc.problem]
    if not isinstance(loaded.data, dict):
        return None, loaded, [RuleProblem(file, 1, "the file must hold a mapping at the top")]
    try:
        return model.model_validate(loaded.data), loaded, []
    except ValidationError as exc:
        return None, loaded, _pydantic_problems(exc, file, loaded, loaded.data, model)


def _compile_node(condition: Condition, table: dict[Conjunction, int]) -> CNode:
    if isinstance(condition, Pattern):
        indexes = tuple(
            table.setdefault(conj, len(table)) for conj in pattern_conjunctions(condition)
        )
        return CPattern(condition.fact, indexes, condition.tests)
    return CGroup(condition.op, tuple(_compile_node(c, table) for c in condition.children))


def compile_sources(
    sources: Mapping[str, str | bytes],
    *,
    base_catalog: Catalog | None = None,
    protected: bool = False,
) -> RuleSet:
    """Validate and compile rule sources keyed by file name (`catalog.yaml` for the catalog,
    `ruleset.yaml` for the manifest, any other `*.yaml` for rules). `protected`: also require
    the protected safety core (a rule set to publish or to plan with, not a fragment)."""
    problems: list[RuleProblem] = []
    too_big = size_problem(sources)
    if too_big is not None:
        raise RuleSetRejected([too_big])
    names = sorted(sources)
    manifest = Manifest()
    catalog = base_catalog
    located: list[LocatedRule] = []
    partial: list[LocatedRule] = []  # from files that fail the schema
    catalog_parts: list[tuple[CatalogFile, str, LoadedYaml]] = []
    vocabulary, vocabulary_yaml = BASE_VOCABULARY, None
    cases: list[LocatedCase] = []
    for name in names:
        base = name.rsplit("/", 1)[-1]
        if base == MANIFEST_FILE:
            parsed_manifest, _, found = _parse(Manifest, sources[name], name)
            problems.extend(found)
            manifest = parsed_manifest or manifest
        elif is_catalog(base):
            parsed_catalog, loaded, found = _parse(CatalogFile, sources[name], name)
            problems.extend(found)
            if parsed_catalog is not None and loaded is not None:
                catalog_parts.append((parsed_catalog, name, loaded))
        elif base == VOCABULARY_FILE:
            parsed_terms, vocabulary_yaml, found = _parse(VocabularyFile, sources[name], name)
            problems.extend(found)
            if parsed_terms is not None and vocabulary_yaml is not None:
                vocabulary, found = declared_vocabulary(parsed_terms, name, vocabulary_yaml)
                problems.extend(found)
        else:
            rule_file, loaded, found = _parse(RuleFile, sources[name], name)
            problems.extend(found)
            if rule_file is None:  # still check each rule that parses on its own (one pass)
                if loaded is not None:
                    partial.extend(_rules_that_parse(loaded, name))
                continue
            if loaded is None:
                continue
            line_of = loaded.line_of
            for index, rule in enumerate(rule_file.rules):
                located.append(LocatedRule(rule, name, ("rules", index), line_of))
            for index, case in enumerate(rule_file.cases):
                cases.append(LocatedCase(case, name, line_of(("cases", index))))
    if catalog_parts:
        problems.extend(_catalog_problems(catalog_parts))
        catalog = Catalog([e for part, _, _ in catalog_parts for e in part.exercises])
    if catalog is None and not any(is_catalog(n.rsplit("/", 1)[-1]) for n in names):
        problems.append(RuleProblem(CATALOG_FILE, None, "no exercise catalog in the rule set"))
    extra = extra_values(vocabulary)
    # Likely mistakes are warnings: shown beside the errors, never a reason to refuse.
    warnings = likely_mistakes(located, catalog, vocabulary) if catalog is not None else []
    warnings.extend(undeclared_tags(catalog_parts, vocabulary))
    if problems:
        # One pass: what did parse is checked too, so a schema error does not hide a misspelt
        # name elsewhere. Checks that need the whole set (the protected core, the cases, the
        # engine's limits) wait until every file parses.
        problems.extend(partial_problems([*located, *partial], catalog, extra, vocabulary))
        raise RuleSetRejected(problems, warnings)
    assert catalog is not None
    strata, found = validate(
        located, catalog, protected=protected, extra=extra, vocabulary=vocabulary
    )
    problems.extend(found)
    problems.extend(_case_reference_problems(cases, located, catalog))
    problems.extend(unused_terms(vocabulary, located, VOCABULARY_FILE, vocabulary_yaml, catalog))
    if problems:
        raise RuleSetRejected(problems, warnings)
    ruleset = _assemble(sources, manifest, catalog, located, strata, cases)
    return dataclasses.replace(ruleset, vocabulary=vocabulary, warnings=tuple(warnings))


def is_catalog(name: str) -> bool:
    """`catalog.yaml`, or a further catalog file such as `catalog_hips.yaml`."""
    return name == CATALOG_FILE or (name.startswith("catalog_") and name.endswith(".yaml"))


def _rules_that_parse(loaded: LoadedYaml, file: str) -> Iterator[LocatedRule]:
    """The rules of a file that fails the schema which are valid on their own; for a rule that
    is not, its condition alone when that parses (so that its names are checked)."""
    rules = loaded.data.get("rules") if isinstance(loaded.data, dict) else None
    if not isinstance(rules, list):
        return
    for index, item in enumerate(rules[:MAX_RULES_PER_FILE]):
        if not isinstance(item, dict):
            continue
        path = ("rules", index)
        try:
            yield LocatedRule(Rule.model_validate(item), file, path, loaded.line_of)
            continue
        except ValidationError:
            pass
        try:
            when = parse_condition(item.get("when"))
        except (ValueError, PydanticCustomError):
            continue
        stand_in = Rule.model_construct(
            id=str(item.get("id", "?")), title="", why="", when=when, then=[]
        )
        yield LocatedRule(stand_in, file, path, loaded.line_of, derives=_derived_in(item))


def _derived_in(item: dict[str, Any]) -> tuple[str, ...]:
    """The names a rule that failed the schema derives, read from its raw consequences."""
    names = []
    for then in item.get("then") or []:
        derive = then.get("derive") if isinstance(then, dict) else None
        if isinstance(derive, dict) and isinstance(derive.get("name"), str):
            names.append(derive["name"])
    return tuple(names)


def _assemble(
    sources: Mapping[str, str | bytes],
    manifest: Manifest,
    catalog: Catalog,
    located: list[LocatedRule],
    strata: dict[str, int],
    cases: list[LocatedCase],
) -> RuleSet:
    table: dict[Conjunction, int] = {}
    ordered = sorted(located, key=lambda r: strata.get(r.rule.id, 0))
    compiled: list[CompiledRule] = []
    for item in ordered:
        rule = item.rule
        compiled.append(
            CompiledRule(
                id=rule.id,
                title=rule.title,
                why=rule.why,
                domain=rule.domain,
                priority=rule.priority,
                source=tuple(rule.source),
                consequences=tuple(then.consequence for then in rule.then),
                when=_compile_node(rule.when, table),
                file=item.file,
                line=item.line,
                stratum=strata.get(rule.id, 0),
                window=rule.window,
            )
        )
    levels = max((r.stratum for r in compiled), default=0) + 1
    strata_rules = tuple(
        tuple(i for i, r in enumerate(compiled) if r.stratum == level) for level in range(levels)
    )
    digest = hashlib.sha256()
    for name in sorted(sources):
        content = sources[name]
        digest.update(name.encode() + b"\0")
        digest.update(content.encode() if isinstance(content, str) else content)
        digest.update(b"\0")
    return RuleSet(
        name=manifest.name,
        version=manifest.version,
        digest=digest.hexdigest(),
        catalog=catalog,
        rules=tuple(compiled),
        conditions=tuple(table),
        strata=strata_rules,
        cases=tuple(cases),
        files=tuple(sorted(sources)),
    )


def _catalog_problems(parts: list[tuple[CatalogFile, str, LoadedYaml]]) -> list[RuleProblem]:
    """Exercise ids unique over every catalog file; progressions and regressions known."""
    problems: list[RuleProblem] = []
    where: dict[str, tuple[str, int | None]] = {}
    for catalog, file, loaded in parts:
        for index, exercise in enumerate(catalog.exercises):
            line = loaded.line_of(("exercises", index))
            if exercise.id in where:
                first = where[exercise.id]
                problems.append(
                    RuleProblem(
                        file,
                        line,
                        f"duplicate exercise id '{exercise.id}' (first at {first[0]}:{first[1]})",
                    )
                )
            else:
                where[exercise.id] = (file, line)
    for catalog, file, loaded in parts:
        for index, exercise in enumerate(catalog.exercises):
            for link in ("progression", "regression"):
                target = getattr(exercise, link)
                if target is not None and target not in where:
                    problems.append(
                        RuleProblem(
                            file,
                            loaded.line_of(("exercises", index, link)),
                            f"'{exercise.id}' {link} '{target}' is not in the catalog",
                        )
                    )
    return problems


def _case_reference_problems(
    cases: list[LocatedCase], rules: list[LocatedRule], catalog: Catalog
) -> list[RuleProblem]:
    known = {r.rule.id for r in rules}
    problems: list[RuleProblem] = []
    for located_case in cases:
        expect = located_case.case.expect
        for rule_id in (*expect.fires, *expect.not_fires):
            if rule_id not in known:
                problems.append(
                    RuleProblem(
                        located_case.file,
                        located_case.line,
                        f"case '{located_case.case.name}' names unknown rule '{rule_id}'",
                    )
                )
        for exercise_id in (*expect.prescribes, *expect.not_prescribes):
            if exercise_id not in catalog:
                problems.append(
                    RuleProblem(
                        located_case.file,
                        located_case.line,
                        f"case '{located_case.case.name}' names unknown exercise '{exercise_id}'",
                    )
                )
    return problems


def read_sources(path: Path, base: Path | None = None) -> dict[str, bytes]:
    """Read a rule directory (every `*.yaml` below it) or one rule file as sources.

    One file is read with the rest of its rule set, so that it is checked as it will be used:
    the other files of its directory when that holds a catalog, else those of `base` (the
    shipped rule base, for a file written on its own); the file replaces a base file of the
    same name. Without either, the file is read alone.
    """
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.yaml") if p.is_file())
        if len(files) > MAX_FILES:
            raise RuleSetRejected([RuleProblem(str(path), None, f"more than {MAX_FILES} files")])
        return {str(p.relative_to(path)): _read_bounded(p) for p in files}
    around = path.parent if (path.parent / CATALOG_FILE).is_file() else base
    sources = read_sources(around) if around is not None and around.is_dir() else {}
    sources[path.name] = _read_bounded(path)
    return sources


def _read_bounded(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(MAX_FILE_BYTES + 1)


def load_ruleset(
    path: Path,
    *,
    base_catalog: Catalog | None = None,
    protected: bool = False,
    base: Path | None = None,
) -> RuleSet:
    """Read, validate and compile the rule set at `path` (a directory, or one file with the
    rest of its rule set: see `read_sources`)."""
    sources = read_sources(path, base)
    return compile_sources(sources, base_catalog=base_catalog, protected=protected)

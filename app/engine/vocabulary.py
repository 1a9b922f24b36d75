"""An organisation's own vocabulary: the findings, conditions and restrictions its coaches
test for, the gate criteria its gates ask for and the tags its exercises carry, declared in the
rule set's `vocabulary.yaml` beside the shipped ones.

A declared finding, condition or restriction may be used by intakes and by rules' conditions
like a shipped one; what it does comes from the rules that match it. A declared gate criterion
may be a rule's `gate` (and a check-in's `tests_passed`); a declared tag may be an exercise's
contraindication and a rule's `avoid: {tag: …}`. Checks: a name the shipped vocabulary already
has, a name declared twice, and a declared name nothing uses are problems with file and line.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.catalog.models import Catalog, CatalogFile
from app.engine.conditions import patterns_of
from app.engine.loader import LoadedYaml
from app.engine.located import LocatedRule
from app.engine.problems import RuleProblem
from app.engine.verbs import Avoid, Gate
from app.intake.vocabulary import (
    BASE_VOCABULARY,
    OWN_KINDS,
    VOCABULARY_FIELDS,
    Term,
    Vocabulary,
)

VOCABULARY_FILE = "vocabulary.yaml"
MAX_TERMS = 200  # per kind


class TermIn(BaseModel):
    """One declared name, with what a coach reading an intake or a plan sees."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,47}$", description="e.g. tight_hip_flexors")
    label: Annotated[str, Field(min_length=3, max_length=80)]
    description: Annotated[str, Field(max_length=400)] = ""


class VocabularyFile(BaseModel):
    """`vocabulary.yaml`: the organisation's own findings, conditions, restrictions, gate
    criteria and exercise tags."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    findings: Annotated[list[TermIn], Field(max_length=MAX_TERMS)] = []
    conditions: Annotated[list[TermIn], Field(max_length=MAX_TERMS)] = []
    restrictions: Annotated[list[TermIn], Field(max_length=MAX_TERMS)] = []
    gate_criteria: Annotated[list[TermIn], Field(max_length=MAX_TERMS)] = Field(
        default=[],
        description="tests a gate may ask for (a rule's `gate: {criterion: …}`); the runner "
        "reports passing them at a check-in (`tests_passed`)",
    )
    exercise_tags: Annotated[list[TermIn], Field(max_length=MAX_TERMS)] = Field(
        default=[],
        description="contraindication tags for catalog exercises, which rules may `avoid`",
    )


def declared_vocabulary(
    parsed: VocabularyFile, file: str, loaded: LoadedYaml
) -> tuple[Vocabulary, list[RuleProblem]]:
    """The shipped vocabulary with the file's terms added, and what is wrong with them."""
    vocabulary = BASE_VOCABULARY
    problems: list[RuleProblem] = []
    for kind in OWN_KINDS:
        shipped = BASE_VOCABULARY.names(kind)
        seen: set[str] = set()
        added: list[Term] = []
        for index, term in enumerate(getattr(parsed, kind)):
            line = loaded.line_of((kind, index))
            if term.name in shipped:
                problems.append(
                    RuleProblem(file, line, f"'{term.name}' is already one of the shipped {kind}")
                )
            elif term.name in seen:
                problems.append(RuleProblem(file, line, f"'{term.name}' is declared twice"))
            else:
                seen.add(term.name)
                added.append(Term(term.name, term.label, term.description, shipped=False))
        vocabulary = vocabulary.extended(kind, tuple(added))
    return vocabulary, problems


def extra_values(vocabulary: Vocabulary) -> dict[tuple[str, str], frozenset[str]]:
    """The values declared terms add to fact fields: (fact, field) → names."""
    return {
        VOCABULARY_FIELDS[kind]: frozenset(t.name for t in terms)
        for kind, terms in vocabulary.declared().items()
        if terms and kind in VOCABULARY_FIELDS
    }


def unused_terms(
    vocabulary: Vocabulary,
    rules: Iterable[LocatedRule],
    file: str,
    loaded: LoadedYaml | None,
    catalog: Catalog | None = None,
) -> list[RuleProblem]:
    """Declared names that nothing uses (a term that changes nothing): a finding, condition or
    restriction no rule's condition mentions, a gate criterion no rule's gate asks for, a tag
    no exercise carries and no rule avoids."""
    used: set[tuple[str, str, str]] = set()
    gated: set[str] = set()
    tagged: set[str] = set(catalog.tags) if catalog is not None else set()
    rules = list(rules)
    for located in rules:
        for pattern in patterns_of(located.rule.when):
            for test in pattern.tests:
                values = test.value if isinstance(test.value, tuple) else (test.value,)
                used.update((pattern.fact, test.field, str(v)) for v in values)
        for item in located.rule.then:
            verb = item.consequence
            if isinstance(verb, Gate):
                gated.add(str(verb.criterion))
            if isinstance(verb, Avoid) and verb.tag is not None:
                tagged.add(verb.tag)
    problems = []
    for kind, terms in vocabulary.declared().items():
        for index, term in enumerate(terms):
            if kind == "gate_criteria":
                unused = term.name not in gated
                how = f"a rule's gate: {{phase: strength, criterion: {term.name}}}"
            elif kind == "exercise_tags":
                unused = term.name not in tagged
                how = (
                    f"an exercise's contraindications: [{term.name}], or a rule's "
                    f"avoid: {{tag: {term.name}}}"
                )
            else:
                fact, field = VOCABULARY_FIELDS[kind]
                unused = (fact, field, term.name) not in used
                how = f"a rule's condition: when: {{fact: {fact}, {field}: {term.name}}}"
            if unused:
                line = loaded.line_of((kind, index)) if loaded is not None else None
                problems.append(
                    RuleProblem(
                        file,
                        line,
                        f"'{term.name}' is declared but nothing uses it ({how}); a term "
                        "nothing uses changes no plan",
                    )
                )
    return problems


def undeclared_tags(
    parts: Iterable[tuple[CatalogFile, str, LoadedYaml]], vocabulary: Vocabulary
) -> list[RuleProblem]:
    """Warnings: contraindication tags on catalog exercises that are neither shipped nor
    declared (valid, so that existing catalogs keep working, but nobody can read what they
    mean: declare each with a label and a description)."""
    known = vocabulary.names("exercise_tags")
    warnings = []
    for catalog, file, loaded in parts:
        for index, exercise in enumerate(catalog.exercises):
            for position, tag in enumerate(exercise.contraindications):
                if tag not in known:
                    warnings.append(
                        RuleProblem(
                            file,
                            loaded.line_of(("exercises", index, "contraindications", position)),
                            f"'{exercise.id}' has the tag '{tag}', which is neither shipped nor "
                            "declared: declare it in vocabulary.yaml (exercise_tags: [{name: "
                            f"{tag}, label: …, description: …}}]) so coaches know what it rules "
                            "out",
                        )
                    )
    return warnings

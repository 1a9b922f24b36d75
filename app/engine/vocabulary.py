"""An organisation's own vocabulary: the findings, conditions and restrictions its coaches
test for, declared in the rule set's `vocabulary.yaml` beside the shipped ones.

A declared name may be used by intakes and by rules' conditions like a shipped one; what it
does comes from the rules that match it. Checks: a name the shipped vocabulary already has, a
name declared twice, and a declared name no rule uses are problems with file and line.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.engine.conditions import patterns_of
from app.engine.loader import LoadedYaml
from app.engine.located import LocatedRule
from app.engine.problems import RuleProblem
from app.intake.vocabulary import (
    BASE_VOCABULARY,
    VOCABULARY_FIELDS,
    VOCABULARY_KINDS,
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
    """`vocabulary.yaml`: the organisation's own findings, conditions and restrictions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    findings: Annotated[list[TermIn], Field(max_length=MAX_TERMS)] = []
    conditions: Annotated[list[TermIn], Field(max_length=MAX_TERMS)] = []
    restrictions: Annotated[list[TermIn], Field(max_length=MAX_TERMS)] = []


def declared_vocabulary(
    parsed: VocabularyFile, file: str, loaded: LoadedYaml
) -> tuple[Vocabulary, list[RuleProblem]]:
    """The shipped vocabulary with the file's terms added, and what is wrong with them."""
    vocabulary = BASE_VOCABULARY
    problems: list[RuleProblem] = []
    for kind in VOCABULARY_KINDS:
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
        if terms
    }


def unused_terms(
    vocabulary: Vocabulary, rules: Iterable[LocatedRule], file: str, loaded: LoadedYaml | None
) -> list[RuleProblem]:
    """Declared names that no rule's condition mentions (a term that changes nothing)."""
    used: set[tuple[str, str, str]] = set()
    for located in rules:
        for pattern in patterns_of(located.rule.when):
            for test in pattern.tests:
                values = test.value if isinstance(test.value, tuple) else (test.value,)
                used.update((pattern.fact, test.field, str(v)) for v in values)
    problems = []
    for kind, terms in vocabulary.declared().items():
        fact, field = VOCABULARY_FIELDS[kind]
        for index, term in enumerate(terms):
            if (fact, field, term.name) not in used:
                line = loaded.line_of((kind, index)) if loaded is not None else None
                problems.append(
                    RuleProblem(
                        file,
                        line,
                        f"'{term.name}' is declared but no rule's condition uses it "
                        f"(when: {{fact: {fact}, {field}: {term.name}}}); a term no rule uses "
                        "changes no plan",
                    )
                )
    return problems

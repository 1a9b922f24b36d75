"""The vocabulary intakes may use: the shipped names and the organisation's own."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import CallerDep, RuleSetDep
from app.api.errors import responses
from app.api.schemas import TermOut, VocabularyOut
from app.intake.vocabulary import (
    OWN_KINDS,
    RedFlag,
    RedSSign,
    Term,
    shipped_terms,
)

router = APIRouter(prefix="/v1", tags=["vocabulary"])


def _out(terms: tuple[Term, ...]) -> list[TermOut]:
    return [
        TermOut(name=t.name, label=t.label, description=t.description, shipped=t.shipped)
        for t in terms
    ]


def _fixed(values: type[RedFlag] | type[RedSSign]) -> list[TermOut]:
    return _out(shipped_terms(values))


@router.get(
    "/vocabulary",
    response_model=VocabularyOut,
    responses=responses(401, 429),
    summary="The findings, conditions, restrictions, gate criteria and tags in use",
)
def get_vocabulary(_caller: CallerDep, ruleset: RuleSetDep) -> VocabularyOut:
    """The shipped vocabulary and the terms the organisation's active rule set declares
    (`shipped: false`): findings, conditions, restrictions, gate criteria and exercise tags.
    Red flags and RED-S signs belong to the protected safety core: every organisation has
    exactly the shipped ones."""
    vocabulary = ruleset.vocabulary
    kinds = {kind: _out(vocabulary.terms(kind)) for kind in OWN_KINDS}
    return VocabularyOut(
        findings=kinds["findings"],
        conditions=kinds["conditions"],
        restrictions=kinds["restrictions"],
        red_flags=_fixed(RedFlag),
        red_s_signs=_fixed(RedSSign),
        gate_criteria=kinds["gate_criteria"],
        exercise_tags=kinds["exercise_tags"],
    )

"""Warnings: what is valid but probably not what the coach meant. A rule set with warnings
still validates, publishes and plans; `rules check`, `…/validate` and `…/test` show them beside
the errors, each with file, line and rule.

- a percentage setting written as a fraction (`progression_limit_pct: 0.1` meant as 10 %);
- a rule aimed at something the catalog does not have (an exercise to avoid or to replace
  that is not in it, a tag no exercise carries): it changes nothing;
- a note whose distance contradicts the rule's own cap ("long runs of 16 km" under a 12 km
  weekly cap).

What is surely wrong stays an error (`app.engine.consequence_checks`): a cap or target
percentage under 5, which would leave weeks of a few hundred metres, and an exercise to
prescribe, or to put in another's place, that the catalog lacks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from app.catalog.models import Catalog
from app.engine.conditions import suggest
from app.engine.located import LocatedRule
from app.engine.problems import RuleProblem
from app.engine.verbs import Avoid, Cap, Note, SetParameter, Substitute
from app.intake.vocabulary import BASE_VOCABULARY, KM_PER_MILE, RESTRICTION_TAGS, Vocabulary

# "16 km", "16-18 km", "10 to 12 miles", "5.5mi"
_DISTANCE = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)(?:\s*(?:-|–|to)\s*(\d+(?:\.\d+)?))?\s*"
    r"(km|kilometres?|kilometers?|mi|miles?)\b",
    re.IGNORECASE,
)
ROUNDING_KM = 0.05  # a cap written in miles and its note in km agree to this much


def note_distances_km(text: str) -> list[tuple[str, float]]:
    """Each distance a text gives (as written, and its largest value in km)."""
    found = []
    for match in _DISTANCE.finditer(text):
        value = max(float(match.group(1)), float(match.group(2) or 0))
        miles = match.group(3).lower().startswith("mi")
        found.append((match.group(0), value * KM_PER_MILE if miles else value))
    return found


def likely_mistakes(
    rules: Iterable[LocatedRule], catalog: Catalog, vocabulary: Vocabulary = BASE_VOCABULARY
) -> list[RuleProblem]:
    """Every warning for these rules (each already valid on its own)."""
    known_tags = vocabulary.names("exercise_tags") | {
        t for tags in RESTRICTION_TAGS.values() for t in tags
    }
    warnings: list[RuleProblem] = []
    for located in rules:
        warnings.extend(_fractions(located))
        warnings.extend(_missing_targets(located, catalog, known_tags))
        warnings.extend(_contradicting_notes(located))
    return warnings


def _fractions(located: LocatedRule) -> Iterator[RuleProblem]:
    for position, item in enumerate(located.rule.then):
        verb = item.consequence
        if not isinstance(verb, SetParameter) or not verb.parameter.value.endswith("_pct"):
            continue
        if 0 < verb.value < 1:
            name, value = verb.parameter.value, verb.value
            yield located.problem(
                f"{name} is a percentage: {value:g} means {value:g} %, not {value * 100:g} %; "
                f"if you meant {value * 100:g} %, write value: {value * 100:g} (a value under 1 "
                "looks like a fraction)",
                "then",
                position,
            )


def _missing_targets(
    located: LocatedRule, catalog: Catalog, known_tags: frozenset[str]
) -> Iterator[RuleProblem]:
    for position, item in enumerate(located.rule.then):
        verb = item.consequence
        where = ("then", position)
        aimed = verb.exercise if isinstance(verb, Avoid | Substitute) else None
        if aimed is not None and aimed not in catalog:
            hint = suggest(aimed, catalog.exercises)
            what = "avoid" if isinstance(verb, Avoid) else "substitute"
            yield located.problem(
                f"'{aimed}'{hint} is not in the catalog, so this {what} changes nothing (add "
                "the exercise to the catalog, or correct the name)",
                *where,
            )
        tag = verb.tag if isinstance(verb, Avoid) else None
        # (a tag neither the catalog, the shipped vocabulary nor the organisation's has is an
        # error: `app.engine.consequence_checks`)
        if tag is not None and tag in known_tags and tag not in catalog.tags:
            yield located.problem(
                f"no exercise in the catalog has the tag '{tag}', so this avoid changes "
                "nothing (give the exercises it should rule out the tag in their "
                "contraindications)",
                *where,
            )


def _contradicting_notes(located: LocatedRule) -> Iterator[RuleProblem]:
    """A note that gives a distance above every weekly cap its own rule sets."""
    caps = [
        (item.consequence.km, item.consequence)
        for item in located.rule.then
        if isinstance(item.consequence, Cap) and item.consequence.km is not None
    ]
    if not caps:
        return
    highest, cap = max(caps, key=lambda pair: pair[0] or 0.0)
    assert highest is not None
    written = f"{cap.mi:g} mi" if cap.mi is not None else f"{highest:g} km"
    for position, item in enumerate(located.rule.then):
        verb = item.consequence
        if not isinstance(verb, Note):
            continue
        for said, km in note_distances_km(verb.text):
            if km > highest + ROUNDING_KM:
                yield located.problem(
                    f"the note says '{said}', but this rule caps weekly running at {written} "
                    f"({cap.phase.replace('_', ' ')}): a runner cannot do that much under it; "
                    "check the note's number or the cap",
                    "then",
                    position,
                    "note",
                    "text",
                )

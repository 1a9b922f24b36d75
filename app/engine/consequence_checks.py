"""Checks on what rules do (their consequences): exercises and tags the catalog knows, phases
an exercise belongs to, and likely slips (a fraction written where a percentage is meant)."""

from __future__ import annotations

from collections.abc import Iterator

from app.catalog.models import Catalog
from app.engine.conditions import suggest
from app.engine.located import LocatedRule
from app.engine.problems import RuleProblem
from app.engine.verbs import (
    WINDOWED_VERBS,
    Avoid,
    Cap,
    Consequence,
    Gate,
    Note,
    Prescribe,
    Substitute,
    Target,
    verb_name,
)
from app.intake.vocabulary import BASE_VOCABULARY, RESTRICTION_TAGS, Vocabulary

# A percentage below this is almost surely a fraction (0.7 meant as 70 %); 0 stays allowed.
SMALLEST_PERCENTAGE = 5.0


def consequence_problems(
    located: LocatedRule, catalog: Catalog, vocabulary: Vocabulary = BASE_VOCABULARY
) -> Iterator[RuleProblem]:
    known_tags = (
        catalog.tags
        | {t for tags in RESTRICTION_TAGS.values() for t in tags}
        | vocabulary.names("exercise_tags")
    )
    criteria = vocabulary.names("gate_criteria")
    for position, item in enumerate(located.rule.then):
        verb = item.consequence
        where = ("then", position)
        # (an exercise to avoid or to replace that the catalog lacks changes nothing: a
        # warning, `app.engine.likely_mistakes`)
        exercises: list[str] = []
        if isinstance(verb, Prescribe):
            exercises.append(verb.exercise)
        if isinstance(verb, Substitute):
            exercises.append(verb.replacement)
        for exercise_id in exercises:
            if exercise_id not in catalog:
                hint = suggest(exercise_id, catalog.exercises)
                yield located.problem(
                    f"unknown exercise '{exercise_id}'{hint} (not in the catalog)", *where
                )
        if isinstance(verb, Prescribe) and verb.exercise in catalog:
            phases = catalog[verb.exercise].phases
            if verb.phase not in phases:
                yield located.problem(
                    f"'{verb.exercise}' belongs to {', '.join(phases)}, not to {verb.phase}", *where
                )
        if isinstance(verb, Avoid) and verb.tag and verb.tag not in known_tags:
            hint = suggest(verb.tag, known_tags)
            yield located.problem(
                f"unknown contraindication tag '{verb.tag}'{hint}; tags are: "
                + ", ".join(sorted(known_tags))
                + " (an organisation declares its own in vocabulary.yaml, under exercise_tags)",
                *where,
            )
        if isinstance(verb, Gate) and verb.criterion not in criteria:
            hint = suggest(verb.criterion, criteria)
            yield located.problem(
                f"unknown gate criterion '{verb.criterion}'{hint}; the criteria are: "
                + ", ".join(sorted(criteria))
                + " (an organisation declares its own in vocabulary.yaml, under gate_criteria)",
                *where,
            )
        yield from _fraction_problems(located, verb, where)
        if located.rule.window is not None:
            yield from _window_problems(located, verb, where)


def _window_problems(
    located: LocatedRule, verb: Consequence, where: tuple[str | int, ...]
) -> Iterator[RuleProblem]:
    """A window limits what a rule puts into sessions and weeks, day by day: prescriptions,
    avoids and notes on sessions, caps on the weeks it covers. Everything else a rule does holds
    for a whole phase or the whole plan."""
    name = verb_name(verb)
    if name not in WINDOWED_VERBS:
        yield located.problem(
            f"a rule with a window may only prescribe, avoid, note and cap (what goes into "
            f"sessions and weeks, day by day); '{name}' applies to a whole phase or plan, so "
            "put it in a rule without a window",
            *where,
        )
    elif isinstance(verb, Avoid) and verb.until_week is not None:
        yield located.problem(
            "a windowed avoid takes no until_week: the rule's window says when, e.g. "
            "avoid: {tag: jumping} with window: {until_phase: running_form}",
            *where,
        )
    elif isinstance(verb, Note) and verb.kind == "plan":
        yield located.problem(
            "a plan note has no day for a window to limit; give the note the kind of session "
            'it is for, e.g. note: {kind: run, text: "…"} (activation, strength, run, drills '
            "or race)",
            *where,
        )


def _fraction_problems(
    located: LocatedRule, verb: object, where: tuple[str | int, ...]
) -> Iterator[RuleProblem]:
    fields: list[tuple[str, float | None]] = []
    if isinstance(verb, Cap):
        fields.append(("percent_of_current", verb.percent_of_current))
    if isinstance(verb, Target):
        fields.append(("peak_percent_of_race", verb.peak_percent_of_race))
        fields.append(("long_run_percent_of_race", verb.long_run_percent_of_race))
    for name, value in fields:
        if value is not None and 0 < value < SMALLEST_PERCENTAGE:
            surely = (
                f"a cap under {SMALLEST_PERCENTAGE:g} % of today's distance would plan weeks "
                "of a few hundred metres (write 0 for no running)"
                if name == "percent_of_current"
                else f"no race needs under {SMALLEST_PERCENTAGE:g} % of its distance"
            )
            yield located.problem(
                f"{name} is a percentage: {value:g} means {value:g} %, not {value * 100:g} %; "
                f"write {value * 100:g} for {value * 100:g} %. This is an error, not a "
                f"warning: {surely}, so it is surely a fraction",
                *where,
            )
